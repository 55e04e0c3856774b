"""Table 2's criteria and the small rule language they are written in (parsed with ast, never eval).

Research and teaching material, not clinical decision support.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from thyroid_evidence.staging.features import (
    ATA_LEVELS,
    BOOLEAN_FIELDS,
    FIELD_CHOICES,
    FIELD_NAMES,
    TNM_LEVELS,
    is_missing,
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
    return ValueError(f"risk_stratification: criterion {criterion_id!r}: rule {rule!r}: {problem}")


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


_TABLE_COLUMNS = ("criterion_id", "system", "level", "position", "criterion", "fields", "rule",
                  "footnote")
#: The levels of each system, from least to most severe.
LEVELS_OF = {"ata": ATA_LEVELS, "tnm": TNM_LEVELS}


def _text(value: Any) -> str | None:
    if is_missing(value):
        return None
    text = str(value).strip()
    return text or None


def criteria_from_table(table: pd.DataFrame) -> tuple[Criterion, ...]:
    """Compile the rows of a ``risk_stratification`` table.

    Parameters
    ----------
    table : DataFrame
        With the columns of ``evidence/risk_stratification.csv``.

    Returns
    -------
    tuple of Criterion
        In table order.

    Raises
    ------
    ValueError
        If a column is missing, a system or level is unknown, a rule does not follow the rule
        language, or the ``fields`` column differs from the fields the rule reads.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({
    ...     "criterion_id": ["x_high"], "system": ["ata"], "level": ["high"], "position": [1],
    ...     "criterion": ["Distant metastases"], "fields": ["distant_metastases"],
    ...     "rule": ["distant_metastases == True"], "footnote": [None]})
    >>> (row,) = criteria_from_table(table)
    >>> row.fields
    ('distant_metastases',)
    >>> evaluate(row.tree.body, {"distant_metastases": None}) is None  # unknown stays unknown
    True
    """
    missing = [col for col in _TABLE_COLUMNS if col not in table.columns]
    if missing:
        raise ValueError(f"risk_stratification: missing column(s): {', '.join(missing)}")
    criteria = []
    for row in table.to_dict("records"):
        cid = str(row["criterion_id"])
        system, level = row["system"], row["level"]
        if system not in LEVELS_OF:
            raise ValueError(f"risk_stratification: criterion {cid!r}: system={system!r}; "
                             f"allowed: {', '.join(LEVELS_OF)}")
        if level not in LEVELS_OF[system]:
            raise ValueError(f"risk_stratification: criterion {cid!r}: level={level!r}; "
                             f"allowed for {system}: {', '.join(LEVELS_OF[system])}")
        rule = _text(row["rule"])
        if rule is None:
            raise ValueError(f"risk_stratification: criterion {cid!r}: the rule is empty")
        tree, names = _compile_rule(cid, rule)
        declared = tuple((_text(row["fields"]) or "").split())
        if sorted(declared) != sorted(names):
            raise ValueError(
                f"risk_stratification: criterion {cid!r}: fields={' '.join(declared)!r} but "
                f"the rule reads {' '.join(names)!r}"
            )
        criteria.append(Criterion(
            criterion_id=cid, system=system, level=level, position=int(row["position"]),
            text=str(row["criterion"]), fields=names, rule=rule,
            footnote=_text(row["footnote"]), tree=tree,
        ))
    return tuple(criteria)


def system_criteria(criteria: tuple[Criterion, ...] | pd.DataFrame, system: str
                    ) -> tuple[Criterion, ...]:
    """The rows of one system, checked to have a row for every level.

    Parameters
    ----------
    criteria : tuple of Criterion or DataFrame
        Compiled rows (:func:`criteria_from_table`) or a ``risk_stratification`` table.
    system : {"ata", "tnm"}

    Raises
    ------
    TypeError
        If ``criteria`` is neither.
    ValueError
        If the table does not compile or a level of the system has no row.
    """
    if isinstance(criteria, pd.DataFrame):
        rows = criteria_from_table(criteria)
    elif isinstance(criteria, tuple) and all(isinstance(c, Criterion) for c in criteria):
        rows = criteria
    else:
        raise TypeError("criteria must be the rows from criteria_from_table() or a "
                        f"risk_stratification DataFrame; got {type(criteria).__name__}")
    chosen = tuple(c for c in rows if c.system == system)
    for level in LEVELS_OF[system]:
        if not any(c.level == level for c in chosen):
            raise ValueError(f"risk_stratification: no {system} row for level {level!r}")
    return chosen
