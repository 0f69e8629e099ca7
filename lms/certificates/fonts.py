"""Which characters the certificate can print, and the names a certificate can hold.

The certificate's CSS names its fonts (Noto CJK first, then the Hanazono Mincho faces for the CJK
extension planes). Fontconfig says which installed file each name resolves to — the same answer
Pango gets when WeasyPrint renders — and fontTools reads that file's character map. Pure: no
Flask, no database; the character maps are read once per process.
"""

from __future__ import annotations

import ctypes.util
import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

#: The font faces the default certificate template uses, as fontconfig patterns, in the order
#: of its CSS: body text, then the title and names, then the fallback for rarer characters.
CERTIFICATE_FONTS = (
    ("Noto Sans CJK SC", "regular"),
    ("Noto Serif CJK SC", "bold"),
    ("HanaMinA", "regular"),
    ("HanaMinB", "regular"),
)

#: The Debian package that installs each font family, and the HarfBuzz subsetter WeasyPrint
#: needs to embed CJK fonts quickly (without it a certificate takes ~16 s instead of ~0.3 s).
FONT_PACKAGES = {"Noto Sans CJK SC": "fonts-noto-cjk", "Noto Serif CJK SC": "fonts-noto-cjk",
                 "HanaMinA": "fonts-hanazono", "HanaMinB": "fonts-hanazono"}
SUBSETTER_PACKAGE = "libharfbuzz-subset0"

#: The longest name the certificate layout holds: at the smallest size, two lines.
NAME_MAX_LENGTH = 60

#: Characters that change how their neighbour looks but draw nothing themselves.
_INVISIBLE = {0x200C, 0x200D, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)}


@dataclass(frozen=True)
class FontFile:
    family: str
    path: Path
    index: int  # the face within a .ttc collection


class FontsMissing(RuntimeError):
    """A certificate font is not installed (see scripts/system-packages.sh)."""

    def __init__(self, message: str, families: tuple[str, ...] = ()):
        super().__init__(message)
        self.families = families


def _fontconfig():
    import cffi

    ffi = cffi.FFI()
    ffi.cdef("""
        typedef int FcBool;
        typedef unsigned char FcChar8;
        typedef struct _FcConfig FcConfig;
        typedef struct _FcPattern FcPattern;
        typedef enum { FcResultMatch, FcResultNoMatch, FcResultTypeMismatch, FcResultNoId,
                       FcResultOutOfMemory } FcResult;
        typedef enum { FcMatchPattern, FcMatchFont, FcMatchScan } FcMatchKind;
        FcConfig *FcInitLoadConfigAndFonts(void);
        void FcConfigDestroy(FcConfig *config);
        FcPattern *FcNameParse(const FcChar8 *name);
        void FcPatternDestroy(FcPattern *p);
        FcBool FcConfigSubstitute(FcConfig *config, FcPattern *p, FcMatchKind kind);
        void FcDefaultSubstitute(FcPattern *pattern);
        FcPattern *FcFontMatch(FcConfig *config, FcPattern *p, FcResult *result);
        FcResult FcPatternGetString(const FcPattern *p, const char *object, int n, FcChar8 **s);
        FcResult FcPatternGetInteger(const FcPattern *p, const char *object, int n, int *i);
    """)
    return ffi, ffi.dlopen(ctypes.util.find_library("fontconfig") or "libfontconfig.so.1")


