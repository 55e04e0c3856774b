"""Rules a parameter's value must follow beyond its type (ranges, choices), and the common ones.

Allowed values are listed in the order they are declared (the vocabularies of
:mod:`thyroid_evidence.vocab` are tuples), so messages do not change with ``PYTHONHASHSEED``.
Standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

from thyroid_evidence import vocab

#: Type names a rule's ``kinds`` may list in the run matrix file.
KIND_NAMES: Mapping[str, type] = MappingProxyType(
    {"str": str, "int": int, "float": float, "bool": bool, "list": list}
)


def vocabulary(name: str, where: str = "") -> tuple[Any, ...]:
    """The list called ``name`` in :mod:`thyroid_evidence.vocab` (a tuple, or a mapping's keys).

    Raises
    ------
    LookupError
        If vocab has no public list of that name; lists those it has.
    """
    value = None if name.startswith("_") else getattr(vocab, name, None)
    if isinstance(value, tuple | Mapping):
        return tuple(value)
    known = [key for key, v in vars(vocab).items()
             if key.isupper() and not key.startswith("_") and isinstance(v, tuple | Mapping)]
    prefix = f"{where}: " if where else ""
    raise LookupError(
        f"{prefix}{name!r} is not a list of thyroid_evidence.vocab; known: {', '.join(known)}"
    )


def listing(values: Any) -> str:
    """Values as a message lists them, in the order given (strings without quotes)."""
    return ", ".join(v if isinstance(v, str) else repr(v) for v in values)


@dataclass(frozen=True)
class Rule:
    """Allowed values of one parameter beyond its type.

    Parameters
    ----------
    minimum, maximum : float, optional
        Bounds, inclusive unless ``exclusive_minimum`` / ``exclusive_maximum``.
    choices : tuple, optional
        The value must be one of these.
    subset_of : tuple, optional
        For list parameters: every element must be one of these.
    nonempty : bool
        For list parameters: at least one element.
    allow_none : bool
        None is accepted whatever the default's type.
    kinds : tuple of type, optional
        The value (when not None) must be an instance of one of these; for parameters whose
        default is None.
    at_least : str, optional
        The name of another parameter of the same notebook: this value must not be smaller
        than that one's (for example ``icc_high`` at least ``icc_low``).
    """

    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    choices: tuple[Any, ...] | None = None
    subset_of: tuple[Any, ...] | None = None
    nonempty: bool = False
    allow_none: bool = False
    kinds: tuple[type, ...] | None = None
    at_least: str | None = None

    @classmethod
    def from_table(cls, table: Mapping[str, Any], where: str = "rule") -> Rule:
        """A rule from a TOML table of the run matrix.

        ``choices`` and ``subset_of`` are lists or the name of a list in
        :mod:`thyroid_evidence.vocab` (``choices = "CI_METHODS"``); ``kinds`` lists type names
        (:data:`KIND_NAMES`).

        Raises
        ------
        ValueError
            For an unknown key or a value of the wrong kind, naming ``where``.
        LookupError
            For an unknown vocabulary or type name.
        """
        if not isinstance(table, Mapping):
            raise ValueError(f"{where} must be a table, got {table!r}")
        allowed = tuple(f.name for f in fields(cls))
        unknown = [key for key in table if key not in allowed]
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: "
                             f"{', '.join(allowed)}")
        values: dict[str, Any] = {}
        for key, value in table.items():
            if key in ("choices", "subset_of"):
                if isinstance(value, str):
                    value = vocabulary(value, f"{where}.{key}")
                elif isinstance(value, list):
                    value = tuple(value)
                else:
                    raise ValueError(f"{where}.{key} must be a list or the name of a vocab "
                                     f"list, got {value!r}")
            elif key == "kinds":
                if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
                    raise ValueError(f"{where}.kinds must be a list of type names, got {value!r}")
                bad = [k for k in value if k not in KIND_NAMES]
                if bad:
                    raise LookupError(f"{where}.kinds: unknown type(s) {', '.join(bad)}; "
                                      f"known: {', '.join(KIND_NAMES)}")
                value = tuple(KIND_NAMES[k] for k in value)
            elif key == "at_least":
                if not isinstance(value, str) or not value.isidentifier():
                    raise ValueError(f"{where}.at_least must be a parameter name, got "
                                     f"{value!r}")
            elif key in ("minimum", "maximum"):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError(f"{where}.{key} must be a number, got {value!r}")
            elif not isinstance(value, bool):
                raise ValueError(f"{where}.{key} must be true or false, got {value!r}")
            values[key] = value
        return cls(**values)

    def problems(self, name: str, value: Any,
                 values: Mapping[str, Any] | None = None) -> list[str]:
        """Messages for every way ``value`` breaks this rule (empty when it does not).

        ``values`` holds every parameter's value of the run, for ``at_least``.
        """
        if value is None and self.allow_none:
            return []
        out: list[str] = []
        other = None if self.at_least is None or values is None else values.get(self.at_least)
        if (isinstance(other, int | float) and isinstance(value, int | float)
                and not isinstance(value, bool) and value < other):
            out.append(f"{name}={value!r} must be at least {self.at_least}={other!r}")
        if self.kinds is not None and not isinstance(value, self.kinds):
            names = " or ".join(kind.__name__ for kind in self.kinds)
            return [f"{name} must be {names}, got {type(value).__name__} {value!r}"]
        if self.choices is not None and value not in self.choices:
            out.append(f"{name}={value!r} is not allowed; allowed: {listing(self.choices)}")
        if isinstance(value, int | float) and not isinstance(value, bool):
            if isinstance(value, float) and not math.isfinite(value):
                out.append(f"{name}={value!r} must be a finite number")
            elif not self._in_range(value):
                out.append(f"{name}={value!r} is out of range; allowed: {self.describe_range()}")
        if isinstance(value, list | tuple):
            if self.nonempty and not value:
                out.append(f"{name} must not be empty")
            if self.subset_of is not None:
                bad = [item for item in value if item not in self.subset_of]
                if bad:
                    out.append(
                        f"{name} has {listing(bad)} which is not allowed; allowed: "
                        f"{listing(self.subset_of)}"
                    )
                if len(set(map(str, value))) != len(value):
                    out.append(f"{name}={list(value)!r} repeats a value")
        return out

    def _in_range(self, value: float) -> bool:
        if self.minimum is not None:
            if value < self.minimum or (self.exclusive_minimum and value == self.minimum):
                return False
        if self.maximum is not None:
            if value > self.maximum or (self.exclusive_maximum and value == self.maximum):
                return False
        return True

    def describe_range(self) -> str:
        """Interval notation, e.g. ``(0, 1)`` or ``[1, 100000]``."""
        low = "-inf" if self.minimum is None else f"{self.minimum:g}"
        high = "inf" if self.maximum is None else f"{self.maximum:g}"
        left = "(" if self.exclusive_minimum or self.minimum is None else "["
        right = ")" if self.exclusive_maximum or self.maximum is None else "]"
        return f"{left}{low}, {high}{right}"


#: Rules by parameter name, for every notebook (a NotebookSpec's ``rules`` add or replace).
COMMON_RULES: Mapping[str, Rule] = MappingProxyType({
    "alpha": Rule(minimum=0, maximum=0.5, exclusive_minimum=True, exclusive_maximum=True),
    "seed": Rule(minimum=0, maximum=2**32 - 1),
    "n_ensemble": Rule(minimum=1, maximum=100_000),
    "horizon_months": Rule(minimum=0, maximum=600, exclusive_minimum=True),
    "figure_formats": Rule(subset_of=vocab.FIGURE_FORMATS, nonempty=True),
    "output_dir": Rule(allow_none=True, kinds=(str,)),
    "interval_method": Rule(choices=vocab.CI_METHODS),
    "pool_method": Rule(choices=vocab.POOLING_METHODS),
    "status_filter": Rule(subset_of=vocab.STATUSES, nonempty=True),
})
