"""Parameter values as the build reads them: papermill's view of a notebook, ``-p`` strings.

The check itself is :func:`thyroid_evidence.notebook.check_parameters`, shared with the cell
each notebook runs after its ``parameters`` cell.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any


def inspect_defaults(notebook_path: str | Path) -> dict[str, Any]:
    """Defaults found by ``papermill.inspect_notebook``, evaluated as literals."""
    import papermill

    found = papermill.inspect_notebook(str(notebook_path))
    defaults: dict[str, Any] = {}
    for name, info in found.items():
        try:
            defaults[name] = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError):
            raise ValueError(
                f"{Path(notebook_path).name}: parameter {name!r} must be a plain literal, "
                f"found {info['default']!r}"
            ) from None
    return defaults


def parse_cli_value(text: str, default: Any) -> Any:
    """Turn a ``-p NAME VALUE`` string into a value of the default's type.

    Text that does not fit the default's type is returned as the string itself, so that
    :func:`thyroid_evidence.notebook.check_parameters` reports it as a wrong type.
    """
    if isinstance(default, bool):
        lowered = text.strip().lower()
        if lowered in {"true", "1", "yes"}:
            return True
        if lowered in {"false", "0", "no"}:
            return False
        return text
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            return text
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            return text
    if isinstance(default, list | tuple):
        stripped = text.strip()
        if stripped.startswith("["):
            try:
                return list(ast.literal_eval(stripped))
            except (ValueError, SyntaxError):
                return text
        return [part.strip() for part in stripped.split(",") if part.strip()]
    if default is None:
        if text.strip().lower() == "none":
            return None
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text
    return text
