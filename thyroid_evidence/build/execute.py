"""Orchestrate a build: select runs, skip the current ones, check, execute in parallel, commit.

Order of events for ``build``: refuse an output folder inside the inputs; validate the evidence
(the messages of ``thyroid-evidence validate``; nothing starts when it fails); finish any
interrupted commit; hash every selected run and skip those the manifest already holds; check the
parameters of all the others (nothing starts when one is refused); execute them ``jobs`` at a
time, each within ``timeout`` seconds; move each successful run's files into place; write the
report. One evidence folder (``evidence=``, ``--evidence DIR``) drives all of it: the runs are
chosen from it, every kernel reads it (``THYROID_EVIDENCE_DIR``), the report shows and the audit
checks it, and the manifest hashes it.
"""

from __future__ import annotations

import csv
import dataclasses
import fnmatch
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from thyroid_evidence import config
from thyroid_evidence.build import DEFAULT_TIMEOUT
from thyroid_evidence.build.manifest import (
    ORIGIN_BUILD,
    ORIGIN_RUN,
    Fingerprint,
    Manifest,
    run_hash,
)
from thyroid_evidence.build.outputs import (
    STATE_DIR,
    build_lock,
    commit_run,
    recover,
    staged_files,
)
from thyroid_evidence.files import atomic_write_text
from thyroid_evidence.notebook.matrix import Matrix, Run, load_matrix, run_id_for, run_title

#: Folders the build writes below its output folder.
OUTPUT_FOLDERS = ("notebooks", "figures", "tables", "report", STATE_DIR)


@dataclass(frozen=True)
class FailedRun:
    """A run that failed: which notebook, which cell, which error.

    ``saved_notebook`` is the executed notebook as far as it ran (whole, or not kept: then
    ``notebook_problem`` says why).
    """

    run_id: str
    notebook: str
    description: str
    saved_notebook: Path | None
    notebook_problem: str | None = None


@dataclass(frozen=True)
class BuildSummary:
    """What a build did."""

    out: Path
    executed: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    failed: tuple[FailedRun, ...] = ()
    refused: tuple[str, ...] = ()
    report: Path | None = None
    removed: tuple[str, ...] = ()
    report_problem: str | None = None
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """0 when everything asked for is built, else 1."""
        return 1 if (self.failed or self.refused or self.report_problem) else 0


@dataclass
class _Progress:
    total: int
    stream: TextIO
    done: int = 0
    width: int = 24

    def line(self, status: str, run_id: str, detail: str = "") -> None:
        self.done += 1
        tty = self.stream.isatty()
        if tty:
            self.stream.write("\r\033[K")
        count = f"[{self.done:>{len(str(self.total))}}/{self.total}]"
        self.stream.write(f"{count} {status:<6} {run_id}{('  ' + detail) if detail else ''}\n")
        if tty and self.done < self.total:
            filled = self.width * self.done // max(self.total, 1)
            bar = "#" * filled + "." * (self.width - filled)
            self.stream.write(f"[{bar}] {self.done}/{self.total}")
        self.stream.flush()


def select_runs(runs: Sequence[Run], only: str | None) -> list[Run]:
    """Runs whose id or notebook name matches the glob ``only`` (all when None); several
    globs may be given separated by commas (``"survival-*,comparison"``).

    Raises
    ------
    ValueError
        When a glob matches nothing; lists the run ids.
    """
    if only is None:
        return list(runs)
    patterns = [p.strip() for p in only.split(",") if p.strip()]
    if not patterns:
        raise ValueError(f"--only {only!r} names no pattern")
    chosen = []
    for r in runs:
        if any(fnmatch.fnmatchcase(r.run_id, p) or fnmatch.fnmatchcase(r.notebook, p)
               for p in patterns):
            chosen.append(r)
    unmatched = [p for p in patterns
                 if not any(fnmatch.fnmatchcase(r.run_id, p) or fnmatch.fnmatchcase(r.notebook, p)
                            for r in runs)]
    if unmatched or not chosen:
        raise ValueError(
            f"--only {', '.join(repr(p) for p in unmatched or [only])} matches no run; "
            f"runs: {', '.join(r.run_id for r in runs)}"
        )
    return chosen


