"""Committed notebook outputs name no machine's folders.

The notebooks in ``notebooks/`` are committed with the outputs of a real run (``make
notebooks``), which readers see on a forge and nbval compares. A path such as
``/home/someone/thyroid-evidence/build/tables/x.csv`` in them says where one maintainer's
checkout was; paths are shown relative to the project root instead
(:func:`thyroid_evidence.config.display_path`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from thyroid_evidence import config

NOTEBOOKS = sorted(config.notebooks_dir().glob("*.ipynb"))
#: Absolute paths of the usual home, work and temporary folders (POSIX and Windows), and this
#: checkout's own folder wherever it is.
MACHINE_PATH = re.compile(
    r"(?<![\w.:/])(?:/(?:home|Users|work|root|tmp|private|var/folders|mnt|opt)/[^\s'\"]+"
    r"|[A-Za-z]:\\\\?(?:Users|home)\\)"
)


def _texts(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)


def machine_paths(notebook: Path) -> list[str]:
    """``cell N: path`` for every machine path in the outputs and metadata of ``notebook``."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    root = str(config.project_root())
    found = []
    places = [("notebook metadata", nb.get("metadata", {}))]
    places += [(f"cell {i}", [c.get("outputs", []), c.get("metadata", {})])
               for i, c in enumerate(nb.get("cells", []))]
    for where, value in places:
        for text in _texts(value):
            hits = MACHINE_PATH.findall(text) + ([root] if root in text else [])
            found += [f"{where}: {hit}" for hit in dict.fromkeys(hits)]
    return found


def test_the_pattern_finds_machine_paths_and_nothing_else() -> None:
    hits = MACHINE_PATH.findall(
        "evidence OK (/work/main/evidence); PosixPath('/home/ann/kit/build/x.csv'); "
        r"C:\Users\ann\kit; /Users/bo/kit; "
        "PosixPath('<project>/build/tables/x.csv'); build/figures/a.png; 1/2; "
        "https://example.org/home/page; dates 2024/05/01")
    assert hits == ["/work/main/evidence);", "/home/ann/kit/build/x.csv",
                    "C:\\Users\\", "/Users/bo/kit;"]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_outputs_hold_no_machine_path(notebook: Path) -> None:
    assert machine_paths(notebook) == []
