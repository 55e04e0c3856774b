"""What a notebook knows about its run once its parameters are checked, and how it saves outputs.

``run.save_figure(fig, caption=...)`` and ``run.save_table(frame, caption=...)`` write the run's
files under ``figures/`` and ``tables/`` of its output folder (or of the build's staging folder,
named by ``THYROID_EVIDENCE_STAGING_DIR``) and record them with their captions for the report.
matplotlib and pandas are the caller's: nothing here imports them before a figure is saved.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thyroid_evidence import config, vocab
from thyroid_evidence.files import atomic_write_bytes, atomic_write_text

_KEY = re.compile(r"[a-z0-9_]+")


def save_table(table: Any, path: str | Path) -> Path:
    """Save a DataFrame as CSV: UTF-8, ``\\n`` line ends, no index, written atomically.

    Parameters
    ----------
    table : pandas.DataFrame
        Written with its column names; use ``reset_index()`` first to keep an index.
    path : str or Path
        Destination; must end in ``.csv``.

    Raises
    ------
    TypeError
        If ``table`` is not a DataFrame (has no ``to_csv``).
    ValueError
        If ``path`` does not end in ``.csv``.
    """
    path = Path(path)
    if path.suffix != ".csv":
        raise ValueError(f"path must end in '.csv', got {path.name!r}")
    if not hasattr(table, "to_csv"):
        raise TypeError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    return atomic_write_text(path, table.to_csv(index=False, lineterminator="\n"))


@dataclass(frozen=True)
class RunContext:
    """What a notebook knows about its run once its parameters are checked.

    Attributes
    ----------
    notebook, run_id : str
        ``run_id`` is the stem of the run's outputs: ``notebook[-series_id[-endpoint]]``.
    parameters : mapping
        Effective parameter values.
    output_dir : Path
        Where the outputs end up (``figures/``, ``tables/`` below it).
    figure_formats : tuple of str
    """

    notebook: str
    run_id: str
    parameters: Mapping[str, Any]
    output_dir: Path
    figure_formats: tuple[str, ...] = vocab.FIGURE_FORMATS
    _records: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def write_dir(self) -> Path:
        """Where files are written now: the build's staging folder, else :attr:`output_dir`."""
        staging = config.staging_dir()
        return staging if staging is not None else self.output_dir

    def stem(self, key: str | None = None) -> str:
        """Output stem: the run id, plus ``-key`` for a second figure or table of the run."""
        if key is None:
            return self.run_id
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise ValueError(f"key must match [a-z0-9_]+, got {key!r}")
        return f"{self.run_id}-{key}"

    def save_figure(self, fig: Any, key: str | None = None, caption: str = "") -> tuple[Path, ...]:
        """Save ``fig`` as ``figures/<stem>.<format>`` for each of :attr:`figure_formats`.

        Deterministic bytes (see :func:`thyroid_evidence.plotting.figures.save_figure`); the
        caption goes into the report. In a notebook, the cell shows the saved file (the SVG
        when written) and the figure is closed, so what the reader sees is what was written.
        """
        from thyroid_evidence.plotting.figures import save_figure

        stem = self.stem(key)
        paths = save_figure(fig, self.write_dir / "figures" / stem, self.figure_formats,
                            show=True)
        self._record("figures", stem, caption, [f"figures/{p.name}" for p in paths])
        return tuple(self.output_dir / "figures" / p.name for p in paths)

    def save_table(self, table: Any, key: str | None = None, caption: str = "") -> Path:
        """Save a DataFrame as ``tables/<stem>.csv`` (deterministic, atomic)."""
        stem = self.stem(key)
        path = save_table(table, self.write_dir / "tables" / f"{stem}.csv")
        self._record("tables", stem, caption, [f"tables/{path.name}"])
        return self.output_dir / "tables" / path.name

    def _record(self, kind: str, stem: str, caption: str, files: list[str]) -> None:
        """Rewrite the run's record (its outputs and captions), which the build reads."""
        items = [item for item in self._records.setdefault(kind, []) if item["stem"] != stem]
        items.append({"stem": stem, "caption": str(caption), "files": files})
        self._records[kind] = items
        record = {
            "notebook": self.notebook,
            "run_id": self.run_id,
            "parameters": {k: v for k, v in self.parameters.items() if k != "output_dir"},
            "figures": self._records.get("figures", []),
            "tables": self._records.get("tables", []),
        }
        text = json.dumps(record, indent=1, sort_keys=True, default=str) + "\n"
        atomic_write_bytes(self.write_dir / ".records" / f"{self.run_id}.json", text.encode())
