"""Atomic runs: a run's outputs are replaced all at once or not at all.

Every file is written atomically (:mod:`thyroid_evidence.files`). A run's files are first
written to a staging folder; :func:`commit_run` moves them into place under a journal, so an
interrupted commit is completed by the next build (:func:`recover`) and a run never ends up as
a mix of old and new files.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from thyroid_evidence.files import atomic_write_text

#: Folder under the output directory that holds the build's own state.
STATE_DIR = ".build"


def staged_files(staging: Path) -> list[str]:
    """Relative paths of the files a run left in its staging folder (sorted, no records)."""
    files = []
    for path in staging.rglob("*"):
        rel = path.relative_to(staging).as_posix()
        if path.is_file() and not rel.startswith(".") and ".tmp" not in path.name:
            files.append(rel)
    return sorted(files)


def commit_run(
    out: Path, run_id: str, staging: Path, files: Iterable[str], obsolete: Iterable[str]
) -> None:
    """Move a run's staged ``files`` into ``out`` and delete its ``obsolete`` old files.

    A journal is written first and removed last; :func:`recover` replays a journal left by an
    interruption, so the run ends up entirely new (never a mix).
    """
    journal = {
        "run_id": run_id,
        "staging": str(staging),
        "moves": sorted(files),
        "deletes": sorted(set(obsolete) - set(files)),
    }
    path = out / STATE_DIR / "journal" / f"{run_id}.json"
    atomic_write_text(path, json.dumps(journal, indent=1))
    _replay(out, journal)
    path.unlink()
    shutil.rmtree(staging, ignore_errors=True)


def _replay(out: Path, journal: dict) -> None:
    staging = Path(journal["staging"])
    for rel in journal["moves"]:
        source, target = staging / rel, out / rel
        if source.exists():  # already moved when replaying an interrupted commit
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
    for rel in journal["deletes"]:
        with contextlib.suppress(FileNotFoundError):
            (out / rel).unlink()


def pending_journals(out: Path) -> list[dict]:
    """Journals of commits that were interrupted."""
    folder = out / STATE_DIR / "journal"
    if not folder.is_dir():
        return []
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


def recover(out: Path) -> list[str]:
    """Finish interrupted commits and delete stale staging folders; returns the run ids redone.

    Only call while holding the build lock.
    """
    done = []
    for journal in pending_journals(out):
        _replay(out, journal)
        (out / STATE_DIR / "journal" / f"{journal['run_id']}.json").unlink()
        shutil.rmtree(journal["staging"], ignore_errors=True)
        done.append(journal["run_id"])
    shutil.rmtree(out / STATE_DIR / "staging", ignore_errors=True)
    for tmp in _stray_temporaries(out):
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return done


def _stray_temporaries(out: Path) -> list[Path]:
    found = []
    for sub in ("figures", "tables", "notebooks", "report"):
        folder = out / sub
        if folder.is_dir():
            found += [p for p in folder.glob(".*.tmp") if p.is_file()]
    return found


@contextlib.contextmanager
def build_lock(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``out`` for the duration (one build per output folder)."""
    import fcntl

    lock_path = out / STATE_DIR / "lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ValueError(f"another build is writing to {out} (lock {lock_path})") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
