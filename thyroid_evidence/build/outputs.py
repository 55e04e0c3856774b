"""Atomic files and atomic runs.

Every file is written to a hidden temporary name in its destination folder and renamed into
place (``os.replace``), so a reader never sees half a file. A run's files are first written to
a staging folder; :func:`commit_run` moves them into place under a journal, so an interrupted
commit is completed by the next build (:func:`recover`) and a run never ends up as a mix of old
and new files.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

#: Folder under the output directory that holds the build's own state.
STATE_DIR = ".build"


@contextlib.contextmanager
def atomic_open(path: str | Path) -> Iterator[IO[bytes]]:
    """Open a temporary file beside ``path`` for writing; rename it to ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_open(path) as fh:
        fh.write(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (``\\n`` line ends); returns the path."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def save_table(table: Any, path: str | Path) -> Path:
    """Save a DataFrame as CSV: UTF-8, ``\\n`` line ends, no index, written atomically.

    Parameters
    ----------
    table : pandas.DataFrame
        Written with its column names; use ``reset_index()`` first to keep an index.
    path : str or Path
        Destination; must end in ``.csv``.
    """
    path = Path(path)
    if path.suffix != ".csv":
        raise ValueError(f"path must end in '.csv', got {path.name!r}")
    if not hasattr(table, "to_csv"):
        raise ValueError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    text = table.to_csv(index=False, lineterminator="\n")
    return atomic_write_text(path, text)


# --- committing a run -----------------------------------------------------------------------


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
