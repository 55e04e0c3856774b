"""Parameter checks, shared by the build and by the first cell of every notebook.

The build calls :func:`check_parameters` for every run before any kernel starts; each notebook
calls :func:`check_notebook_parameters` in the cell after its ``parameters`` cell, so a run by
bare ``papermill`` or in JupyterLab stops with the same message::

    run = thyroid_evidence.build.check_notebook_parameters("survival", globals())

Types are checked against the defaults of the notebook's ``parameters`` cell, ranges against
:data:`COMMON_RULES` (plus the notebook's own rules in the matrix), and ``series_id`` /
``endpoint`` against the evidence. Every problem is listed at once.
"""

from __future__ import annotations

import ast
import json
import math
import os
import random
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thyroid_evidence.plotting.figures import FIGURE_FORMATS
from thyroid_evidence.build.matrix import (
    EvidenceIndex,
    Matrix,
    NotebookSpec,
    load_matrix,
    run_id_for,
)
from thyroid_evidence.paths import BUILD_DIR

#: Set by the build in its kernels: outputs go there and are moved into place on success.
STAGING_ENV = "THYROID_EVIDENCE_STAGING_DIR"
_KEY = re.compile(r"^[a-z0-9_]+$")


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
    choices_from, subset_from : str, optional
        ``"module:ATTR"`` naming a tuple that replaces ``choices`` / ``subset_of`` at check time.
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
    choices_from: str | None = None
    subset_from: str | None = None

    def resolved(self) -> Rule:
        """This rule with ``choices_from``/``subset_from`` (``"module:ATTR"``) looked up.

        The references keep the run matrix free of heavy imports: the allowed values live in
        the module that uses them (e.g. ``thyroid_evidence.proportions._checks:CI_METHODS``).
        """
        if self.choices_from is None and self.subset_from is None:
            return self
        from dataclasses import replace

        return replace(
            self,
            choices=_lookup(self.choices_from) if self.choices_from else self.choices,
            subset_of=_lookup(self.subset_from) if self.subset_from else self.subset_of,
            choices_from=None,
            subset_from=None,
        )

    def problems(self, name: str, value: Any) -> list[str]:
        """Messages for every way ``value`` breaks this rule (empty when it does not)."""
        if value is None and self.allow_none:
            return []
        out: list[str] = []
        if self.kinds is not None and not isinstance(value, self.kinds):
            names = " or ".join(kind.__name__ for kind in self.kinds)
            return [f"{name} must be {names}, got {type(value).__name__} {value!r}"]
        if self.choices is not None and value not in self.choices:
            out.append(f"{name}={value!r} is not allowed; allowed: {_listing(self.choices)}")
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
                        f"{name} has {_listing(bad)} which is not allowed; allowed: "
                        f"{_listing(self.subset_of)}"
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
COMMON_RULES: Mapping[str, Rule] = {
    "alpha": Rule(minimum=0, maximum=0.5, exclusive_minimum=True, exclusive_maximum=True),
    "seed": Rule(minimum=0, maximum=2**32 - 1),
    "n_ensemble": Rule(minimum=1, maximum=100_000),
    "horizon_months": Rule(minimum=0, maximum=600, exclusive_minimum=True),
    "figure_formats": Rule(subset_of=FIGURE_FORMATS, nonempty=True),
    "output_dir": Rule(allow_none=True, kinds=(str,)),
    "interval_method": Rule(choices_from="thyroid_evidence.proportions._checks:CI_METHODS"),
    "pool_method": Rule(choices_from="thyroid_evidence.proportions._checks:POOLING_METHODS"),
    "status_filter": Rule(subset_from="thyroid_evidence.audit.rounding:STATUSES", nonempty=True),
}


def _lookup(reference: str) -> tuple[Any, ...]:
    import importlib

    module, _, attr = reference.partition(":")
    return tuple(getattr(importlib.import_module(module), attr))


