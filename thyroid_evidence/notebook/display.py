"""Markdown a notebook shows, with every piece of evidence text escaped.

Evidence text (a series title, a population, a section name, an audit detail) is data: shown
as typed, never read as Markdown or HTML. A notebook writes its own sentence as a template and
passes the evidence values as fields; each value is escaped before it goes into the Markdown::

    thyroid_evidence.notebook.show_markdown(
        "**{title}**; endpoint {endpoint:code}. Source: review section *{location}*.",
        title=series["title"], endpoint=endpoint, location=series["location"],
    )
    thyroid_evidence.notebook.show_list(pseudo.assumptions)

So ``<script>``, ``<img onerror=...>``, ``[link](javascript:...)`` or ``*`` in a title show
as those characters, in JupyterLab and in the executed notebook's HTML page alike. Standard
library only at import (IPython is imported when something is shown).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from typing import Any

__all__ = [
    "code_span",
    "escape_markdown",
    "markdown_list",
    "markdown_text",
    "show_list",
    "show_markdown",
    "show_paths_from_project_root",
]

#: Characters that mean something in Markdown (CommonMark lets each be backslash-escaped).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:])")
#: Characters that start HTML: written as entities, which every renderer shows as text.
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}


def escape_markdown(value: Any) -> str:
    """``value`` as text that Markdown renders literally: no markup, no HTML, no link.

    HTML's ``& < > " '`` become entities, every Markdown punctuation character is
    backslash-escaped, and line breaks become spaces (a value stays inside its sentence).
    ``None`` is shown as an empty string.

    Examples
    --------
    >>> escape_markdown("<b>bold</b> & *more*")
    '&lt;b&gt;bold&lt;/b&gt; &amp; \\\\*more\\\\*'
    """
    text = "" if value is None else str(value)
    text = " ".join(text.splitlines())
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return "".join(_HTML.get(ch, ch) for ch in text)


def code_span(value: Any) -> str:
    """``value`` as a Markdown code span: its characters shown as typed, in code font.

    The fence is one backtick longer than the longest run of backticks in ``value``, so the
    value cannot close it.
    """
    text = " ".join(("" if value is None else str(value)).splitlines())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


class _EscapingFormatter(string.Formatter):
    """``str.format`` whose fields are escaped (``{name:code}`` makes a code span)."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "code":
            return code_span(value)
        return escape_markdown(format(value, format_spec) if format_spec else value)

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        return value if conversion is None else super().convert_field(value, conversion)


_FORMATTER = _EscapingFormatter()


def markdown_text(template: str, /, **values: Any) -> str:
    """The notebook's Markdown ``template`` with every field filled in escaped.

    Parameters
    ----------
    template : str
        The notebook's own Markdown, with ``str.format`` fields: ``{name}`` (escaped text),
        ``{name:.1f}`` (formatted, then escaped) or ``{name:code}`` (a code span).
    **values
        The field values (evidence text, numbers, parameters).

    Raises
    ------
    TypeError
        If ``template`` is not a str.
    KeyError
        If a field of the template has no value.
    """
    if not isinstance(template, str):
        raise TypeError(f"template must be a str, got {type(template).__name__}")
    return _FORMATTER.vformat(template, (), values)


def markdown_list(items: Iterable[Any]) -> str:
    """A Markdown bullet list of ``items``, each escaped (one line per item)."""
    if isinstance(items, str):
        raise TypeError("items must be an iterable of texts, not a str")
    return "\n".join(f"- {escape_markdown(item)}" for item in items)


def _show(text: str) -> None:
    from IPython.display import Markdown, display

    display(Markdown(text))


def show_markdown(template: str, /, **values: Any) -> None:
    """Display :func:`markdown_text` ``(template, **values)`` in the notebook."""
    _show(markdown_text(template, **values))


def show_list(items: Iterable[Any]) -> None:
    """Display :func:`markdown_list` ``(items)`` in the notebook."""
    _show(markdown_list(items))


def _path_text(path: Any, printer: Any, cycle: bool) -> None:
    """IPython's plain-text printer for a path: inside the project root, relative to it."""
    from thyroid_evidence.config import display_path

    shown = display_path(path)
    text = repr(path) if shown == str(path) else f"{type(path).__name__}('<project>/{shown}')"
    printer.text(text)


def show_paths_from_project_root() -> bool:
    """Show every path a notebook's cell returns relative to the project root.

    ``run.save_table(...)`` as a cell's last line shows ``PosixPath('<project>/build/tables/
    data_audit.csv')`` instead of the machine's absolute path, so committed notebook outputs
    name no maintainer's folder. Only the text shown changes; the value stays the absolute
    path. A path outside the project root is shown as it is. Returns False outside IPython.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    from pathlib import PurePath

    shell.display_formatter.formatters["text/plain"].for_type(PurePath, _path_text)
    return True