@functools.cache
def font_files() -> tuple[FontFile, ...]:
    """The installed file of each certificate font; raises :class:`FontsMissing` if one is absent
    (fontconfig would substitute another family, which may lack the characters)."""
    ffi, lib = _fontconfig()
    config = lib.FcInitLoadConfigAndFonts()
    found, missing = [], []
    try:
        for family, style in CERTIFICATE_FONTS:
            pattern = lib.FcNameParse(f"{family}:{style}".encode())
            lib.FcConfigSubstitute(config, pattern, lib.FcMatchPattern)
            lib.FcDefaultSubstitute(pattern)
            match = lib.FcFontMatch(config, pattern, ffi.new("FcResult *"))
            lib.FcPatternDestroy(pattern)
            if match == ffi.NULL:
                missing.append(family)
                continue
            text, number = ffi.new("FcChar8 **"), ffi.new("int *")
            families, n = [], 0
            while lib.FcPatternGetString(match, b"family", n, text) == lib.FcResultMatch:
                families.append(ffi.string(text[0]).decode())
                n += 1
            lib.FcPatternGetString(match, b"file", 0, text)
            path = Path(ffi.string(text[0]).decode())
            lib.FcPatternGetInteger(match, b"index", 0, number)
            lib.FcPatternDestroy(match)
            if family in families:
                found.append(FontFile(family, path, number[0]))
            else:
                missing.append(family)
    finally:
        lib.FcConfigDestroy(config)
    if missing:
        raise FontsMissing(f"certificate fonts not installed: {', '.join(missing)} "
                           "(install fonts-noto-cjk and fonts-hanazono)", tuple(missing))
    return tuple(found)


def _missing_families() -> list[str]:
    try:
        font_files()
    except FontsMissing as error:
        return list(error.families)
    return []


def _has_subsetter() -> bool:
    return ctypes.util.find_library("harfbuzz-subset") is not None


@functools.cache
def fonts_problem() -> str | None:
    """One sentence naming what certificate rendering lacks and the command that installs it;
    None when every font and the subsetter are present. Checked once per process."""
    families = _missing_families()
    packages = list(dict.fromkeys(FONT_PACKAGES[family] for family in families))
    lacks = [f"the fonts {', '.join(families)}"] if families else []
    if not _has_subsetter():
        packages.append(SUBSETTER_PACKAGE)
        lacks.append("the HarfBuzz subsetter")
    if not packages:
        return None
    return (f"certificates cannot be rendered: {' and '.join(lacks)} are not installed; "
            f"fix: sudo apt-get install {' '.join(packages)}")


def require_fonts() -> None:
    """Raise :class:`FontsMissing` with :func:`fonts_problem`'s sentence before any rendering."""
    problem = fonts_problem()
    if problem:
        raise FontsMissing(problem)


@functools.cache
def _coverage() -> tuple[frozenset[int], ...]:
    from fontTools.ttLib import TTFont

    maps = []
    for font in font_files():
        with TTFont(font.path, fontNumber=font.index, lazy=True) as face:
            maps.append(frozenset(face.getBestCmap()))
    return tuple(maps)


def unprintable(text: str) -> list[str]:
    """The characters of ``text`` (each once, in order) that no certificate font has."""
    maps = _coverage()
    missing = []
    for char in text:
        point = ord(char)
        if point in _INVISIBLE or any(point in cmap for cmap in maps):
            continue
        if char not in missing:
            missing.append(char)
    return missing


def can_render(text: str) -> bool:
    """Whether the certificate fonts draw every character of ``text``."""
    return not unprintable(text)


@dataclass(frozen=True)
class NameProblem:
    """Why a name cannot go on a certificate: too long, or characters no font has."""

    too_long: bool = False
    characters: tuple[str, ...] = ()

    @property
    def shown(self) -> str:
        """The refused characters as a reader sees them: 😀 U+1F600."""
        return "、".join(f"{c} U+{ord(c):04X}" if unicodedata.category(c)[0] != "C" else f"U+{ord(c):04X}"
                        for c in self.characters)


def name_problem(name: str) -> NameProblem | None:
    """None when ``name`` fits on a certificate and every character of it can be printed."""
    name = name.strip()
    if len(name) > NAME_MAX_LENGTH:
        return NameProblem(too_long=True)
    missing = unprintable(name)
    return NameProblem(characters=tuple(missing)) if missing else None
