"""The kernel pool's prestart: kernels started (and warmed up) before the runs ask for them."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from jupyter_client.blocking import BlockingKernelClient
from jupyter_core.utils import run_sync

from thyroid_evidence.build.worker import KernelPool, RunTask, execute_task, import_statements


def kernel_says(manager, code: str) -> str:
    """stdout of ``code`` run in the kernel of ``manager``."""
    client = BlockingKernelClient(**manager.get_connection_info(session=True),
                                  connection_file=manager.connection_file, parent=manager)
    client.start_channels()
    out: list[str] = []
    try:
        client.wait_for_ready(timeout=60)

        def hook(msg: dict) -> None:
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])

        client.execute_interactive(code, timeout=60, output_hook=hook, store_history=False)
    finally:
        client.stop_channels()
    return "".join(out).strip()


def task(tmp_path: Path, name: str = "t") -> RunTask:
    return RunTask(run_id=name, input_path=str(tmp_path / "nb.ipynb"),
                   staging_dir=str(tmp_path / "staging"), final_notebook=str(tmp_path / "o"),
                   parameters={}, cwd=str(tmp_path),
                   env={**os.environ, "THYROID_EVIDENCE_TEST_VAR": name},
                   log_path=str(tmp_path / "logs" / f"{name}.log"))


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"metadata": {"kernelspec": {"name": "python3"}}, "cells": []}))
    return path


def test_prestarted_kernel_is_handed_out_warm_and_with_the_runs_environment(
    tmp_path: Path, notebook: Path
) -> None:
    pool = KernelPool()
    try:
        pool.prestart(1, "python3", dict(os.environ), str(tmp_path),
                      log_path=str(tmp_path / "logs" / "start.log"),
                      warm_imports=["import colorsys"])
        spare = pool._spares[0][1].result(timeout=120).manager
        manager = pool.acquire(task(tmp_path))
        assert manager is spare
        said = kernel_says(manager, "import os, sys; print('colorsys' in sys.modules, "
                                    "os.environ.get('THYROID_EVIDENCE_TEST_VAR'), os.getcwd())")
        assert said == f"True t {tmp_path}"
        assert pool._available == []
    finally:
        pool.close()
    assert not run_sync(spare.is_alive)()


def test_close_shuts_down_spares_never_handed_out(tmp_path: Path) -> None:
    pool = KernelPool()
    pool.prestart(2, "python3", dict(os.environ), str(tmp_path))
    managers = [f.result(timeout=120).manager for _, f in pool._spares]
    pool.close()
    assert [run_sync(m.is_alive)() for m in managers] == [False, False]


def test_spare_of_another_kernel_name_is_not_used(tmp_path: Path, notebook: Path) -> None:
    pool = KernelPool()
    try:
        # first in line: a spare for notebooks of another kernel spec (it fails to start: no
        # such kernel here), then one for python3
        pool.prestart(1, "no-such-kernel", dict(os.environ), str(tmp_path))
        pool.prestart(1, "python3", dict(os.environ), str(tmp_path))
        spare = pool._spares[1][1].result(timeout=120)
        manager = pool.acquire(task(tmp_path))
        assert manager is spare.manager
        assert [name for name, _ in pool._available] == ["no-such-kernel"]
    finally:
        pool.close()


def test_stopped_pool_hands_out_no_kernel_and_leaves_none_running(
    tmp_path: Path, notebook: Path
) -> None:
    pool = KernelPool()
    pool.prestart(1, "python3", dict(os.environ), str(tmp_path),
                  warm_imports=["import time; time.sleep(2)"] * 30)
    deadline = time.monotonic() + 60
    while not any(run_sync(m.is_alive)() for m in list(pool._kernels)):
        assert time.monotonic() < deadline, "the spare kernel did not start"
        time.sleep(0.1)
    time.sleep(1)  # the warm-up is under way
    pool.stop()  # as on Ctrl-C: the warm-up stops after its current statement
    with pytest.raises(RuntimeError, match="interrupted"):
        pool.acquire(task(tmp_path))
    spare = pool._spares[0][1].result(timeout=20)  # the whole warm-up would take 60 s
    pool.close()
    assert not run_sync(spare.manager.is_alive)()


def test_failing_warm_up_leaves_a_usable_kernel(tmp_path: Path, notebook: Path) -> None:
    pool = KernelPool()
    try:
        pool.prestart(1, "python3", dict(os.environ), str(tmp_path),
                      warm_imports=["import no_such_module_anywhere", "import colorsys"])
        manager = pool.acquire(task(tmp_path))
        # the failing import is skipped, the one after it still warms the kernel up
        assert kernel_says(manager, "import sys; print('colorsys' in sys.modules, 6 * 7)") == (
            "True 42")
    finally:
        pool.close()


def test_import_statements_are_the_imports_above_the_parameters_cell(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "import not_code"},
        {"cell_type": "code", "metadata": {}, "source": [
            "from __future__ import annotations\n", "import os\n", "x = 1\n",
            "from pathlib import Path as P\n", "%matplotlib inline\n"]},
        {"cell_type": "code", "metadata": {}, "source": "import json, sys\nprint('side effect')"},
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "a = 1"},
        {"cell_type": "code", "metadata": {}, "source": "import after_parameters"},
    ]
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"metadata": {}, "cells": cells}))
    # the cell with a magic does not parse as Python: skipped whole
    assert import_statements(path) == ["import json, sys"]
    cells[1]["source"] = cells[1]["source"][:-1]
    path.write_text(json.dumps({"metadata": {}, "cells": cells}))
    assert import_statements(path) == ["import os", "from pathlib import Path as P",
                                       "import json, sys"]
    assert import_statements(tmp_path / "missing.ipynb") == []


def test_project_notebooks_warm_up_with_imports_only() -> None:
    root = Path(__file__).resolve().parent.parent
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        statements = import_statements(path)
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        check = next("".join(c["source"]) for c in cells
                     if "check_notebook_parameters(" in "".join(c["source"]))
        module = check.split("run = ", 1)[1].split(".check_notebook_parameters", 1)[0]
        # every notebook imports the module of its parameter check and matplotlib before its
        # parameters cell: both must be found, so that the warm-up loads them
        assert module in ("thyroid_evidence.notebook", "thyroid_evidence.build"), path.name
        assert f"import {module}" in statements, path.name
        assert "import matplotlib.pyplot as plt" in statements, path.name


def test_a_kept_kernel_runs_notebook_after_notebook_and_closes_its_clients(
    tmp_path: Path,
) -> None:
    cells = [{"cell_type": "code", "id": "c1", "metadata": {}, "outputs": [],
              "execution_count": None,
              "source": "import os\nx = os.environ['THYROID_EVIDENCE_TEST_VAR']\nx"}]
    (tmp_path / "nb.ipynb").write_text(json.dumps({
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5, "cells": cells}))
    pool = KernelPool()
    try:
        results = [execute_task(task(tmp_path, name), pool) for name in ("one", "two")]
        assert [r.ok for r in results] == [True, True], results
        manager = pool._local.kernel.manager
        assert manager.run_clients == []  # papermill's clients were closed after each run
        for name in ("one", "two"):
            nb = json.loads((tmp_path / "staging" / "notebooks" / f"{name}.ipynb").read_text())
            (output,) = nb["cells"][0]["outputs"]
            assert "".join(output["data"]["text/plain"]) == f"'{name}'"
            assert nb["cells"][0]["execution_count"] == 1
    finally:
        pool.close()
    assert not run_sync(manager.is_alive)()


def test_a_kept_kernel_collects_each_runs_garbage_and_freezes_what_lives_on(
    tmp_path: Path, notebook: Path
) -> None:
    """The reset before a run frees the previous run's objects, reference cycles included,
    and what is still alive after it is frozen out of later collections (gc.freeze)."""
    pool = KernelPool()
    try:
        manager = pool.acquire(task(tmp_path, "one"))
        assert kernel_says(manager, "import gc; print(gc.get_freeze_count() > 0)") == "True"
        # a cycle the user namespace keeps alive, watched from outside that namespace
        kernel_says(manager, "import sys, weakref\nclass Cycle: pass\n"
                             "c = Cycle(); c.me = c\nsys._te_probe = weakref.ref(c)")
        assert pool.acquire(task(tmp_path, "two")) is manager
        said = kernel_says(manager, "import sys; print(sys._te_probe() is None, 'c' in dir())")
        assert said == "True False"
    finally:
        pool.close()


def test_the_build_uses_no_private_name_of_the_kernel_libraries() -> None:
    """Kernels are started and handed over through public arguments only: none of the private
    methods the build once overrode (or papermill internals it copied) appears in it."""
    import re

    root = Path(__file__).resolve().parent.parent / "thyroid_evidence" / "build"
    source = "\n".join(p.read_text(encoding="utf-8") for p in sorted(root.glob("*.py")))
    for name in ("_async_pre_start_kernel", "_async_launch_kernel", "_async_cleanup_kernel",
                 "_handle_kernel_info_reply", "execute_managed_notebook", "merge_kwargs",
                 "remove_args", "_original_stdstream_copy", "papermill_engines"):
        assert name not in source, name
    imported = re.findall(r"^\s*from (jupyter_client|nbclient|papermill|ipykernel)\S* import (.+)$",
                          source, flags=re.MULTILINE)
    assert imported and not [names for _, names in imported if re.search(r"\b_\w", names)]