def build(
    out: str | Path | None = None,
    *,
    jobs: int | None = None,
    force: bool = False,
    only: str | None = None,
    matrix: Matrix | None = None,
    stream: TextIO | None = None,
    fresh_kernels: bool = False,
    evidence: str | Path | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> BuildSummary:
    """Build every run of the matrix (or those matching ``only``) and the report.

    Parameters
    ----------
    out : str or Path, optional
        Output folder; defaults to the repository's ``build/``.
    jobs : int, optional
        Runs executed at a time; defaults to the number of usable cores.
    force : bool
        Rebuild runs the manifest holds as current.
    only : str, optional
        Glob on run ids or notebook names, e.g. ``"survival-*"`` or ``"comparison"``.
    matrix : Matrix, optional
        Defaults to :func:`thyroid_evidence.notebook.load_matrix`.
    stream : text stream, optional
        Progress and status lines (default: stderr).
    fresh_kernels : bool
        Start a new kernel for every run instead of keeping one kernel per job alive across
        its runs (reset between runs; see :mod:`thyroid_evidence.build.worker`).
    evidence : str or Path, optional
        The evidence folder of every run, the report, the audit and the manifest; defaults to
        the matrix's (:func:`thyroid_evidence.config.evidence_dir`).
    timeout : float or None
        Seconds each run may take (default :data:`DEFAULT_TIMEOUT`); a run that takes longer
        fails, named, with its notebook kept as far as it ran. None: no limit.

    Returns
    -------
    BuildSummary
        ``exit_code`` is 1 when the evidence does not validate, a run was refused or failed.

    Raises
    ------
    ValueError
        If ``out`` is inside the evidence or notebooks folder, ``jobs`` or ``timeout`` is not
        positive, or ``only`` matches no run.
    """
    matrix = with_evidence(matrix if matrix is not None else load_matrix(), evidence)
    jobs = _check_jobs(jobs)
    timeout = check_timeout(timeout)
    out_dir = _out_dir(out)
    check_out(out_dir, matrix)
    stream = stream or sys.stderr
    # before a byte of the evidence is read (the index, the hashes): its paths stay inside it
    problem = _path_problem(matrix.evidence_dir)
    index, problem = (None, problem) if problem else _index(matrix)
    if problem:
        stream.write(problem + "\nno run was started.\n")
        return BuildSummary(out=out_dir, refused=(problem,))
    declared = matrix.runs(index)
    runs = select_runs(declared, only)
    return _execute(out_dir, runs, matrix, jobs, force, stream, index, fresh_kernels, timeout,
                    keep={r.run_id for r in declared})


def _path_problem(evidence_dir: Path) -> str | None:
    """``validate``'s message when a path of the evidence package leads out of it."""
    from thyroid_evidence.evidence import package_path_problems
    from thyroid_evidence.exceptions import EvidenceError

    found = package_path_problems(evidence_dir)
    return f"error: {EvidenceError(found, Path(evidence_dir))}" if found else None


def _index(matrix: Matrix) -> tuple[Any, str | None]:
    """The evidence index of the matrix, or the validation's message when it cannot be read.

    The index reads two tables with the ``csv`` module (fast, for a build with nothing to do);
    when that fails, the evidence is validated so that the message is the one ``validate``
    gives (file, row, column, rule), never a bare decoding error.
    """
    try:
        return matrix.index(), None
    except (ValueError, OSError, csv.Error) as exc:
        problem = evidence_problem(matrix.evidence_dir)
        return None, problem or f"error: the evidence in {matrix.evidence_dir}: {exc}"


def with_evidence(matrix: Matrix, evidence: str | Path | None) -> Matrix:
    """``matrix`` reading the evidence folder ``evidence`` (unchanged when None)."""
    if evidence is None:
        return matrix
    if not isinstance(evidence, str | os.PathLike):
        raise TypeError(f"evidence must be a path, got {type(evidence).__name__}")
    return dataclasses.replace(matrix, evidence_dir=Path(evidence).expanduser().resolve())


def check_timeout(timeout: float | None) -> float | None:
    """``timeout`` as seconds (a positive number) or None; raises TypeError/ValueError."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"timeout must be a number of seconds, got {type(timeout).__name__}")
    if not math.isfinite(timeout) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return float(timeout)


def check_out(out: Path, matrix: Matrix) -> None:
    """Refuse an output folder that would write into the evidence or the notebooks.

    Raises
    ------
    ValueError
        If ``out``, or one of the folders the build writes below it (``notebooks/``,
        ``figures/``, ...), is the evidence or notebooks folder or lies inside one.
    """
    out = Path(out).resolve()
    for name, folder in (("evidence", matrix.evidence_dir), ("notebooks", matrix.notebook_dir)):
        folder = Path(folder).resolve()
        for written in (out, *(out / sub for sub in OUTPUT_FOLDERS)):
            if written == folder or folder in written.parents:
                raise ValueError(
                    f"--out {out}: the build would write into the {name} folder {folder}; "
                    "choose an output folder outside the evidence and the notebooks"
                )


def evidence_problem(evidence_dir: Path) -> str | None:
    """Why the evidence in ``evidence_dir`` cannot be built from, as ``validate`` says it
    (:func:`thyroid_evidence.study.checks.validate_evidence`: Table 2's rules included)."""
    from thyroid_evidence.exceptions import EvidenceError
    from thyroid_evidence.study.checks import validate_evidence

    try:
        validate_evidence(evidence_dir)
    except EvidenceError as exc:
        return f"error: {exc}"
    return None


def run_notebook(
    notebook: str,
    parameters: Mapping[str, Any],
    *,
    out: str | Path | None = None,
    matrix: Matrix | None = None,
    stream: TextIO | None = None,
    cli_strings: bool = False,
    evidence: str | Path | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> BuildSummary:
    """Run one notebook with ``parameters`` through the build's path (check, stage, commit).

    With ``cli_strings`` the values are ``-p NAME VALUE`` strings, converted to the type of
    each default first. Always executes (no skip), then refreshes the report. ``evidence``
    and ``timeout`` as for :func:`build`.
    """
    matrix = with_evidence(matrix if matrix is not None else load_matrix(), evidence)
    timeout = check_timeout(timeout)
    out_dir = _out_dir(out)
    check_out(out_dir, matrix)
    stream = stream or sys.stderr
    problem = evidence_problem(matrix.evidence_dir)
    if problem:
        stream.write(problem + "\nno run was started.\n")
        return BuildSummary(out=out_dir, refused=(problem,))
    spec = matrix.spec(notebook)
    path = matrix.path(spec.name)
    if not path.is_file():
        raise ValueError(f"notebook {path} does not exist")
    values = dict(spec.parameters)
    from thyroid_evidence.build.params import inspect_defaults, parse_cli_value
    from thyroid_evidence.notebook import ParameterError, check_parameters

    defaults = inspect_defaults(path)
    if cli_strings:
        values.update(
            {k: parse_cli_value(str(v), defaults.get(k, str(v))) for k, v in parameters.items()}
        )
    else:
        values.update(parameters)
    index = matrix.index() if spec.for_each or "series_id" in values else None
    try:
        effective = check_parameters(spec, values, matrix=matrix, defaults=defaults, index=index)
    except ParameterError as exc:
        stream.write(f"{exc}\n")
        return BuildSummary(out=out_dir, refused=(str(exc),))
    run = Run(notebook=spec.name, run_id=run_id_for(spec.name, spec.for_each, effective),
              parameters=values, path=path, title=run_title(spec, effective))
    return _execute(out_dir, [run], matrix, 1, True, stream, index, timeout=timeout,
                    validated=True, origin=ORIGIN_RUN)


def _out_dir(out: str | Path | None) -> Path:
    return Path(out).resolve() if out is not None else config.build_dir()


def _check_jobs(jobs: int | None) -> int:
    if jobs is None:
        return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                   else (os.cpu_count() or 1))
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive int, got {jobs!r}")
    return jobs


def _execute(
    out: Path,
    runs: list[Run],
    matrix: Matrix,
    jobs: int,
    force: bool,
    stream: TextIO,
    index: Any,
    fresh_kernels: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
    validated: bool = False,
    keep: set[str] | None = None,
    origin: str = ORIGIN_BUILD,
) -> BuildSummary:
    """Execute ``runs``; with ``keep`` (every run id of the matrix), first remove the files and
    manifest entries of the build's runs that are no longer among them."""
    start = time.perf_counter()
    missing = sorted({str(r.path) for r in runs if not r.path.is_file()})
    if missing:
        message = "notebook(s) not found: " + ", ".join(missing)
        stream.write(message + "\n")
        return BuildSummary(out=out, refused=(message,))
    out.mkdir(parents=True, exist_ok=True)
    with build_lock(out):
        redone = recover(out)
        if redone:
            stream.write(f"finished interrupted commit(s) of {', '.join(redone)}\n")
        fingerprint = Fingerprint.compute(matrix.evidence_dir, matrix.package_dir)
        manifest = Manifest.load(out)
        removed = tuple(remove_stale_runs(out, manifest, keep)) if keep is not None else ()
        if removed:
            stream.write(f"removed {len(removed)} run(s) that left the run matrix: "
                         f"{', '.join(removed)}\n")
        digests = {r.run_id: run_hash(r.path, r.parameters, fingerprint) for r in runs}
        todo = [r for r in runs if force or not manifest.is_current(r.run_id, digests[r.run_id])]
        skipped = tuple(r.run_id for r in runs if r not in todo)
        if not todo:
            report, problem = _maybe_report(out, matrix, manifest, fingerprint, stream)
            stream.write(f"nothing to do: {len(skipped)} run(s) up to date\n")
            return BuildSummary(out, skipped=skipped, report=report, report_problem=problem,
                                removed=removed, seconds=time.perf_counter() - start)

        _skip_slow_optional_imports()
        # Runs to do: the evidence is validated first (the messages of `validate`), and no
        # kernel starts when it fails. (A build with nothing to do skips this: its evidence
        # is byte for byte the one its runs were built, and so validated, from.)
        problem = None if validated else evidence_problem(matrix.evidence_dir)
        if problem:
            stream.write(problem + "\nno run was started.\n")
            return BuildSummary(out, skipped=skipped, refused=(problem,), removed=removed,
                                seconds=time.perf_counter() - start)
        # Longest runs first, so that no long run is left alone at the end: as last timed;
        # runs never timed before the others, longest code first (a rough guess of time).
        code_sizes: dict[Path, tuple] = {}
        todo.sort(key=lambda r: expected_order(r, manifest, code_sizes))
        jobs = min(jobs, len(todo))
        from thyroid_evidence.build.worker import KernelPool

        # One kernel per worker thread, kept across its runs (unless fresh_kernels); started
        # now, so that kernels and imports come up while the parameters are checked.
        pool = None if fresh_kernels else KernelPool()
        try:
            if pool is not None:
                _prestart(pool, out, todo, matrix, jobs)
            effective, refused = _check_all(todo, matrix, index)
            if refused:
                stream.write("\n".join(refused) + "\nno run was started.\n")
                return BuildSummary(out, skipped=skipped, refused=tuple(refused),
                                    removed=removed, seconds=time.perf_counter() - start)
            stream.write(
                f"building {len(todo)} run(s) with {jobs} job(s)"
                f"{f'; {len(skipped)} up to date' if skipped else ''}\n"
            )
            # The audit (for the report) needs only the evidence: computed during the runs.
            import concurrent.futures as cf

            with cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit") as side:
                audit = side.submit(_audit_cached, out, matrix, fingerprint)
                executed, failed = _run_all(
                    out, todo, matrix, jobs, stream, manifest, digests, effective, pool, timeout,
                    origin,
                )
                report, problem = _maybe_report(out, matrix, manifest, fingerprint, stream,
                                                audit.result())
        finally:
            if pool is not None:
                pool.close()
    summary = BuildSummary(
        out, executed=tuple(executed), skipped=skipped, failed=tuple(failed), report=report,
        report_problem=problem, removed=removed, seconds=time.perf_counter() - start,
    )
    _write_summary(summary, stream)
    return summary


def expected_order(run: Run, manifest: Manifest, code_sizes: dict[Path, tuple]) -> tuple:
    """Sort key: untimed runs first, then timed ones, slowest first.

    A run this build has timed before is placed by that time. An untimed one is placed by
    how long its notebook's stored outputs took to compute (nbclient records each cell's
    execution times in the cell metadata when ``make notebooks`` refreshes them), else by
    the length of its code: a guess, but one from the same notebook.
    """
    seconds = manifest.runs.get(run.run_id, {}).get("seconds")
    if seconds is not None:
        return (1, -float(seconds), 0)
    if run.path not in code_sizes:
        try:
            cells = json.loads(run.path.read_text(encoding="utf-8")).get("cells", [])
            code = [c for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
            code_sizes[run.path] = (
                -_stored_seconds(code),
                -sum(len("".join(c.get("source", ""))) for c in code),
            )
        except (OSError, ValueError, AttributeError, TypeError):
            code_sizes[run.path] = (0.0, 0)
    return (0, *code_sizes[run.path])


def _stored_seconds(cells: list[dict]) -> float:
    """Seconds the stored outputs of these code cells took (0 where no timing is stored)."""
    from datetime import datetime

    total = 0.0
    for cell in cells:
        timing = (cell.get("metadata") or {}).get("execution") or {}
        try:
            began = datetime.fromisoformat(str(timing["iopub.execute_input"]))
            ended = datetime.fromisoformat(str(timing["shell.execute_reply"]))
        except (KeyError, ValueError):
            continue
        try:
            total += max(0.0, (ended - began).total_seconds())
        except TypeError:  # one with a time zone, one without
            continue
    return round(total, 3)


def _prestart(pool: Any, out: Path, todo: list[Run], matrix: Matrix, jobs: int) -> None:
    """Start the workers' kernels in the background, warmed up with the notebooks' imports."""
    from thyroid_evidence.build.worker import import_statements, notebook_kernel_name

    statements: list[str] = []
    for path in dict.fromkeys(r.path for r in todo):
        statements += [s for s in import_statements(path) if s not in statements]
    env = _kernel_env(matrix)
    try:
        kernel_name = notebook_kernel_name(str(todo[0].path))
    except (OSError, ValueError, AttributeError):
        return  # the run reports the unreadable notebook
    log = out / STATE_DIR / "logs" / "kernel-start.log"  # this build's kernels only
    log.unlink(missing_ok=True)
    pool.prestart(jobs, kernel_name, env, str(todo[0].path.parent), log_path=str(log),
                  warm_imports=statements)


def _kernel_env(matrix: Matrix) -> dict[str, str]:
    """This process's environment, naming the matrix file and the evidence folder, so that
    the notebooks read the same matrix and the same evidence as the build."""
    env = dict(os.environ)
    env[config.EVIDENCE_ENV] = str(Path(matrix.evidence_dir).resolve())
    if matrix.ref is not None:
        env[config.MATRIX_ENV] = matrix.ref
    else:
        env.pop(config.MATRIX_ENV, None)
    return env


def _skip_slow_optional_imports() -> None:
    """Keep jsonschema (imported by nbformat and frictionless) from loading rfc3987_syntax.

    That optional package compiles a grammar at import (about a second) for the ``iri``
    format checks, which neither notebook validation nor the evidence schema use; jsonschema
    skips those checks when the import fails. Only this build process is affected.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def _check_all(
    runs: list[Run], matrix: Matrix, index: Any
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    from thyroid_evidence.build.params import inspect_defaults
    from thyroid_evidence.notebook import check_parameters

    defaults: dict[str, dict[str, Any]] = {}
    effective: dict[str, dict[str, Any]] = {}
    refused: list[str] = []
    for run in runs:
        try:
            if run.notebook not in defaults:
                defaults[run.notebook] = inspect_defaults(run.path)
            effective[run.run_id] = check_parameters(
                run.notebook, run.parameters, matrix=matrix, defaults=defaults[run.notebook],
                index=index,
            )
        except ValueError as exc:  # ParameterError included
            refused.append(f"{run.run_id}: {exc}")
    return effective, refused


def _tasks(out: Path, runs: list[Run], matrix: Matrix, effective: dict,
           timeout: float | None = DEFAULT_TIMEOUT) -> list[Any]:
    from thyroid_evidence.build.worker import RunTask

    tasks = []
    for run in runs:
        staging = out / STATE_DIR / "staging" / run.run_id
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        (out / STATE_DIR / "logs" / f"{run.run_id}.log").unlink(missing_ok=True)
        parameters = dict(run.parameters)
        if "output_dir" in effective[run.run_id]:
            parameters["output_dir"] = str(out)
        # The whole environment travels with the task: worker processes outlive a build
        # (fork server) and must not run kernels with a stale environment.
        env = {**_kernel_env(matrix), config.STAGING_ENV: str(staging)}
        tasks.append(
            RunTask(
                run_id=run.run_id,
                input_path=str(run.path),
                staging_dir=str(staging),
                final_notebook=str(out / "notebooks" / f"{run.run_id}.ipynb"),
                parameters=parameters,
                cwd=str(run.path.parent),
                env=env,
                log_path=str(out / STATE_DIR / "logs" / f"{run.run_id}.log"),
                run_timeout=timeout,
            )
        )
    return tasks


def _run_all(
    out: Path,
    runs: list[Run],
    matrix: Matrix,
    jobs: int,
    stream: TextIO,
    manifest: Manifest,
    digests: dict[str, str],
    effective: dict[str, dict[str, Any]],
    pool: Any = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    origin: str = ORIGIN_BUILD,
) -> tuple[list[str], list[FailedRun]]:
    """Execute ``runs``, ``jobs`` at a time; with ``pool`` (a KernelPool), in kept kernels."""
    from thyroid_evidence.build.worker import execute_task

    tasks = _tasks(out, runs, matrix, effective, timeout)
    by_id = {r.run_id: r for r in runs}
    progress = _Progress(len(tasks), stream)
    executed: list[str] = []
    failed: list[FailedRun] = []

    def finish(result: Any) -> None:
        run = by_id[result.run_id]
        staging = out / STATE_DIR / "staging" / run.run_id
        if result.ok:
            _commit(out, run, staging, manifest, digests[run.run_id], effective[run.run_id],
                    result.seconds, matrix.evidence_dir, origin)
            executed.append(run.run_id)
            progress.line("ok", run.run_id, f"{result.seconds:.1f} s")
        else:
            saved, why = keep_failed_notebook(out, run.run_id, staging)
            failed.append(FailedRun(run_id=run.run_id, notebook=run.notebook,
                                    description=result.failure.describe(),
                                    saved_notebook=saved, notebook_problem=why))
            progress.line("FAILED", run.run_id, result.failure.describe())

    import concurrent.futures as cf
    import queue

    from thyroid_evidence.build.worker import RunFailure, RunResult, kill_kernels, write_pages

    # Threads suffice: the work happens in the kernels (separate processes); papermill
    # and nbconvert are imported once, here. A single job runs in a thread too: in the main
    # thread nbclient takes SIGINT for itself and Ctrl-C would not stop the build.
    # A run's pages (HTML copy; slides and handout of a teaching notebook, printed by
    # Chromium) are written on a thread of their own, so that its kernel takes the next run
    # meanwhile; a run is committed once its pages are written.
    threads = cf.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="run")
    writer = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="pages")
    results: queue.Queue = queue.Queue()

    def crashed(task: Any, exc: BaseException) -> RunResult:
        return RunResult(run_id=task.run_id, ok=False, seconds=0.0,
                         failure=RunFailure(ename=type(exc).__name__, evalue=str(exc)))

    def pages(task: Any, result: Any) -> None:
        try:
            results.put(write_pages(task, result))
        except BaseException as exc:  # noqa: BLE001 - never leave the build waiting
            results.put(crashed(task, exc))

    def run(task: Any) -> None:
        try:
            result = execute_task(task, pool, pages=False)
        except BaseException as exc:  # noqa: BLE001 - never leave the build waiting
            results.put(crashed(task, exc))
            return
        if result.ok:
            try:
                writer.submit(pages, task, result)
                return
            except RuntimeError as exc:  # the writer was shut down: the build is stopping
                result = crashed(task, exc)
        results.put(result)

    futures = [threads.submit(run, task) for task in tasks]
    try:
        for _ in tasks:
            finish(results.get())
    except BaseException:
        for future in futures:
            future.cancel()
        if pool is not None:
            pool.stop()  # workers waiting for a kernel get none
        kill_kernels()  # the running notebooks fail at once and their threads return
        threads.shutdown(wait=True)
        writer.shutdown(wait=True, cancel_futures=True)
        raise
    threads.shutdown(wait=True)
    writer.shutdown(wait=True)
    return executed, failed


def _commit(
    out: Path,
    run: Run,
    staging: Path,
    manifest: Manifest,
    digest: str,
    effective: dict[str, Any],
    seconds: float,
    evidence_dir: Path | None = None,
    origin: str = ORIGIN_BUILD,
) -> None:
    record_path = staging / ".records" / f"{run.run_id}.json"
    record = json.loads(record_path.read_text(encoding="utf-8")) if record_path.is_file() else {}
    files = staged_files(staging)
    old = manifest.runs.get(run.run_id, {}).get("outputs", {})
    commit_run(out, run.run_id, staging, files, old)
    manifest.record(
        run.run_id,
        {
            "hash": digest,
            "notebook": run.notebook,
            "title": run.title,
            "parameters": {k: v for k, v in effective.items() if k != "output_dir"},
            "figures": record.get("figures", []),
            "tables": record.get("tables", []),
            "seconds": round(seconds, 2),
            "evidence": str(evidence_dir) if evidence_dir is not None else None,
            "origin": origin,
            "files": files,
        },
    )


def remove_stale_runs(out: Path, manifest: Manifest, keep: set[str]) -> list[str]:
    """Delete the files and manifest entries of the build's runs whose ids are not in ``keep``.

    A run leaves the matrix when its study is removed from the evidence, its notebook from the
    run matrix, or its series no longer qualifies; its figures, tables, executed notebook (and
    kept failure and log) would otherwise stay in the output folder and in the report until
    ``make clean``. Runs made by ``thyroid-evidence run`` (origin ``run``) stay. Only files
    inside ``out`` that the manifest lists for the run are deleted. Returns the removed ids.
    Call while holding the build lock.
    """
    base = out.resolve()
    stale = sorted(run_id for run_id, entry in manifest.runs.items()
                   if run_id not in keep and entry.get("origin", ORIGIN_BUILD) != ORIGIN_RUN)
    for run_id in stale:
        entry = manifest.runs[run_id]
        listed = list(entry.get("outputs", {}))
        listed += [f"{STATE_DIR}/failed/{run_id}.ipynb", f"{STATE_DIR}/logs/{run_id}.log"]
        for rel in listed:
            target = (out / rel).resolve()
            if base in target.parents:  # never outside the output folder
                target.unlink(missing_ok=True)
        del manifest.runs[run_id]
    if stale:
        manifest.save()
    return stale


def keep_failed_notebook(out: Path, run_id: str, staging: Path) -> tuple[Path | None,
                                                                           str | None]:
    """Move a failed run's executed notebook to ``.build/failed/`` when it is whole.

    papermill writes the notebook as it runs; a full disk or a kill can leave it cut short.
    Only a notebook that reads back as one is kept (moved, atomically); otherwise none is, and
    the second value says why.
    """
    staged = staging / "notebooks" / f"{run_id}.ipynb"
    kept, why = None, None
    if staged.is_file():
        try:
            import nbformat

            nbformat.reads(staged.read_text(encoding="utf-8"), as_version=4)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            why = f"the executed notebook was not kept: it was not written whole ({exc})"
        else:
            kept = out / STATE_DIR / "failed" / f"{run_id}.ipynb"
            try:
                kept.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, kept)
            except OSError as exc:
                kept, why = None, f"the executed notebook was not kept: {exc}"
    shutil.rmtree(staging, ignore_errors=True)
    return kept, why


def _audit_cached(out: Path, matrix: Matrix, fingerprint: Fingerprint) -> Any:
    """The report's audit section, recomputed only when the evidence or the package changed."""
    import hashlib

    from thyroid_evidence.build.manifest import canonical_json
    from thyroid_evidence.build.report import AuditSection, audit_section

    key = hashlib.sha256(canonical_json(fingerprint.as_dict()).encode()).hexdigest()
    cache = out / STATE_DIR / "audit.json"
    try:
        stored = json.loads(cache.read_text(encoding="utf-8"))
        if stored.get("key") == key:
            return AuditSection(rows=tuple(tuple(row) for row in stored["rows"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    audit = audit_section(matrix.evidence_dir)
    if audit.problem is None:
        try:
            atomic_write_text(cache, json.dumps({"key": key, "rows": audit.rows}))
        except OSError:  # a cache: the next build recomputes it
            pass
    return audit


def _maybe_report(
    out: Path,
    matrix: Matrix,
    manifest: Manifest,
    fingerprint: Fingerprint,
    stream: TextIO,
    audit: Any = None,
) -> tuple[Path | None, str | None]:
    import hashlib

    from thyroid_evidence.build.manifest import canonical_json, file_digest

    state = {
        "runs": {k: {**v, "outputs": sorted(v.get("outputs", {}))}
                 for k, v in manifest.runs.items()},
        "order": [r.run_id for r in matrix.runs()],
        "inputs": fingerprint.as_dict(),
        "template": file_digest(Path(__file__).with_name("templates") / "report.html.j2"),
    }
    digest = hashlib.sha256(canonical_json(state).encode()).hexdigest()
    index_html = out / "report" / "index.html"
    if manifest.report.get("hash") == digest and index_html.is_file():
        return index_html, manifest.report.get("problem")
    from thyroid_evidence.build.report import write_report

    if audit is None:
        audit = _audit_cached(out, matrix, fingerprint)
    try:
        result = write_report(out, matrix, manifest, audit)
    except OSError as exc:  # a full disk: the runs' results and failures are still reported
        problem = f"the report could not be written: {exc}"
        stream.write(f"report problem: {problem}\n")
        return None, problem
    manifest.report = {"hash": digest, "problem": result.problem}
    manifest.save()
    stream.write(f"report: {result.path}\n")
    if result.problem:
        stream.write(f"report problem: {result.problem}\n")
    return result.path, result.problem


def _write_summary(summary: BuildSummary, stream: TextIO) -> None:
    parts = [f"{len(summary.executed)} built", f"{len(summary.skipped)} up to date"]
    if summary.removed:
        parts.append(f"{len(summary.removed)} removed")
    if summary.failed:
        parts.append(f"{len(summary.failed)} FAILED")
    stream.write(f"done in {summary.seconds:.1f} s: {', '.join(parts)}\n")
    for failure in summary.failed:
        stream.write(
            f"FAILED {failure.run_id} (notebook {failure.notebook}.ipynb): "
            f"{failure.description}\n"
        )
        if failure.saved_notebook is not None:
            stream.write(f"       executed notebook kept at {failure.saved_notebook}\n")
        elif failure.notebook_problem:
            stream.write(f"       {failure.notebook_problem}\n")
