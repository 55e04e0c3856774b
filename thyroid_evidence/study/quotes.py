"""The quote check: every quote of the evidence looked up in its source's text.

A quote is looked up in the text of the source it names (its row's ``source_id``; a table
without a ``source_id`` column, such as Table 2's ``risk_stratification``, is quoted from the
review):

- the review (``source_id`` ``review``): the review's full text, wherever the configuration
  finds it (:func:`thyroid_evidence.config.review_text_path`, given by the caller);
- any other source: ``sources/<source_id>.txt`` inside the evidence package, when present;
- a source without a text of its own whose ``role`` is ``table_source`` (a table the review
  adapts, such as Table 1's): the review's text, which prints the adapted table.

A quote whose source has no text is *not checked* (counted, never a failure). Nothing outside
the evidence package and the review's text is read: a text is looked up only for a source id
that is a lower-case slug (:data:`SOURCE_ID_SLUG`), and only as a regular file inside the
package's ``sources/`` folder (symlinks are refused).

Quote and text are compared after the same normalisation (:func:`normalise_for_quotes`), so
that what a PDF's text layer or a typesetter changes does not count as a different quote,
while digits, letters and punctuation otherwise stay as printed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from thyroid_evidence.evidence import Evidence, Problem
from thyroid_evidence.exceptions import EvidenceError
from thyroid_evidence.study.checks import check_evidence

#: The source id of the review itself.
REVIEW = "review"
#: What a source id must look like for its text to be looked up (``smith2024``, ``ref20``,
#: ``de-baere-2015``): lower-case letters, digits, ``-`` and ``_``, no dots or slashes.
SOURCE_ID_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?")
#: The folder of the evidence package holding the sources' texts.
SOURCES_FOLDER = "sources"
#: Sources of this role are quoted through the review when they have no text of their own.
QUOTED_THROUGH_REVIEW = ("table_source",)

# Characters removed: soft hyphen and zero-width characters (invisible in print).
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
# Latin ligatures U+FB00-FB06 spelled out, typographic quotes and dashes (hyphen, non-breaking
# hyphen, figure dash, en dash, em dash, horizontal bar, minus sign) as ASCII. NFKC would do
# the ligatures too, but it also turns superscripts into digits ('10⁶' into '106'), which
# would let a wrong number match, so the mapping is spelled out.
_CHARACTERS = str.maketrans(
    {
        **{c: None for c in _INVISIBLE},
        "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
        "\ufb05": "st", "\ufb06": "st",
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-",
    }
)
_WHITESPACE = re.compile(r"\s+")
# A hyphen between two letters, with the space a collapsed line break leaves after it.
_LETTER_HYPHEN = re.compile(r"(?<=[^\W\d_])- ?(?=[^\W\d_])")


def normalise_for_quotes(text: str) -> str:
    """Return ``text`` in the form quotes and sources are compared in.

    In this order: Unicode NFC (composed accents); soft hyphens and zero-width characters
    removed; the Latin ligatures (U+FB00–FB06) spelled out; typographic single and double
    quotes as ``'`` and ``"``; hyphen, non-breaking hyphen, figure dash, en dash, em dash,
    horizontal bar and minus sign as ``-``; every run of whitespace (line breaks and
    non-breaking spaces included) as one space, none at the ends; a hyphen between two
    letters removed, with the space after it, so that a word hyphenated across a line break
    (``radio-`` / ``frequency``), its hyphenated and its joined spelling compare equal.
    Digits, letters, case and other punctuation are left as they are: ``12–24`` and ``1224``
    stay different, as do ``10⁶`` and ``106``.

    Parameters
    ----------
    text : str
        A quote or a source's text.

    Returns
    -------
    str
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {type(text).__name__}")
    text = unicodedata.normalize("NFC", text).translate(_CHARACTERS)
    text = _WHITESPACE.sub(" ", text).strip()
    return _LETTER_HYPHEN.sub("", text)


