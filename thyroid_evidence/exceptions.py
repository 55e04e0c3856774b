"""The kit's exceptions and warnings: one root for each.

- :class:`ThyroidEvidenceError` is the root of every error the kit raises on purpose;
  :class:`EvidenceError` (the evidence package fails validation), :class:`ParameterError`
  (a notebook's parameters are refused) and :class:`ArgumentValueError` (a function's
  argument, named by ``parameter``, is refused) are under it. All are also ``ValueError``: a
  wrong value, as Python's own convention has it.
- A wrong *type* of argument raises the built-in ``TypeError``, an unknown id ``LookupError``.
- :class:`ThyroidEvidenceWarning` is the root of the kit's warnings (filter them with
  ``warnings.simplefilter("ignore", ThyroidEvidenceWarning)``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any


class ThyroidEvidenceError(Exception):
    """Root of the errors raised by thyroid-evidence."""


class EvidenceError(ThyroidEvidenceError, ValueError):
    """The evidence package fails validation; ``problems`` lists every problem found.

    Parameters
    ----------
    problems : iterable
        The problems, each printable as ``file:row: column: value — rule``.
    root : Path, optional
        The evidence folder, named in the message.
    """

    def __init__(self, problems: Iterable[Any], root: Path | None = None) -> None:
        self.problems = list(problems)
        self.root = root
        where = f" in {root}" if root is not None else ""
        lines = [f"{len(self.problems)} problem(s) found{where}:"]
        lines += [f"  {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class ParameterError(ThyroidEvidenceError, ValueError):
    """Parameters refused for a notebook; ``problems`` lists every problem found."""

    def __init__(self, notebook: str, problems: list[str]) -> None:
        self.notebook = notebook
        self.problems = list(problems)
        lines = [f"invalid parameters for notebook {notebook!r}:"]
        lines += [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


class ArgumentValueError(ThyroidEvidenceError, ValueError):
    """A function refused the value of one argument; ``parameter`` names that argument.

    For a caller that maps arguments to its own inputs (the command line names the option or
    the file an argument came from), so that no caller reads the message to find out which.

    Parameters
    ----------
    message : str
    parameter : str
        The argument's name, e.g. ``"total_events"``.
    """

    def __init__(self, message: str, parameter: str) -> None:
        self.parameter = parameter
        super().__init__(message)


class ThyroidEvidenceWarning(UserWarning):
    """Root of the warnings issued by thyroid-evidence."""


class PoolingWarning(ThyroidEvidenceWarning):
    """A pooled estimate was computed where metafor would warn (k = 1, Knapp-Hartung with FE)."""
