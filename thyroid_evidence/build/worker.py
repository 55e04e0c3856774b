"""Execute one run: papermill into a staging folder, then the notebook's HTML (nbconvert).

Runs are executed from threads of the build process (papermill and nbconvert imported once);
each run's kernel gets its own environment and working directory through a kernel-manager
subclass, so nothing process-wide (``os.environ``, the current directory) changes. Not
imported by a no-op build.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager

from thyroid_evidence.build.outputs import atomic_write_text

_EXPORTER: Any = None
_HTML_LOCK = threading.Lock()
_LIVE: set[AsyncKernelManager] = set()
_LIVE_LOCK = threading.Lock()


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs to execute one run (picklable)."""

    run_id: str
    input_path: str
    staging_dir: str
    final_notebook: str
    parameters: dict[str, Any]
    cwd: str
    #: Complete environment of the kernel.
    env: dict[str, str] = field(default_factory=dict)
    #: File that receives the kernel's own stdout/stderr (warnings, crashes).
    log_path: str | None = None
    start_timeout: int = 120
    execution_timeout: int | None = None


@dataclass(frozen=True)
class RunFailure:
    """Where and how a run failed."""

    ename: str
    evalue: str
    cell_index: int | None = None
    exec_count: int | None = None
    source_line: str = ""

    def describe(self) -> str:
        """One line: cell, first source line, error."""
        where = "before any cell ran"
        if self.cell_index is not None:
            where = f"cell {self.cell_index}"
            if self.exec_count is not None:
                where += f" (In [{self.exec_count}])"
            if self.source_line:
                where += f" `{self.source_line}`"
        evalue = self.evalue.strip().splitlines()
        first = evalue[0] if evalue else ""
        more = f" (+{len(evalue) - 1} more lines)" if len(evalue) > 1 else ""
        return f"{where}: {self.ename}: {first}{more}"


@dataclass(frozen=True)
class RunResult:
    """Outcome of one run."""

    run_id: str
    ok: bool
    seconds: float
    failure: RunFailure | None = None


class _RunKernelManager(AsyncKernelManager):
    """Starts the kernel with the run's environment and working directory."""

    run_env: dict[str, str] = {}
    run_cwd: str | None = None
    run_log: str | None = None

    async def _async_pre_start_kernel(self, **kw: Any) -> Any:
        kw["env"] = dict(self.run_env)
        if self.run_cwd is not None:
            kw["cwd"] = self.run_cwd
        with _LIVE_LOCK:
            _LIVE.add(self)
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        if self.run_log is None:
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        Path(self.run_log).parent.mkdir(parents=True, exist_ok=True)
        with open(self.run_log, "ab") as log:  # the kernel keeps its own copy of the fd
            kw["stdout"] = kw["stderr"] = log
            return await super()._async_launch_kernel(kernel_cmd, **kw)


def kill_kernels() -> int:
    """Kill every kernel still running (on interrupt); returns how many were killed."""
    with _LIVE_LOCK:
        managers = list(_LIVE)
    killed = 0
    for manager in managers:
        process = getattr(manager.provisioner, "process", None)
        if process is not None and process.poll() is None:
            process.kill()
            killed += 1
    return killed


def _html(nb: Any, name: str) -> str:
    with _HTML_LOCK:  # one exporter, made once (loading its templates costs half a second)
        global _EXPORTER
        if _EXPORTER is None:
            from nbconvert import HTMLExporter

            _EXPORTER = HTMLExporter(template_name="lab")
        body, _ = _EXPORTER.from_notebook_node(nb, resources={"metadata": {"name": name}})
    return body


def execute_task(task: RunTask) -> RunResult:
    """Run ``task``; never raises for a failing notebook (the failure is in the result)."""
    start = time.perf_counter()
    staged_nb = Path(task.staging_dir) / "notebooks" / f"{task.run_id}.ipynb"
    staged_nb.parent.mkdir(parents=True, exist_ok=True)
    manager_class = type(
        "RunKernelManager",
        (_RunKernelManager,),
        {"run_env": task.env, "run_cwd": task.cwd, "run_log": task.log_path},
    )
    try:
        nb = papermill.execute_notebook(
            task.input_path,
            str(staged_nb),
            parameters=task.parameters,
            progress_bar=False,
            request_save_on_cell_execute=False,
            start_timeout=task.start_timeout,
            execution_timeout=task.execution_timeout,
            kernel_manager_class=manager_class,
        )
    except papermill.PapermillExecutionError as exc:
        source = next((ln.strip() for ln in str(exc.source).splitlines() if ln.strip()), "")
        failure = RunFailure(
            ename=str(exc.ename),
            evalue=str(exc.evalue),
            cell_index=exc.cell_index,
            exec_count=exc.exec_count,
            source_line=source[:80],
        )
        return RunResult(task.run_id, False, time.perf_counter() - start, failure)
    except Exception as exc:  # kernel died, notebook unreadable, timeout: report, don't crash
        failure = RunFailure(ename=type(exc).__name__, evalue=str(exc))
        return RunResult(task.run_id, False, time.perf_counter() - start, failure)
    finally:
        with _LIVE_LOCK:
            _LIVE.difference_update([m for m in _LIVE if isinstance(m, manager_class)])
    # The executed notebook keeps papermill's metadata; point output_path at its final place.
    nb.metadata.papermill["output_path"] = task.final_notebook
    atomic_write_text(staged_nb, nbformat.writes(nb) + "\n")
    atomic_write_text(staged_nb.with_suffix(".html"), _html(nb, task.run_id))
    return RunResult(task.run_id, True, time.perf_counter() - start)
