"""Runs are bounded and failures are whole: time limit, dead kernels, Ctrl-C, kept notebooks,
validation before any kernel, and output folders that would write into the inputs.

Two tiny notebooks written here: ``hang`` sleeps far longer than its time limit, ``die`` ends its
kernel in its fourth cell.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from thyroid_evidence import config
from thyroid_evidence.build.execute import build, keep_failed_notebook
from thyroid_evidence.evidence import load_evidence
from thyroid_evidence.exceptions import EvidenceError
from thyroid_evidence.notebook import load_matrix

#: long (a build, kernels or subprocesses): scheduled first (tests/conftest.py)
pytestmark = pytest.mark.heavy

PROJ_ROOT = config.project_root()
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def _notebook(path: Path, *sources: str) -> None:
    cells = [new_code_cell(source, id=f"c{i}") for i, source in enumerate(sources)]
    cells[1].metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = KERNELSPEC
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reliability") / "notebooks"
    folder.mkdir()
    _notebook(folder / "hang.ipynb", "import time", "wait = 300", "print('started')",
              "time.sleep(wait)", "print('never')")
    _notebook(folder / "die.ipynb", "import os", "status = 3", "print('started')",
              "os._exit(status)")
    (folder / "matrix.toml").write_text(
        '[[notebooks]]\nname = "hang"\ntitle = "Hang"\n\n'
        '[[notebooks]]\nname = "die"\ntitle = "Die"\n', encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def bounded(notebooks: Path, evidence_snapshot: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("bounded") / "out"
    stream = io.StringIO()
    started = time.monotonic()
    summary = build(out, matrix=load_matrix(notebooks / "matrix.toml"), jobs=2, timeout=2,
                    evidence=evidence_snapshot, stream=stream)
    return out, summary, stream.getvalue(), time.monotonic() - started


def test_a_run_over_its_time_limit_fails_named_with_its_cell(bounded) -> None:
    out, summary, log, seconds = bounded
    assert summary.exit_code == 1
    failure = next(f for f in summary.failed if f.run_id == "hang")
    assert failure.description == (
        "cell 3 (In [4]) `time.sleep(wait)`: Timeout: the run took longer than its time limit "
        "(--timeout 2 s) and was stopped"
    )
    assert f"FAILED hang (notebook hang.ipynb): {failure.description}" in log
    assert seconds < 60  # not the notebook's 300 s
    kept = nbformat.read(failure.saved_notebook, as_version=4)  # whole: it reads back
    assert failure.saved_notebook == out / ".build" / "failed" / "hang.ipynb"
    outputs = [o for c in kept.cells for o in c.get("outputs", [])]
    assert any(o.get("text") == "started\n" for o in outputs)
    assert any(o.get("ename") == "KeyboardInterrupt" for o in outputs)


def test_a_dead_kernel_names_the_cell_it_died_in(bounded) -> None:
    _, summary, _, _ = bounded
    failure = next(f for f in summary.failed if f.run_id == "die")
    # "(In [4])" when the kernel announced the cell before it died
    assert re.fullmatch(r"cell 3 (\(In \[4\]\) )?`os\._exit\(status\)`: DeadKernelError: "
                        r"Kernel died", failure.description), failure.description
    kept = nbformat.read(failure.saved_notebook, as_version=4)
    assert [c.source for c in kept.cells][3] == "os._exit(status)"
    assert any(o.get("text") == "started\n" for c in kept.cells for o in c.get("outputs", []))


def test_a_cut_short_notebook_is_not_kept(tmp_path: Path) -> None:
    staging = tmp_path / "out" / ".build" / "staging" / "cut"
    (staging / "notebooks").mkdir(parents=True)
    whole = nbformat.writes(new_notebook(cells=[new_code_cell("1 + 1")]))
    (staging / "notebooks" / "cut.ipynb").write_text(whole[: len(whole) // 2], encoding="utf-8")
    kept, why = keep_failed_notebook(tmp_path / "out", "cut", staging)
    assert kept is None
    assert why.startswith("the executed notebook was not kept: it was not written whole (")
    assert not (tmp_path / "out" / ".build" / "failed").exists()
    assert not staging.exists()


def test_ctrl_c_stops_a_one_job_build_without_a_traceback(notebooks: Path,
                                                           evidence_snapshot: Path,
                                                           tmp_path: Path) -> None:
    env = {**os.environ, config.MATRIX_ENV: str(notebooks / "matrix.toml")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "thyroid_evidence", "build", "--only", "hang", "--jobs", "1",
         "--evidence", str(evidence_snapshot), "--out", str(tmp_path / "o")],
        cwd=PROJ_ROOT, env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr.readline() == "building 1 run(s) with 1 job(s)\n"
    time.sleep(1.0)  # the kernel is starting or in time.sleep(300)
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) == 130, rest
    assert rest.rstrip().endswith("interrupted")
    assert "Traceback" not in rest


def _broken_key(evidence_copy: Path) -> str:
    """Make two series share an id; returns what `validate` says about it."""
    text = (evidence_copy / "series.csv").read_text(encoding="utf-8").splitlines()
    first_id = text[1].split(",")[0]
    second_id = text[2].split(",")[0]
    text[2] = text[2].replace(second_id, first_id, 1)
    (evidence_copy / "series.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(EvidenceError) as info:
        load_evidence(evidence_copy)
    return f"error: {info.value}"


def test_the_build_validates_first_and_starts_no_kernel(notebooks: Path, evidence_copy: Path,
                                                        tmp_path: Path) -> None:
    message = _broken_key(evidence_copy)
    assert "duplicate primary key" in message
    stream = io.StringIO()
    summary = build(tmp_path / "o", matrix=load_matrix(notebooks / "matrix.toml"),
                    evidence=evidence_copy, stream=stream)
    assert summary.exit_code == 1
    assert summary.refused == (message,)
    assert stream.getvalue() == message + "\nno run was started.\n"
    assert not (tmp_path / "o" / ".build" / "logs").exists()  # no kernel was started


def test_validate_and_build_give_the_same_message(notebooks: Path, evidence_copy: Path,
                                                  tmp_path: Path) -> None:
    raw = (evidence_copy / "outcomes.csv").read_bytes()
    (evidence_copy / "outcomes.csv").write_bytes(raw.replace(b"\n", b"\n\xff", 1))
    env = {**os.environ, config.MATRIX_ENV: str(notebooks / "matrix.toml")}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "thyroid_evidence", *args], cwd=PROJ_ROOT,
                              env=env, capture_output=True, text=True, timeout=120)

    validate = cli("validate", str(evidence_copy))
    built = cli("build", "--evidence", str(evidence_copy), "--out", str(tmp_path / "o"))
    assert validate.returncode == built.returncode == 1
    assert "outcomes.csv:2: not valid UTF-8 (save the file as UTF-8)" in validate.stderr
    assert built.stderr == validate.stderr + "no run was started.\n"


@pytest.mark.parametrize("where", ["evidence", "evidence/sub", "notebooks", "project"])
def test_out_inside_the_evidence_or_the_notebooks_is_refused(where: str, notebooks: Path,
                                                            evidence_snapshot: Path) -> None:
    matrix = load_matrix(notebooks / "matrix.toml")
    out = {"evidence": evidence_snapshot, "evidence/sub": evidence_snapshot / "sub",
           "notebooks": notebooks / "x", "project": notebooks.parent}[where]
    folder = "notebooks" if where in ("notebooks", "project") else "evidence"
    path = notebooks if folder == "notebooks" else evidence_snapshot
    with pytest.raises(ValueError) as info:
        build(out, matrix=matrix, evidence=evidence_snapshot, stream=io.StringIO())
    assert str(info.value) == (
        f"--out {out.resolve()}: the build would write into the {folder} folder "
        f"{path.resolve()}; choose an output folder outside the evidence and the notebooks"
    )
    assert not (Path(out) / ".build").exists()


def test_cli_refuses_out_in_the_evidence_and_a_bad_timeout(evidence_snapshot: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "thyroid_evidence", *args], cwd=PROJ_ROOT,
                              capture_output=True, text=True, timeout=120)

    inside = cli("build", "--evidence", str(evidence_snapshot), "--out",
                 str(evidence_snapshot / "build"))
    assert inside.returncode == 1
    assert inside.stderr == (
        f"error: --out {evidence_snapshot / 'build'}: the build would write into the evidence "
        f"folder {evidence_snapshot}; choose an output folder outside the evidence and the "
        "notebooks\n"
    )
    for value, rule in (("0", "a positive number"), ("-5", "a positive number"),
                        ("inf", "a positive number"), ("soon", "a number")):
        bad = cli("run", "survival", "--timeout", value)
        assert bad.returncode == 2
        assert f"argument --timeout: must be {rule} of seconds, got '{value}'" in bad.stderr


def test_timeout_and_evidence_arguments_are_checked(notebooks: Path) -> None:
    matrix = load_matrix(notebooks / "matrix.toml")
    with pytest.raises(TypeError, match="timeout must be a number of seconds, got str"):
        build(matrix=matrix, timeout="60")
    with pytest.raises(ValueError, match="timeout must be a positive number of seconds, got 0"):
        build(matrix=matrix, timeout=0)
    with pytest.raises(TypeError, match="evidence must be a path, got int"):
        build(matrix=matrix, evidence=3)


def test_the_matrix_does_not_name_the_evidence(tmp_path: Path) -> None:
    path = tmp_path / "matrix.toml"
    path.write_text('evidence_dir = "../evidence"\n', encoding="utf-8")
    with pytest.raises(ValueError) as info:
        load_matrix(path)
    assert str(info.value) == (
        f"{path}: evidence_dir is not a key of the run matrix: the evidence is chosen with "
        f"--evidence DIR (or {config.EVIDENCE_ENV}), for every run, the report and the audit"
    )


def test_the_kernels_are_told_the_evidence(monkeypatch: pytest.MonkeyPatch,
                                           evidence_snapshot: Path) -> None:
    monkeypatch.setenv(config.EVIDENCE_ENV, str(evidence_snapshot))
    assert config.evidence_dir() == evidence_snapshot.resolve()
    assert load_matrix().evidence_dir == evidence_snapshot.resolve()
    assert load_evidence().root == evidence_snapshot.resolve()


@pytest.mark.parametrize(("arguments", "message"), [
    ({"n_total": "50"}, "n_total must be a whole number > 0; got '50'"),
    ({"n_total": 50, "total_events": "3"}, "total_events must be a whole number in [0, 50]"),
    ({"n_total": 50, "times": ["0", 1, 2]}, "times must hold numbers only; found '0'"),
    ({"n_total": 50, "survival": "1, 0.9, 0.8"}, "survival must be a sequence of numbers, got str"),
    ({"risk_times": [0], "n_risk": ["5"]}, "n_risk must hold numbers only; found '5'"),
    ({"risk_times": 0, "n_risk": [5]}, "risk_times must be a sequence of numbers, got int"),
])
def test_reconstruct_km_names_the_argument_of_the_wrong_type(arguments, message) -> None:
    from thyroid_evidence.survival.guyot import reconstruct_km

    given = {"times": [0.0, 1.0, 2.0], "survival": [1.0, 0.9, 0.8], **arguments}
    with pytest.raises(TypeError) as info:
        reconstruct_km(given.pop("times"), given.pop("survival"), **given)
    assert str(info.value).startswith(message)


def test_table_2_rules_are_checked_at_validation(evidence_copy: Path, edit_cell, notebooks: Path,
                                                 tmp_path: Path) -> None:
    from tests.conftest import find_line
    from thyroid_evidence.study.checks import validate_evidence

    load_evidence(evidence_copy)  # the schema alone does not know the rule language
    line = 2  # the first criterion
    edit_cell(evidence_copy, "risk_stratification", line, "rule", "distant_metastases == (")
    second = line + 1
    edit_cell(evidence_copy, "risk_stratification", second, "rule", "")
    with pytest.raises(EvidenceError) as info:
        validate_evidence(evidence_copy)
    assert [str(p) for p in info.value.problems] == [
        f"risk_stratification.csv:{line}: rule: distant_metastases == ( — not a valid "
        "expression ('(' was never closed)",
        f"risk_stratification.csv:{second}: rule: (empty) — the rule is empty",
    ]
    assert find_line(evidence_copy, "risk_stratification", "rule", "") == second
    stream = io.StringIO()
    summary = build(tmp_path / "o", matrix=load_matrix(notebooks / "matrix.toml"),
                    evidence=evidence_copy, stream=stream)
    assert summary.refused == (f"error: {info.value}",)


def test_a_full_disk_names_the_file_and_keeps_the_old_one(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from thyroid_evidence import files

    target = tmp_path / "report" / "index.html"
    files.atomic_write_text(target, "old page")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(OSError) as info:
        files.atomic_write_text(target, "new page")
    assert str(info.value) == f"[Errno 28] No space left on device: '{target}'"
    assert target.read_text(encoding="utf-8") == "old page"
    assert sorted(p.name for p in target.parent.iterdir()) == ["index.html"]