@dataclass(frozen=True)
class QuoteCheck:
    """What :func:`check_quotes` found.

    Attributes
    ----------
    checked : int
        Quotes looked up in a text (found or not).
    not_found : tuple of Problem
        One per quote missing from its source's text, as ``file:row: quote: ... — rule``.
    not_checked : tuple of (str, int)
        Per source without a text, in order of first appearance: its id and the number of
        its quotes left unchecked.
    texts : tuple of str
        The files read: the review's text as given, others relative to the package.
    """

    checked: int
    not_found: tuple[Problem, ...]
    not_checked: tuple[tuple[str, int], ...]
    texts: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when every checked quote was found."""
        return not self.not_found

    def summary(self) -> str:
        """One line: quotes checked, not found and not checked (naming the sources)."""
        unchecked = sum(count for _, count in self.not_checked)
        line = (f"quotes: {self.checked} checked, {len(self.not_found)} not found, "
                f"{unchecked} not checked")
        if self.not_checked:
            line += " (no text for " + ", ".join(
                f"{source}: {count}" for source, count in self.not_checked) + ")"
        return line


def check_quotes(evidence: Evidence, review_text: str | Path | None) -> QuoteCheck:
    """Look every quote of ``evidence`` up in its source's text (see the module doc).

    Parameters
    ----------
    evidence : Evidence
        From :func:`thyroid_evidence.load_evidence`.
    review_text : str or Path or None
        The review's full text (usually :func:`thyroid_evidence.config.review_text_path`);
        None when it is not available, so that the review's quotes are not checked.

    Returns
    -------
    QuoteCheck

    Raises
    ------
    EvidenceError
        When a source id is not a slug, or a source's text cannot be read (a symlink, a
        folder, not UTF-8, the review's text missing): every such problem at once, each
        naming the file.
    """
    evidence = check_evidence(evidence)
    texts, read, problems = _source_texts(evidence, review_text)
    if problems:
        raise EvidenceError(problems, evidence.root)
    checked = 0
    not_found: list[Problem] = []
    unchecked: dict[str, int] = {}
    for file, frame in _quoted_tables(evidence):
        sources = frame["source_id"] if "source_id" in frame else pd.Series(REVIEW, frame.index)
        for line, quote, source in zip(frame.index, frame["quote"], sources, strict=True):
            if pd.isna(quote) or pd.isna(source):
                continue  # a required field: load_evidence has reported it
            if source not in texts:
                unchecked[source] = unchecked.get(source, 0) + 1
                continue
            name, text = texts[source]
            checked += 1
            wanted = normalise_for_quotes(quote)
            if not wanted or wanted not in text:
                not_found.append(Problem(file, int(line), "quote", quote, f"not found in {name}"))
    return QuoteCheck(
        checked=checked,
        not_found=tuple(not_found),
        not_checked=tuple(unchecked.items()),
        texts=tuple(read),
    )


def _quoted_tables(evidence: Evidence) -> list[tuple[str, pd.DataFrame]]:
    """(file, frame) of every table whose schema has a ``quote`` field, in schema order."""
    tables = []
    for resource in evidence.schema["resources"]:
        if any(field["name"] == "quote" for field in resource["schema"]["fields"]):
            tables.append((resource["path"], getattr(evidence, resource["name"])))
    return tables


def _source_texts(
    evidence: Evidence, review_text: str | Path | None
) -> tuple[dict[str, tuple[str, str]], list[str], list[Problem]]:
    """Normalised text (with the name problems give it) of every source that has one, the
    files read and the problems met."""
    texts: dict[str, tuple[str, str]] = {}
    read: list[str] = []
    problems: list[Problem] = []
    review = None
    if review_text is not None:
        path = Path(review_text)
        review = _read_text(path, f"the review's text ({path.name})", str(path), problems)
        if review is not None:
            texts[REVIEW] = review
            read.append(str(path))
    sources = evidence.sources
    roles: Mapping[str, object] = dict(zip(sources["source_id"], sources["role"], strict=True))
    package = Path(evidence.root)
    for line, source in zip(sources.index, sources["source_id"], strict=True):
        if source == REVIEW or pd.isna(source):
            continue
        if not SOURCE_ID_SLUG.fullmatch(source):
            problems.append(Problem(
                _file_of(evidence, "sources"), int(line), "source_id", source,
                "its text is looked up only for a lower-case slug (letters, digits, '-', "
                "'_'; for example smith2024)"))
            continue
        rel = f"{SOURCES_FOLDER}/{source}.txt"
        path = package / SOURCES_FOLDER / f"{source}.txt"
        if path.is_symlink() or (package / SOURCES_FOLDER).is_symlink():
            problems.append(Problem(rel, None, None, None, "a source's text must be a file "
                                    "inside the evidence package (symlinks are refused)"))
            continue
        if path.exists():
            text = _read_text(path, rel, rel, problems)
            if text is not None:
                texts[source] = text
                read.append(rel)
        elif roles.get(source) in QUOTED_THROUGH_REVIEW and review is not None:
            texts[source] = (f"{review[0]}, which prints {source}'s table", review[1])
    return texts, read, problems


def _read_text(
    path: Path, name: str, where: str, problems: list[Problem]
) -> tuple[str, str] | None:
    """(name, normalised text) of a UTF-8 file, or None with a problem added."""
    if not path.is_file():
        problems.append(Problem(where, None, None, None, "must be a text file"))
        return None
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(Problem(where, None, None, None,
                                f"must be UTF-8 text (byte {exc.start} is not)"))
        return None
    except OSError as exc:
        problems.append(Problem(where, None, None, None, f"cannot be read ({exc.strerror})"))
        return None
    return name, normalise_for_quotes(raw)


def _file_of(evidence: Evidence, table: str) -> str:
    for resource in evidence.schema["resources"]:
        if resource["name"] == table:
            return resource["path"]
    return f"{table}.csv"