class ParameterError(ValueError):
    """Parameters refused for a notebook; ``problems`` lists every problem found."""

    def __init__(self, notebook: str, problems: list[str]) -> None:
        self.notebook = notebook
        self.problems = list(problems)
        lines = [f"invalid parameters for notebook {notebook!r}:"]
        lines += [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


def _listing(values: Any) -> str:
    return ", ".join(repr(v) if not isinstance(v, str) else v for v in values)


# --- reading the parameters cell ------------------------------------------------------------


def read_parameter_defaults(notebook_path: str | Path) -> dict[str, Any]:
    """Defaults of the notebook's ``parameters`` cell, parsed with :mod:`ast` (no papermill).

    Gives the same names and values as ``papermill.inspect_notebook`` for a cell of plain
    literal assignments (a test checks that for every notebook); used inside kernels, where
    importing papermill would cost a second per run.

    Raises
    ------
    ValueError
        If there is not exactly one cell tagged ``parameters`` or it holds anything but
        assignments of literals to names.
    """
    path = Path(notebook_path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = [
        c for c in nb.get("cells", [])
        if c.get("cell_type") == "code" and "parameters" in c.get("metadata", {}).get("tags", [])
    ]
    if len(cells) != 1:
        raise ValueError(
            f"{path.name} must have exactly one code cell tagged 'parameters', found {len(cells)}"
        )
    source = cells[0]["source"]
    source = "".join(source) if isinstance(source, list) else source
    defaults: dict[str, Any] = {}
    for node in ast.parse(source).body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        if not isinstance(target, ast.Name) or getattr(node, "value", None) is None:
            raise ValueError(
                f"{path.name}: the parameters cell may only assign literals to names "
                f"(line {node.lineno})"
            )
        try:
            defaults[target.id] = ast.literal_eval(node.value)
        except ValueError:
            raise ValueError(
                f"{path.name}: parameter {target.id!r} must be a plain literal "
                f"(line {node.lineno})"
            ) from None
    return defaults


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


# --- the check ------------------------------------------------------------------------------


def _type_name(default: Any) -> str:
    if isinstance(default, bool):
        return "a bool (True or False)"
    if isinstance(default, int):
        return "an int"
    if isinstance(default, float):
        return "a number"
    if isinstance(default, str):
        return "a str"
    if isinstance(default, list | tuple):
        inner = {type(item).__name__ for item in default}
        return "a list" + (f" of {inner.pop()}" if len(inner) == 1 else "")
    return f"a {type(default).__name__}"


def _type_ok(value: Any, default: Any) -> bool:
    if default is None:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(default, list | tuple):
        if not isinstance(value, list | tuple):
            return False
        kinds = {type(item) for item in default}
        return len(kinds) != 1 or all(_type_ok(item, default[0]) for item in value)
    return isinstance(value, type(default))


def check_parameters(
    notebook: str | NotebookSpec,
    parameters: Mapping[str, Any],
    *,
    matrix: Matrix | None = None,
    defaults: Mapping[str, Any] | None = None,
    index: EvidenceIndex | None = None,
) -> dict[str, Any]:
    """Check a run's parameters and return the effective values (defaults overlaid).

    Parameters
    ----------
    notebook : str or NotebookSpec
        Notebook name (``"survival"``) or its spec.
    parameters : mapping
        Values given for the run.
    matrix : Matrix, optional
        Defaults to :func:`thyroid_evidence.build.matrix.load_matrix`.
    defaults : mapping, optional
        The notebook's defaults; read from its parameters cell when omitted.
    index : EvidenceIndex, optional
        Evidence index; read from the matrix's evidence folder when needed and omitted.

    Returns
    -------
    dict
        Every declared parameter with its effective value.

    Raises
    ------
    ParameterError
        Listing every unknown name, wrong type, out-of-range value and unknown series or
        endpoint, each with the allowed values.
    """
    matrix = matrix if matrix is not None else load_matrix()
    spec = notebook if isinstance(notebook, NotebookSpec) else matrix.spec(notebook)
    if defaults is None:
        defaults = read_parameter_defaults(matrix.path(spec.name))
    problems: list[str] = []

    unknown = sorted(set(parameters) - set(defaults))
    for name in unknown:
        problems.append(
            f"unknown parameter {name!r}; known parameters: {', '.join(sorted(defaults))}"
        )
    effective = dict(defaults)
    wrong_type: set[str] = set()
    for name, value in parameters.items():
        if name not in defaults:
            continue
        default = defaults[name]
        rule = spec.rules.get(name, COMMON_RULES.get(name))
        if value is None and rule is not None and rule.allow_none:
            effective[name] = None
        elif not _type_ok(value, default):
            problems.append(
                f"{name} must be {_type_name(default)} (its default is {default!r}), got "
                f"{type(value).__name__} {value!r}"
            )
            wrong_type.add(name)
        else:
            effective[name] = float(value) if isinstance(default, float) else value

    for name, value in effective.items():
        rule = spec.rules.get(name, COMMON_RULES.get(name))
        if rule is not None and name not in wrong_type:
            problems += rule.resolved().problems(name, value)

    if "series_id" in effective or "endpoint" in effective:
        problems += _evidence_problems(spec, effective, matrix, index)
    if problems:
        raise ParameterError(spec.name, problems)
    return effective


def _evidence_problems(
    spec: NotebookSpec,
    effective: Mapping[str, Any],
    matrix: Matrix,
    index: EvidenceIndex | None,
) -> list[str]:
    index = index if index is not None else matrix.index()
    scope = spec.scope(index)
    problems: list[str] = []
    series_id = effective.get("series_id")
    series_ok = True
    if "series_id" in effective and isinstance(series_id, str):
        if series_id not in scope:
            series_ok = False
            known = series_id in index.series
            why = (
                f"has no outcome that notebook {spec.name!r} uses"
                if known
                else "is not a series of the evidence"
            )
            problems.append(
                f"series_id={series_id!r} {why}; allowed: {', '.join(scope) or '(none)'}"
            )
    endpoint = effective.get("endpoint")
    if "endpoint" in effective and isinstance(endpoint, str):
        if series_ok and isinstance(series_id, str):
            allowed = scope.get(series_id, ())
            where = f"for series {series_id!r} in notebook {spec.name!r}"
        else:
            allowed = tuple(sorted({e for ends in scope.values() for e in ends}))
            where = f"in notebook {spec.name!r}"
        if endpoint not in allowed:
            problems.append(
                f"endpoint={endpoint!r} is not available {where}; allowed: "
                f"{', '.join(allowed) or '(none)'}"
            )
    return problems


def parse_cli_value(name: str, text: str, default: Any) -> Any:
    """Turn a ``-p NAME VALUE`` string into a value of the default's type.

    Text that does not fit the default's type is returned as the string itself, so that
    :func:`check_parameters` reports it as a wrong type.
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


# --- inside the notebook --------------------------------------------------------------------


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
    figure_formats: tuple[str, ...] = FIGURE_FORMATS
    _records: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def write_dir(self) -> Path:
        """Where files are written now: the build's staging folder, else :attr:`output_dir`."""
        staging = os.environ.get(STAGING_ENV)
        return Path(staging) if staging else self.output_dir

    def stem(self, key: str | None = None) -> str:
        """Output stem: the run id, plus ``-key`` for a second figure or table of the run."""
        if key is None:
            return self.run_id
        if not _KEY.fullmatch(key):
            raise ValueError(f"key must match [a-z0-9_]+, got {key!r}")
        return f"{self.run_id}-{key}"

    def save_figure(self, fig: Any, key: str | None = None, caption: str = "") -> tuple[Path, ...]:
        """Save ``fig`` as ``figures/<stem>.<format>`` for each of :attr:`figure_formats`.

        Deterministic bytes (see :func:`thyroid_evidence.build.figures.save_figure`); the
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
        from thyroid_evidence.build.outputs import save_table

        stem = self.stem(key)
        path = save_table(table, self.write_dir / "tables" / f"{stem}.csv")
        self._record("tables", stem, caption, [f"tables/{path.name}"])
        return self.output_dir / "tables" / path.name

    def _record(self, kind: str, stem: str, caption: str, files: list[str]) -> None:
        from thyroid_evidence.build.outputs import atomic_write_bytes

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


def _injected_names(namespace: Mapping[str, Any]) -> set[str]:
    """Names papermill injected (its cell starts with ``# Parameters``), from IPython's ``In``."""
    history = namespace.get("In")
    if not isinstance(history, list):
        return set()
    names: set[str] = set()
    for source in history:
        if isinstance(source, str) and source.lstrip().startswith("# Parameters"):
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            names = {
                target.id
                for node in tree.body if isinstance(node, ast.Assign)
                for target in node.targets if isinstance(target, ast.Name)
            }
    return names


def check_notebook_parameters(notebook: str, namespace: Mapping[str, Any]) -> RunContext:
    """Check the parameters of the running notebook; call right after the parameters cell.

    Parameters
    ----------
    notebook : str
        The notebook's name in the run matrix, e.g. ``"survival"``.
    namespace : mapping
        ``globals()`` of the notebook.

    Returns
    -------
    RunContext
        With ``save_figure`` / ``save_table`` writing the run's outputs. Seeds Python's and
        NumPy's global generators with ``seed`` when the notebook has one.

    Raises
    ------
    ParameterError
        The same message the build gives before starting a kernel.
    """
    matrix = load_matrix()
    spec = matrix.spec(notebook)
    defaults = read_parameter_defaults(matrix.path(spec.name))
    names = set(defaults) | _injected_names(namespace)
    given = {name: namespace[name] for name in sorted(names) if name in namespace}
    effective = check_parameters(spec, given, matrix=matrix, defaults=defaults)
    if "seed" in effective:
        random.seed(effective["seed"])
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed(effective["seed"])
    output_dir = effective.get("output_dir")
    formats = effective.get("figure_formats", FIGURE_FORMATS)
    return RunContext(
        notebook=spec.name,
        run_id=run_id_for(spec.name, spec.for_each, effective),
        parameters=effective,
        output_dir=Path(output_dir) if output_dir else BUILD_DIR,
        figure_formats=tuple(formats),
    )

