"""The parameter check a notebook runs first, and the build before any kernel starts.

Each notebook calls :func:`check_notebook_parameters` in the cell after its ``parameters`` cell,
so a run by bare ``papermill`` or in JupyterLab stops with the message the build gives::

    run = thyroid_evidence.notebook.check_notebook_parameters("survival", globals())

Types are checked against the defaults of the notebook's ``parameters`` cell, ranges against
:data:`~thyroid_evidence.notebook.rules.COMMON_RULES` (plus the notebook's own rules in the
run matrix), and ``series_id`` / ``endpoint`` against the evidence. Every problem is listed at
once. Standard library only.
"""

from __future__ import annotations

import ast
import difflib
import json
import random
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from thyroid_evidence import config, vocab
from thyroid_evidence.exceptions import ParameterError, ThyroidEvidenceWarning
from thyroid_evidence.notebook.context import RunContext
from thyroid_evidence.notebook.display import show_paths_from_project_root
from thyroid_evidence.notebook.matrix import (
    EvidenceIndex,
    Matrix,
    NotebookSpec,
    load_matrix,
    spec_run_id,
)
from thyroid_evidence.notebook.rules import COMMON_RULES

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
        Defaults to :func:`thyroid_evidence.notebook.matrix.load_matrix`.
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
            problems += rule.problems(name, value, effective)

    if "series_id" in effective or "endpoint" in effective or "curve_id" in effective:
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
    curve_id = effective.get("curve_id")
    if isinstance(curve_id, str) and curve_id not in index.curves:
        problems.append(
            f"curve_id={curve_id!r} is not a curve of the evidence (curves/points.csv); "
            f"allowed: {', '.join(index.curves) or '(none: the evidence has no curves)'}"
        )
    return problems


# --- inside the notebook ----------------------------------------------------------------------


class ParameterWarning(ThyroidEvidenceWarning):
    """A name assigned in a notebook's parameters cell is not one of its parameters.

    Such a name has no effect (a misspelt ``seris_id = ...`` leaves ``series_id`` at its
    value), so the check cell says so, with the nearest parameter name.
    """


def _history(namespace: Mapping[str, Any]) -> list[str]:
    """The cells the kernel ran, oldest first (IPython's ``In``), without the running one."""
    history = namespace.get("In")
    if not isinstance(history, list):
        return []
    # In[-1] is the cell running now (IPython stores a cell before it runs it)
    return [s for s in history[:-1] if isinstance(s, str)]


def _assigned_names(source: str) -> list[tuple[str, int]] | None:
    """Names (with their line) a cell of nothing but assignments to plain names assigns, or
    None for any other cell (a cell that calls, imports, loops ... is not a parameters cell)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    names: list[tuple[str, int]] = []
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append((node.target.id, node.lineno))
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            names += [(t.id, node.lineno) for t in node.targets]
        else:
            return None
    return names or None


def _parameters_cell_names(namespace: Mapping[str, Any],
                           declared: Mapping[str, Any]) -> list[tuple[str, int]]:
    """Names (with their line) assigned by the last parameters cell the kernel ran (empty when
    none is found).

    The parameters cell is the last cell run before this check, other than papermill's
    injected one, that only assigns names and assigns at least one declared parameter: in a
    live kernel, the cell as the user edited and ran it, whatever the saved file says.
    """
    for source in reversed(_history(namespace)):
        if source.lstrip().startswith("# Parameters"):  # papermill's cell: checked as given
            continue
        names = _assigned_names(source)
        if names and any(name in declared for name, _ in names):
            return names
    return []


def _warn_about_non_parameters(notebook: str, namespace: Mapping[str, Any],
                               declared: Mapping[str, Any]) -> list[str]:
    """Warn (:class:`ParameterWarning`) about each name of the parameters cell that is not a
    parameter; returns those names."""
    strays = {name: line for name, line in _parameters_cell_names(namespace, declared)
              if name not in declared}
    for name, line in strays.items():
        close = difflib.get_close_matches(name, list(declared), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        # warn_explicit with no registry: shown each time the check runs (a rerun of the
        # cell warns again), unless the user filters ParameterWarning out
        warnings.warn_explicit(
            f"{name!r} is assigned in the parameters cell of notebook {notebook!r} but is "
            f"not one of its parameters, so it has no effect{hint}; parameters: "
            f"{', '.join(declared)}",
            ParameterWarning, filename="parameters cell", lineno=line, module=__name__,
        )
    return list(strays)



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
        With ``save_figure`` / ``save_table`` writing the run's outputs (to ``output_dir``
        when given, else :func:`default_output_dir`). Seeds Python's and NumPy's global
        generators with ``seed`` when the notebook has one. Paths the notebook shows are
        shown relative to the project root (``show_paths_from_project_root``).

    Warns
    -----
    ParameterWarning
        For each name the last parameters cell run assigns that is not a parameter (a
        misspelt name in a live kernel), with the nearest parameter's name.

    Raises
    ------
    ParameterError
        The same message the build gives before starting a kernel.
    """
    matrix = load_matrix()
    spec = matrix.spec(notebook)
    defaults = read_parameter_defaults(matrix.path(spec.name))
    _warn_about_non_parameters(spec.name, namespace, defaults)
    names = set(defaults) | _injected_names(namespace)
    given = {name: namespace[name] for name in sorted(names) if name in namespace}
    effective = check_parameters(spec, given, matrix=matrix, defaults=defaults)
    if "seed" in effective:
        random.seed(effective["seed"])
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed(effective["seed"])
    output_dir = effective.get("output_dir")
    formats = effective.get("figure_formats", vocab.FIGURE_FORMATS)
    show_paths_from_project_root()
    return RunContext(
        notebook=spec.name,
        run_id=spec_run_id(spec, effective),
        parameters=effective,
        output_dir=Path(output_dir) if output_dir else default_output_dir(),
        figure_formats=tuple(formats),
    )


def default_output_dir() -> Path:
    """Where a run without ``output_dir`` puts its outputs.

    In the build (its staging folder is set) the build's folder, ``build/``: the build moves
    the files there. Anywhere else (JupyterLab, bare papermill, ``make notebooks``) the scratch
    folder (:func:`thyroid_evidence.config.scratch_dir`, ``scratch/`` by default), so that an
    edited interactive run never overwrites what the build wrote.
    """
    return config.build_dir() if config.staging_dir() is not None else config.scratch_dir()

