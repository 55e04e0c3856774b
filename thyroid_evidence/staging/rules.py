"""Table 2's criteria and the small rule language they are written in (parsed with ast, never eval).

A row is given as values (:func:`compile_criterion`); reading them from the evidence's
``risk_stratification`` table is :func:`thyroid_evidence.study.staging.criteria_from_table`.

Research and teaching material, not clinical decision support.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from thyroid_evidence.staging.features import (
    ATA_LEVELS,
    BOOLEAN_FIELDS,
    FIELD_CHOICES,
    FIELD_NAMES,
    TNM_LEVELS,
)

_COMPARISONS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}


@dataclass(frozen=True)
class Criterion:
    """One row of Table 2 with its compiled rule."""

    criterion_id: str
    system: str
    level: str
    position: int
    text: str
    fields: tuple[str, ...]
    rule: str
    footnote: str | None
    tree: ast.Expression = field(repr=False, compare=False)


def _rule_error(criterion_id: str, rule: str, problem: str) -> ValueError:
    return ValueError(f"criterion {criterion_id!r}: rule {rule!r}: {problem}")


def _compile_rule(criterion_id: str, rule: str) -> tuple[ast.Expression, tuple[str, ...]]:
    """Parse and check one rule; return its tree and the fields it reads, in field order."""
    try:
        tree = ast.parse(rule, mode="eval")
    except SyntaxError as exc:
        raise _rule_error(criterion_id, rule, f"not a valid expression ({exc.msg})") from None
    names: set[str] = set()
    _check_node(tree.body, criterion_id, rule, names)
    return tree, tuple(name for name in FIELD_NAMES if name in names)


def _check_node(node: ast.AST, cid: str, rule: str, names: set[str]) -> None:
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _check_node(value, cid, rule, names)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        _check_node(node.operand, cid, rule, names)
        return
    if not isinstance(node, ast.Compare):
        raise _rule_error(cid, rule, f"{ast.unparse(node)!r} is not a comparison, and/or/not")
    if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARISONS:
        raise _rule_error(cid, rule, f"{ast.unparse(node)!r}: use one comparison at a time")
    if not isinstance(node.left, ast.Name) or node.left.id not in FIELD_NAMES:
        raise _rule_error(
            cid, rule, f"{ast.unparse(node.left)!r} is not a PatientFeatures field; "
            f"allowed: {', '.join(FIELD_NAMES)}"
        )
    name, op = node.left.id, type(node.ops[0])
    names.add(name)
    right = node.comparators[0]
    if op in (ast.Is, ast.IsNot):
        if not (isinstance(right, ast.Constant) and right.value is None):
            raise _rule_error(cid, rule, "'is' / 'is not' compare with None only")
        return
    if op in (ast.In, ast.NotIn):
        if not isinstance(right, ast.Tuple | ast.List | ast.Set):
            raise _rule_error(cid, rule, f"'in' needs a tuple of constants after {name}")
        constants = right.elts
    else:
        constants = [right]
    for const in constants:
        if not isinstance(const, ast.Constant):
            raise _rule_error(cid, rule, f"{ast.unparse(const)!r} is not a constant")
        _check_constant(name, op, const.value, cid, rule)


def _check_constant(name: str, op: type, value: Any, cid: str, rule: str) -> None:
    ordered = op in (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
    if name in FIELD_CHOICES:
        if ordered or not isinstance(value, str) or value not in FIELD_CHOICES[name]:
            raise _rule_error(cid, rule, f"{name} compares with {value!r}; allowed: "
                              f"{', '.join(FIELD_CHOICES[name])} with ==, !=, in, not in")
    elif name in BOOLEAN_FIELDS:
        if ordered or not isinstance(value, bool):
            raise _rule_error(cid, rule, f"{name} compares with {value!r}; allowed: True, "
                              "False with ==, !=")
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise _rule_error(cid, rule, f"{name} compares with {value!r}; allowed: a number")


def evaluate(node: ast.AST, p: Mapping[str, Any]) -> bool | None:
    """Three-valued (Kleene) value of a checked rule node; None = unknown.

    ``node`` is (part of) a :attr:`Criterion.tree` body, ``p`` maps every field name to its
    value (None when unknown).
    """
    if isinstance(node, ast.BoolOp):
        is_and = isinstance(node.op, ast.And)
        result: bool | None = is_and
        for value in node.values:
            outcome = evaluate(value, p)
            if outcome is (not is_and):
                return outcome
            if outcome is None:
                result = None
        return result
    if isinstance(node, ast.UnaryOp):
        outcome = evaluate(node.operand, p)
        return None if outcome is None else not outcome
    assert isinstance(node, ast.Compare)  # guaranteed by _check_node
    value = p[node.left.id]
    op = type(node.ops[0])
    right = node.comparators[0]
    if op is ast.Is:
        return value is None
    if op is ast.IsNot:
        return value is not None
    if value is None:
        return None
    if op in (ast.In, ast.NotIn):
        members = {const.value for const in right.elts}
        return (value in members) == (op is ast.In)
    other = right.value
    return {
        ast.Eq: value == other,
        ast.NotEq: value != other,
        ast.Lt: value < other,
        ast.LtE: value <= other,
        ast.Gt: value > other,
        ast.GtE: value >= other,
    }[op]


#: The levels of each system, from least to most severe.
LEVELS_OF = {"ata": ATA_LEVELS, "tnm": TNM_LEVELS}


def compile_criterion(
    criterion_id: str,
    system: str,
    level: str,
    position: int,
    text: str,
    rule: str,
    *,
    fields: Sequence[str] | None = None,
    footnote: str | None = None,
) -> Criterion:
    """One line of Table 2 with its rule checked and compiled.

    Parameters
    ----------
    criterion_id : str
        The line's id; a description's rows share a prefix (see "How rows combine" in
        :mod:`thyroid_evidence.staging`).
    system : {"ata", "tnm"}
    level : str
        One of :data:`LEVELS_OF` ``[system]``.
    position : int
        Order of the line within its level.
    text : str
        The line as printed.
    rule : str
        The line in the rule language (see :mod:`thyroid_evidence.staging`).
    fields : sequence of str, optional
        The fields the rule is declared to read, checked against those it does read.
    footnote : str, optional

    Returns
    -------
    Criterion
        With ``fields`` the fields the rule reads, in field order.

    Raises
    ------
    TypeError
        If ``rule`` is not a str.
    ValueError
        If the system or level is unknown, the rule is empty or does not follow the rule
        language, or ``fields`` differs from the fields the rule reads; the message starts
        ``criterion 'ID': ``.

    Examples
    --------
    >>> row = compile_criterion("x_high", "ata", "high", 1, "Distant metastases",
    ...                         "distant_metastases == True")
    >>> row.fields
    ('distant_metastases',)
    >>> evaluate(row.tree.body, {"distant_metastases": None}) is None  # unknown stays unknown
    True
    """
    if system not in LEVELS_OF:
        raise ValueError(f"criterion {criterion_id!r}: system={system!r}; "
                         f"allowed: {', '.join(LEVELS_OF)}")
    if level not in LEVELS_OF[system]:
        raise ValueError(f"criterion {criterion_id!r}: level={level!r}; "
                         f"allowed for {system}: {', '.join(LEVELS_OF[system])}")
    if not isinstance(rule, str):
        raise TypeError(f"criterion {criterion_id!r}: rule must be a str; got "
                        f"{type(rule).__name__}")
    rule = rule.strip()
    if not rule:
        raise ValueError(f"criterion {criterion_id!r}: the rule is empty")
    tree, names = _compile_rule(criterion_id, rule)
    if fields is not None:
        declared = tuple(fields)
        if sorted(declared) != sorted(names):
            raise ValueError(
                f"criterion {criterion_id!r}: fields={' '.join(declared)!r} but the rule "
                f"reads {' '.join(names)!r}"
            )
    return Criterion(criterion_id=criterion_id, system=system, level=level,
                     position=int(position), text=text, fields=names, rule=rule,
                     footnote=footnote, tree=tree)


def system_criteria(criteria: tuple[Criterion, ...], system: str) -> tuple[Criterion, ...]:
    """The rows of one system, checked to have a row for every level.

    Parameters
    ----------
    criteria : tuple of Criterion
        Table 2's compiled rows (:func:`compile_criterion`; read from the evidence by
        :func:`thyroid_evidence.study.staging.criteria_from_table`).
    system : {"ata", "tnm"}

    Raises
    ------
    TypeError
        If ``criteria`` is not a tuple of Criterion.
    ValueError
        If a level of the system has no row.
    """
    if not (isinstance(criteria, tuple) and all(isinstance(c, Criterion) for c in criteria)):
        raise TypeError("criteria must be the rows from criteria_from_table() or "
                        "compile_criterion(), a tuple of Criterion; got "
                        f"{type(criteria).__name__} (Table 2 as a DataFrame is read by "
                        "thyroid_evidence.staging.ata_risk, tnm_risk_group and stratify)")
    chosen = tuple(c for c in criteria if c.system == system)
    for level in LEVELS_OF[system]:
        if not any(c.level == level for c in chosen):
            raise ValueError(f"criteria: no {system} row for level {level!r}")
    return chosen
