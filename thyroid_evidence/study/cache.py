"""A content-addressed store of computed results, shared by every notebook of a build.

Several notebooks of one build ask for the same scenario set (the survival run of a series,
the comparison, the teaching walk-through); the grid is deterministic, so it is computed once
and read back by the others. An entry is plain JSON (never pickle), written atomically
(:func:`thyroid_evidence.files.atomic_write_text`) under
``<cache dir>/results/<function>-<key>.json``, where the cache dir is
:func:`thyroid_evidence.config.cache_dir` (``THYROID_EVIDENCE_CACHE``, else the user's cache
folder; never under ``evidence/``).

The key (:func:`result_key`) is the SHA-256 of the function's name, its complete arguments
(for a scenario set: the normalised specification read from the evidence, so any change to an
evidence row the reconstruction reads changes the key), the package version, the versions
of numpy, scipy and pandas, and the bytes of every source file of the package (so an edited
checkout never reads a result of other code). An unreadable, truncated or foreign entry is a
miss; a folder that cannot be written only costs the next process the computation.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TypeVar

from thyroid_evidence.config import PACKAGE_DIR, cache_dir
from thyroid_evidence.files import atomic_write_text

T = TypeVar("T")

#: Sub-folder of the cache dir holding the results.
RESULTS_FOLDER = "results"
#: Most results kept: storing one more removes the least recently written (every edit of the
#: package changes every key, so old entries are never read again).
MAX_RESULTS = 64


@functools.cache
def code_fingerprint() -> str:
    """SHA-256 over the package's version, its libraries' versions and every source file."""
    digest = hashlib.sha256()
    for name in ("thyroid-evidence", "numpy", "scipy", "pandas"):
        try:
            digest.update(f"{name}=={version(name)}\0".encode())
        except PackageNotFoundError:  # a source tree on PYTHONPATH, not installed
            digest.update(f"{name} not installed\0".encode())
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def result_key(function: str, arguments: dict) -> str:
    """Hex SHA-256 naming the result of ``function(**arguments)`` for this code.

    ``arguments`` must be JSON-serialisable (floats are hashed by their shortest round-trip
    text, so equal floats give equal keys).
    """
    text = json.dumps({"function": function, "arguments": arguments,
                       "code": code_fingerprint()}, sort_keys=True, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def results_dir() -> Path:
    """Folder of the stored results."""
    return cache_dir() / RESULTS_FOLDER


def cached(function: str, arguments: dict, compute: Callable[[], T],
           to_data: Callable[[T], dict], from_data: Callable[[dict], T]) -> T:
    """``from_data`` of the stored result of ``function(**arguments)``, or ``compute()``
    (then stored as ``to_data`` of it).

    Parameters
    ----------
    function : str
        Name of the computation (part of the key and of the file name).
    arguments : dict
        Everything the result depends on besides the code (see :func:`result_key`).
    compute : callable
        Computes the result.
    to_data, from_data : callable
        Result to plain JSON data and back; ``from_data`` raises ``ValueError`` on data it
        does not recognise (then the result is computed again).
    """
    path = results_dir() / f"{function}-{result_key(function, arguments)}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return from_data(data)
    except (OSError, ValueError):  # absent, unreadable, truncated or foreign: compute
        pass
    result = compute()
    try:
        text = json.dumps(to_data(result), allow_nan=False, separators=(",", ":"))
        atomic_write_text(path, text)
        _prune(path.parent)
    except OSError:  # a read-only cache folder: the next process computes it again
        pass
    return result


def _prune(folder: Path) -> None:
    """Keep the :data:`MAX_RESULTS` most recently written results."""
    entries = []
    for entry in folder.glob("*.json"):
        try:
            entries.append((entry.stat().st_mtime_ns, entry.name, entry))
        except FileNotFoundError:  # removed meanwhile by another process
            pass
    for _, _, entry in sorted(entries, reverse=True)[MAX_RESULTS:]:
        entry.unlink(missing_ok=True)

