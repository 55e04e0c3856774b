"""Benchmark of ``thyroid-evidence build`` against its floor and the naive way.

(a) floor: per run of the matrix, start a kernel and execute the notebook's import cells (the
    code cells above its parameters cell), ``--jobs`` at a time;
(b) cold build: ``thyroid-evidence build --out TMP --jobs N`` into an empty folder;
(c) no-op rebuild: the same command again;
(d) naive: a sequential loop of the ``papermill`` command over the same runs.

Targets: (b) <= 1.2 x (a), (b) <= 0.6 x (d), (c) < 1 s. Plain script; prints its
figures. ``--matrix fixture`` uses the test fixtures (three tiny runs) instead of the project's
notebooks (the default when they are not all present).

Everything runs on a snapshot of the package, notebooks and evidence (copied to a temporary
folder and put first on PYTHONPATH), so edits made to the working tree meanwhile cannot turn
the no-op rebuild into a real one.

Usage: python benchmarks/bench_build.py [--jobs N] [--matrix project|fixture] [--skip-naive]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def import_cells(notebook: Path) -> str:
    """Source of the code cells above the ``parameters`` cell."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    sources = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            break
        source = cell["source"]
        sources.append("".join(source) if isinstance(source, list) else source)
    return "\n".join(sources)


def start_kernel_and_import(code: str, cwd: str) -> float:
    """Start a python3 kernel, run ``code``, shut the kernel down; seconds."""
    from jupyter_client.manager import start_new_kernel

    start = time.perf_counter()
    manager, client = start_new_kernel(kernel_name="python3", cwd=cwd, startup_timeout=120)
    try:
        reply = client.execute_interactive(code, timeout=300, store_history=False,
                                           output_hook=lambda msg: None)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"import cell failed: {reply['content']}")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)
    return time.perf_counter() - start


def floor(runs: list, jobs: int) -> float:
    """Wall time of (a)."""
    codes = {r.notebook: import_cells(r.path) for r in runs}
    start = time.perf_counter()
    with cf.ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(lambda r: start_kernel_and_import(codes[r.notebook], str(r.path.parent)),
                      runs))
    return time.perf_counter() - start


def timed(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=ROOT.parent, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return seconds


def naive(runs: list, out: Path, env: dict) -> float:
    """Wall time of (d): ``papermill IN OUT -y PARAMS`` one run after the other."""
    papermill = str(Path(sys.executable).with_name("papermill"))
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for run in runs:
        params = {**run.parameters, "output_dir": str(out)}
        subprocess.run(
            [papermill, str(run.path), str(out / "notebooks" / f"{run.run_id}.ipynb"),
             "-y", json.dumps(params), "--cwd", str(run.path.parent), "--no-progress-bar"],
            env=env, check=True, capture_output=True,
        )
    return time.perf_counter() - start


def breakdown(out: Path, jobs: int, cold: float) -> None:
    """Split the cold build's time: kernel start + import cells, the rest of the notebooks,
    and what is left for the build machinery (from papermill's per-cell timings)."""
    from datetime import datetime

    start_import, rest = 0.0, 0.0
    for path in sorted((out / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        meta = nb["metadata"]["papermill"]
        begin = datetime.fromisoformat(meta["start_time"])
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        tagged = next(i for i, c in enumerate(code)
                      if "parameters" in c["metadata"].get("tags", []))
        last_import = code[tagged - 1]["metadata"]["papermill"]
        end_import = datetime.fromisoformat(last_import["end_time"])
        start_import += (end_import - begin).total_seconds()
        rest += meta["duration"] - (end_import - begin).total_seconds()
    print(f"    of which, summed over runs: papermill start to the end of the import cells "
          f"{start_import:6.1f} s, rest of the notebooks {rest:6.1f} s;")
    machinery = cold - (start_import + rest) / jobs
    # The build starts its kernels (and their imports) before papermill starts timing a run:
    # that start-up is counted here, with the parameter checks, the resets between runs, the
    # HTML export, the commits and the report.
    print(f"    build machinery and kernel start-up (cold build - both / jobs): "
          f"{machinery:5.1f} s")


def snapshot(target: Path) -> Path:
    """Copy what a build reads into ``target``; returns the snapshot's root."""
    for name in ("thyroid_evidence", "notebooks", "evidence", "examples", "tests/fixtures"):
        shutil.copytree(ROOT / name, target / name,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--matrix", choices=("auto", "project", "fixture"), default="auto")
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_build_") as tmp:
        tmp_path = Path(tmp)
        snap = snapshot(tmp_path / "snap")
        # Kernels and commands below import the snapshot, not the working tree.
        os.environ["PYTHONPATH"] = os.pathsep.join(
            [str(snap), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
        os.environ.pop("THYROID_EVIDENCE_MATRIX", None)
        # A fresh cache dir: the cold build starts with nothing remembered, neither passed
        # validations nor stored results (scenario sets, thyroid_evidence.study.cache); the
        # no-op rebuild reuses it, as a second build does.
        os.environ["THYROID_EVIDENCE_CACHE"] = str(tmp_path / "cache")
        sys.path.insert(0, str(snap))
        from thyroid_evidence.notebook import load_matrix

        assert Path(sys.modules["thyroid_evidence"].__file__).is_relative_to(snap)
        project = load_matrix(snap / "notebooks" / "matrix.toml")
        fixture_ref = str(snap / "tests" / "fixtures" / "matrix.toml")
        choice = args.matrix
        if choice == "auto":
            choice = "project" if all(r.path.is_file() for r in project.runs()) else "fixture"
        # the snapshot's matrix (and so its notebooks and evidence), for the build and kernels
        env = {**os.environ, "THYROID_EVIDENCE_ROOT": str(snap)}
        if choice == "fixture":
            env["THYROID_EVIDENCE_MATRIX"] = fixture_ref
        matrix = load_matrix(fixture_ref) if choice == "fixture" else project
        runs = matrix.runs()
        print(f"matrix: {choice} ({len(runs)} runs), jobs: {args.jobs}, cores: {os.cpu_count()}, "
              f"load average: {os.getloadavg()[0]:.2f}")
        print(f"cache dir (validations, stored results): {tmp_path / 'cache'}, empty before "
              "the cold build")

        a = floor(runs, args.jobs)
        print(f"(a) floor (kernel + imports per run, {args.jobs} at a time): {a:7.2f} s")
        command = [sys.executable, "-m", "thyroid_evidence", "build", "--out",
                   str(tmp_path / "build"), "--jobs", str(args.jobs)]
        b = timed(command, env)
        print(f"(b) cold build:                                   {b:7.2f} s   "
              f"= {b / a:.2f} x floor (target <= 1.2)")
        breakdown(tmp_path / "build", args.jobs, b)
        c = timed(command, env)
        print(f"(c) no-op rebuild (whole command):                {c:7.2f} s   (target < 1 s)")
        if not args.skip_naive:
            d = naive(runs, tmp_path / "naive", env)
            print(f"(d) naive sequential papermill loop:              {d:7.2f} s   "
                  f"cold build = {b / d:.2f} x naive (target <= 0.6)")
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
