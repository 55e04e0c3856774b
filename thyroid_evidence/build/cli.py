"""The ``build`` and ``run`` subcommands, for :mod:`thyroid_evidence.cli` to register.

Nothing heavy is imported here: ``thyroid-evidence build`` with nothing to do imports neither
papermill nor pandas nor matplotlib.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Any

from thyroid_evidence.build import DEFAULT_TIMEOUT


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def _common(parser: argparse.ArgumentParser) -> None:
    """``--out``, ``--evidence`` and ``--timeout``, shared by ``build`` and ``run``."""
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="output folder (default: build/ in the repository); not inside "
                             "the evidence or the notebooks")
    parser.add_argument("--evidence", default=None, metavar="DIR",
                        help="evidence folder for every run, the report, the audit and the "
                             "manifest (default: the project's evidence/)")
    parser.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"time limit of each run (default: {DEFAULT_TIMEOUT:g}); a run "
                             "that takes longer fails")


def register(subparsers: Any) -> None:
    """Add ``build`` and ``run`` to an ``argparse`` subparsers object.

    Each sets ``handler``: a function of the parsed namespace returning the exit status.
    """
    build = subparsers.add_parser(
        "build",
        help="execute the notebooks of the run matrix and write figures, tables and the report",
        description=(
            "Execute every run of the matrix (parallel, incremental, atomic) and write "
            "DIR/notebooks, DIR/figures, DIR/tables and DIR/report/index.html."
        ),
    )
    build.add_argument("--jobs", "-j", type=_positive_int, default=None, metavar="N",
                       help="runs at a time (default: number of cores)")
    _common(build)
    build.add_argument("--force", action="store_true",
                       help="rebuild runs that are up to date")
    build.add_argument("--only", default=None, metavar="PATTERN",
                       help="only runs whose id or notebook matches this glob, e.g. 'survival-*'; "
                            "several separated by commas")
    build.add_argument("--fresh-kernels", action="store_true",
                       help="start a new kernel for every run (default: each job keeps one "
                            "kernel across its runs, reset between runs)")
    build.set_defaults(handler=build_command)

    run = subparsers.add_parser(
        "run",
        help="run one notebook with parameters through the build",
        description="Check the parameters, execute NOTEBOOK and move its outputs into DIR.",
    )
    run.add_argument("notebook", metavar="NOTEBOOK",
                     help="notebook name (e.g. survival) or path (notebooks/survival.ipynb)")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                     metavar=("NAME", "VALUE"), help="set a parameter (repeatable)")
    _common(run)
    run.set_defaults(handler=run_command)


def _out_problem(out: str | None) -> str | None:
    """Why ``--out`` cannot be an output folder, or None."""
    if out is None:
        return None
    path = Path(out)
    for parent in (path, *path.parents):
        if parent.exists():
            if not parent.is_dir():
                return f"--out {out}: {parent} exists and is not a folder"
            if not os.access(parent, os.W_OK):
                return f"--out {out}: {parent} is not writable"
            return None
    return None


def build_command(args: argparse.Namespace) -> int:
    """Handler of ``thyroid-evidence build``."""
    from thyroid_evidence.build.execute import build

    problem = _out_problem(args.out)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    try:
        summary = build(args.out, jobs=args.jobs, force=args.force, only=args.only,
                        fresh_kernels=args.fresh_kernels, evidence=args.evidence,
                        timeout=args.timeout)
    except (ValueError, LookupError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return summary.exit_code


def run_command(args: argparse.Namespace) -> int:
    """Handler of ``thyroid-evidence run``."""
    from thyroid_evidence.build.execute import run_notebook

    names = [name for name, _ in args.parameter]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        print(f"error: parameter(s) given more than once: {', '.join(repeated)}", file=sys.stderr)
        return 1
    problem = _out_problem(args.out)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    try:
        summary = run_notebook(args.notebook, dict(args.parameter), out=args.out,
                               cli_strings=True, evidence=args.evidence, timeout=args.timeout)
    except (ValueError, LookupError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return summary.exit_code

