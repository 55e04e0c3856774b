"""Reduced copies of matplotlib's DejaVu Sans faces, so that writing a TrueType PDF is fast.

A PDF with TrueType (Type 42) fonts embeds, for every face on the figure, the subset of the
face holding the glyphs drawn. Matplotlib makes that subset with fontTools from the full font
file, and fontTools parses the whole file's layout tables (GSUB/GPOS) each time: about 0.1 s
per face and figure for DejaVu Sans (6,241 glyphs), most of a PDF's cost. The library offers no
cache for it (matplotlib 3.11), so this module makes, once per cache folder and face used, a
copy of the face reduced to the Unicode blocks of :data:`BLOCKS` (Latin, Greek, punctuation,
arrows, mathematical operators and shapes; about 1,700 glyphs), which subsets three to four
times faster.

What stays the same: every kept glyph's outline, hinting, advance width, kerning and
substitutions (all layout features kept), and the PostScript names that PDF readers show (the
family is renamed to :data:`FAMILY` so that matplotlib can choose it). :func:`pdf_rc` puts
that family in front of ``font.sans-serif`` for a figure only when each of its sans-serif
texts would be set in one of matplotlib's own DejaVu Sans faces and that face's reduced copy
holds every character of the text; any other figure is written from the full faces. PNG and
SVG files never use the reduced faces.

The copies are plain TrueType files under ``<cache dir>/fonts/`` (``THYROID_EVIDENCE_CACHE``,
see :func:`thyroid_evidence.config.cache_dir`), named by the SHA-256 of the source face, the
fontTools version and :data:`BLOCKS`, written atomically and byte-identical on every machine
with the same inputs. When they cannot be made or written, PDFs are written from the full
faces, as matplotlib does by default.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
from pathlib import Path
from typing import Any

from thyroid_evidence.config import cache_dir
from thyroid_evidence.files import atomic_write_bytes

__all__ = ["BLOCKS", "FAMILY", "SOURCE_FACES", "pdf_rc", "reduced_face"]

#: Family name of the reduced faces (the PostScript names stay DejaVu Sans's own).
FAMILY = "DejaVu Sans PDF subset"
#: Matplotlib's DejaVu Sans faces (``mpl-data/fonts/ttf``) that are reduced.
SOURCE_FACES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf",
                "DejaVuSans-BoldOblique.ttf")
#: Unicode ranges kept (inclusive): Basic Latin to Latin Extended-B, Greek and Coptic, the
#: phonetic extensions (modifier letters such as the footnote marks ᵃ, ᵇ), General Punctuation
#: to Miscellaneous Technical (super- and subscripts, currency, letter-like symbols, number
#: forms, arrows, mathematical operators), Geometric Shapes.
BLOCKS: tuple[tuple[int, int], ...] = (
    (0x0020, 0x024F), (0x0370, 0x03FF), (0x1D00, 0x1DBF), (0x2000, 0x23FF), (0x25A0, 0x25FF),
)
#: Name-table records renamed to :data:`FAMILY`: family, full name, typographic family.
_RENAMED = (1, 4, 16)


def reduced_face(face: str) -> Path | None:
    """The reduced copy of matplotlib's DejaVu Sans ``face`` (one of :data:`SOURCE_FACES`),
    made when absent and registered with matplotlib's font manager under :data:`FAMILY`; None
    when it cannot be made (no source face, no fontTools, an unwritable cache folder)."""
    return _registered(face, str(cache_dir()))


def pdf_rc(fig: Any) -> dict[str, list[str]]:
    """Matplotlib settings for writing ``fig`` as a PDF from the reduced faces, or ``{}``.

    The reduced faces are used (``font.sans-serif`` starts with :data:`FAMILY`) only when, for
    every text of the figure set in the sans-serif family, matplotlib would choose one of
    matplotlib's own DejaVu Sans faces, the reduced copy of that face is chosen in its place
    and maps every character of the text (matplotlib falls back from a face to its last-resort
    font, not to the full face). So neither a glyph nor a user's choice of font changes. Only
    the faces the figure uses are made. Texts with mathematical markup (``$``) keep the full
    faces.
    """
    import matplotlib
    from matplotlib import font_manager
    from matplotlib.text import Text

    sans = list(matplotlib.rcParams["font.sans-serif"])
    if FAMILY in sans:
        return {}
    chosen: list[tuple[str, Any, str]] = []
    for text in fig.findobj(Text):
        string = text.get_text()
        prop = text.get_fontproperties()
        if not string or "sans-serif" not in prop.get_family():
            continue
        if "$" in string:
            return {}
        full = _find(font_manager, prop, ["sans-serif"])
        if full is None or full.parent != _source_folder() or full.name not in SOURCE_FACES:
            return {}
        chosen.append((string, prop, full.name))
    faces = {face: reduced_face(face) for face in sorted({face for _, _, face in chosen})}
    if not faces or None in faces.values():
        return {}
    for string, prop, face in chosen:
        found = _find(font_manager, prop, [FAMILY])
        # (the same name is the same bytes: a copy made in another cache folder may be found)
        if found is None or found.name != faces[face].name or not (
                {ord(c) for c in string} <= _charmap(str(found))):
            return {}
    return {"font.sans-serif": [FAMILY, *sans]}


def _find(font_manager: Any, prop: Any, family: list[str]) -> Path | None:
    """The face matplotlib chooses for ``prop`` set in ``family`` (no default fallback)."""
    wanted = prop.copy()
    wanted.set_family(family)
    try:
        return Path(font_manager.findfont(wanted, fallback_to_default=False))
    except ValueError:  # no such family
        return None


def _source_folder() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@functools.cache
def _charmap(path: str) -> frozenset[int]:
    """Code points the face at ``path`` maps to a glyph, with line breaks and tabs (matplotlib
    lays them out and draws no glyph for them)."""
    from matplotlib import ft2font

    return frozenset(ft2font.FT2Font(path).get_charmap()) | {9, 10}


@functools.cache
def _registered(face: str, folder: str) -> Path | None:
    from matplotlib import font_manager

    if face not in SOURCE_FACES:
        raise ValueError(f"face must be one of {', '.join(SOURCE_FACES)}; got {face!r}")
    try:
        path = _reduced(_source_folder() / face, Path(folder) / "fonts")
    except (OSError, ImportError, ValueError):  # no source face, no fontTools, read-only
        return None
    font_manager.fontManager.addfont(path)
    return path


def _reduced(source: Path, folder: Path) -> Path:
    """The reduced copy of ``source`` in ``folder``, made when absent."""
    import fontTools

    data = source.read_bytes()
    key = hashlib.sha256(
        data + f"\0{fontTools.version}\0{BLOCKS!r}\0{FAMILY}\0{_RENAMED!r}".encode()
    ).hexdigest()[:16]
    path = folder / f"{source.stem}-{key}.ttf"
    if path.is_file():
        return path
    # a folder that cannot take the file fails here, before the half second of subsetting
    folder.mkdir(parents=True, exist_ok=True)
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"{folder} is not writable")
    atomic_write_bytes(path, _reduce(data))
    return path


def _reduce(data: bytes) -> bytes:
    """The TrueType bytes of the face ``data`` restricted to :data:`BLOCKS`, deterministically
    (no timestamp is recalculated)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    # Everything of a kept glyph stays: all layout features, hinting, the legacy kern table,
    # every name record. Only FontForge's time stamp (FFTM) is dropped, as matplotlib does:
    # fontTools cannot subset it and would warn.
    options = subset.Options(glyph_names=True, layout_features=["*"], name_IDs=["*"],
                             name_languages=["*"], notdef_outline=True, hinting=True,
                             legacy_kern=True, ignore_missing_unicodes=True)
    options.drop_tables = ["FFTM"]
    font = TTFont(io.BytesIO(data), recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[u for low, high in BLOCKS for u in range(low, high + 1)])
    subsetter.subset(font)
    names = font["name"]
    style = names.getDebugName(2) or ""
    full = FAMILY if style in ("Book", "Regular") else f"{FAMILY} {style}"
    for record in names.names:
        if record.nameID in _RENAMED:
            record.string = full if record.nameID == 4 else FAMILY
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()
