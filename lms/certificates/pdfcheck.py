"""Checking a rendered certificate before it is issued: what the PDF really says.

The PDF is read with pyHanko's reader (independent of WeasyPrint and pydyf, which wrote it): the
page count, the fonts (every one embedded) and the text the page draws inside its visible area,
decoded through each font's ToUnicode map. A certificate whose text lacks the holder, the course,
the serial or the verification URL — a name that pushed the body off the page, a course template
that left a field out — is refused before it is stored.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

from .snapshot import CertificateSnapshot


class CertificatePdfInvalid(ValueError):
    """The rendered PDF is not a certificate that may be issued; the message says why."""


@dataclass(frozen=True)
class PdfFacts:
    pages: int
    text: str
    fonts: tuple[str, ...]  # base font names
    unembedded: tuple[str, ...]


def read_pdf(pdf: bytes) -> PdfFacts:
    """Page count, the text of every page, and its fonts; raises :class:`CertificatePdfInvalid`
    for a file that is not a readable PDF."""
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        pages = list(_pages(reader.root["/Pages"]))
        extractor = _TextExtractor()
        for page in pages:
            extractor.box = [float(v) for v in _inherited(page, "/MediaBox")]
            extractor.run(_contents(_get(page, "/Contents")), _resources(page))
    except (PdfError, KeyError, ValueError, TypeError, IndexError, AttributeError) as error:
        raise CertificatePdfInvalid(f"unreadable PDF: {type(error).__name__}: {error}") from error
    return PdfFacts(len(pages), "".join(extractor.text), tuple(extractor.fonts),
                    tuple(name for name, embedded in extractor.fonts.items() if not embedded))


def _squeeze(text: str) -> str:
    """Text compared the way it appears on paper: no whitespace, compatibility forms unified."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def check_certificate_pdf(pdf: bytes, snapshot: CertificateSnapshot) -> PdfFacts:
    """Raise :class:`CertificatePdfInvalid` unless ``pdf`` is one page, embeds its fonts and shows
    the holder, the course, the serial and the verification URL."""
    facts = read_pdf(pdf)
    if facts.pages != 1:
        raise CertificatePdfInvalid(f"the certificate has {facts.pages} pages, not 1")
    if not facts.fonts:
        raise CertificatePdfInvalid("the certificate draws no text")
    if facts.unembedded:
        raise CertificatePdfInvalid(f"fonts not embedded: {', '.join(facts.unembedded)}")
    text, url = _squeeze(facts.text), _squeeze(snapshot.verify_url)
    rest = text.replace(url, " ")  # the serial must also stand on its own, not only inside the URL
    missing = [label for label, value in (("holder", snapshot.holder_name),
                                          ("course", snapshot.course_title),
                                          ("serial", snapshot.serial))
               if _squeeze(value) not in rest] + ([] if url in text else ["verification URL"])
    if missing:
        raise CertificatePdfInvalid(f"the certificate's text lacks its {', '.join(missing)}")
    return facts


# --- reading the document ----------------------------------------------------------------------

def _get(dictionary, key: str, default=None):
    """``dictionary[key]`` with indirect references followed (``.get`` would not), or ``default``."""
    return dictionary[key] if key in dictionary else default  # noqa: SIM401


def _pages(node, depth: int = 0):
    if depth > 32:
        raise ValueError("page tree too deep")
    if _get(node, "/Type") == "/Page" or "/Kids" not in node:
        yield node
        return
    for kid in node["/Kids"]:
        yield from _pages(kid.get_object(), depth + 1)


def _inherited(node, key: str):
    """A page's attribute, inherited from its parents when it has none of its own."""
    while node is not None:
        if key in node:
            return node[key]
        node = _get(node, "/Parent")
        node = node.get_object() if node is not None else None
    return None


def _resources(node):
    return _inherited(node, "/Resources") or generic.DictionaryObject()


def _contents(contents) -> bytes:
    if contents is None:
        return b""
    contents = contents.get_object()
    if isinstance(contents, generic.ArrayObject):
        return b"\n".join(part.get_object().data for part in contents)
    return contents.data


# --- content streams ---------------------------------------------------------------------------

_DELIMITERS = b"()<>[]{}/%"
_WHITESPACE = b" \t\r\n\f\x00"
_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}


class _Name(str):
    pass


class _Operator(str):
    pass


def _tokens(data: bytes):
    """The operands and operators of a content stream: numbers, strings (bytes), names, arrays."""
    i, end = 0, len(data)
    stack: list[list] = []
    while i < end:
        c = data[i]
        if c in _WHITESPACE:
            i += 1
        elif c == ord("%"):
            while i < end and data[i] not in b"\r\n":
                i += 1
        elif c == ord("("):
            value, i = _literal(data, i + 1)
            if stack:
                stack[-1].append(value)
            else:
                yield value
        elif data.startswith(b"<<", i) or data.startswith(b">>", i):
            i += 2  # dictionaries only carry marked-content properties: not needed here
        elif c == ord("<"):
            close = data.index(b">", i)
            digits = re.sub(rb"\s", b"", data[i + 1:close])
            value = bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))
            i = close + 1
            if stack:
                stack[-1].append(value)
            else:
                yield value
        elif c == ord("["):
            stack.append([])
            i += 1
        elif c == ord("]"):
            array = stack.pop()
            i += 1
            if stack:
                stack[-1].append(array)
            else:
                yield array
        else:
            start = i
            i += 1
            while i < end and data[i] not in _WHITESPACE and data[i] not in _DELIMITERS:
                i += 1
            word = data[start:i].decode("latin-1")
            if c == ord("/"):
                value = _Name(word)
            else:
                try:
                    value = float(word)
                except ValueError:
                    value = _Operator(word)
            if stack:
                stack[-1].append(value)
            else:
                yield value
            if value == "ID" and isinstance(value, _Operator):  # inline image data: skip to EI
                found = re.compile(rb"\sEI(?=[\s]|$)").search(data, i)
                i = found.end() if found else end


def _literal(data: bytes, i: int) -> tuple[bytes, int]:
    out, depth = bytearray(), 1
    while i < len(data):
        c = data[i]
        if c == ord("\\"):
            i += 1
            n = data[i] if i < len(data) else 0
            if n in _ESCAPES:
                out += _ESCAPES[n]
                i += 1
            elif ord("0") <= n <= ord("7"):
                digits = re.match(rb"[0-7]{1,3}", data[i:i + 3])[0]
                out.append(int(digits, 8) & 0xFF)
                i += len(digits)
            elif n in b"\r\n":
                i += 2 if data[i:i + 2] == b"\r\n" else 1
            else:
                out.append(n)
                i += 1
            continue
        if c == ord("("):
            depth += 1
        elif c == ord(")"):
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out.append(c)
        i += 1
    raise ValueError("unterminated string in content stream")


# --- fonts and text ----------------------------------------------------------------------------

class _Font:
    """A font's code length and its ToUnicode map (code bytes -> text)."""

    def __init__(self, font) -> None:
        self.name = str(_get(font, "/BaseFont", "?")).lstrip("/")
        subtype = _get(font, "/Subtype")
        self.width = 2 if subtype == "/Type0" else 1
        self.map: dict[bytes, str] = {}
        if "/ToUnicode" in font:
            self._read_cmap(font["/ToUnicode"].data)
        descriptor = (_get(font["/DescendantFonts"][0].get_object(), "/FontDescriptor") if subtype == "/Type0"
                      else _get(font, "/FontDescriptor"))
        files = ("/FontFile", "/FontFile2", "/FontFile3")
        self.embedded = subtype == "/Type3" or (
            descriptor is not None and any(f in descriptor for f in files))

    def _read_cmap(self, data: bytes) -> None:
        space = re.search(rb"begincodespacerange\s*<([0-9A-Fa-f]+)>", data)
        if space:
            self.width = len(space[1]) // 2
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
            for source, target in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
                self.map[bytes.fromhex(source.decode())] = _utf16(target)
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
            pattern = rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]*>|\[[^\]]*\])"
            for low, high, target in re.findall(pattern, block):
                first, last = int(low, 16), int(high, 16)
                size = len(low) // 2
                if target.startswith(b"["):
                    targets = [_utf16(t) for t in re.findall(rb"<([0-9A-Fa-f]*)>", target)]
                else:
                    base = bytes.fromhex(target[1:-1].decode())
                    targets = []
                    for step in range(min(last - first + 1, 65536)):
                        value = int.from_bytes(base, "big") + step
                        targets.append(value.to_bytes(len(base), "big").decode("utf-16-be", "replace"))
                for offset, text in enumerate(targets[:last - first + 1]):
                    self.map[(first + offset).to_bytes(size, "big")] = text

    def decode(self, raw: bytes) -> str:
        return "".join(self.map.get(raw[i:i + self.width], "\ufffd")
                       for i in range(0, len(raw) - self.width + 1, self.width))


def _utf16(hex_digits: bytes) -> str:
    return bytes.fromhex(hex_digits.decode()).decode("utf-16-be", "replace")


Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """``m`` then ``n``, as PDF composes matrices."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


class _TextExtractor:
    """The text a content stream shows where it can be seen: a run starting outside the page's
    media box (an absolutely positioned block pushed off the page) is not counted."""

    def __init__(self) -> None:
        self.box: list[float] = [0.0, 0.0, 0.0, 0.0]
        self.text: list[str] = []
        self.fonts: dict[str, bool] = {}  # base font -> embedded
        self._cache: dict[int, _Font] = {}

    def _font(self, resources, name: str) -> _Font | None:
        fonts = _get(resources, "/Font")
        if fonts is None or name not in fonts:
            return None
        font_dict = fonts[name]
        font = self._cache.get(id(font_dict))
        if font is None:
            font = self._cache[id(font_dict)] = _Font(font_dict)
            self.fonts[font.name] = self.fonts.get(font.name, True) and font.embedded
        return font

    def run(self, data: bytes, resources, depth: int = 0, ctm: Matrix = IDENTITY) -> None:
        if depth > 8:
            raise ValueError("form XObjects nested too deep")
        operands: list = []
        font: _Font | None = None
        saved: list[Matrix] = []
        line = matrix = IDENTITY
        leading = 0.0
        for token in _tokens(data):
            if not isinstance(token, _Operator):
                operands.append(token)
                continue
            numbers = [o for o in operands if isinstance(o, float)]
            if token == "q":
                saved.append(ctm)
            elif token == "Q" and saved:
                ctm = saved.pop()
            elif token == "cm" and len(numbers) == 6:
                ctm = _multiply(tuple(numbers), ctm)
            elif token == "BT":
                line = matrix = IDENTITY
            elif token == "Tm" and len(numbers) == 6:
                line = matrix = tuple(numbers)
            elif token in ("Td", "TD") and len(numbers) == 2:
                line = matrix = _multiply((1.0, 0.0, 0.0, 1.0, numbers[0], numbers[1]), line)
                leading = -numbers[1] if token == "TD" else leading
            elif token == "TL" and numbers:
                leading = numbers[-1]
            elif token in ("T*", "'", '"'):
                line = matrix = _multiply((1.0, 0.0, 0.0, 1.0, 0.0, -leading), line)
            elif token == "Tf" and len(operands) >= 2:
                font = self._font(resources, operands[-2])
            elif token == "Do" and operands:
                xobjects = _get(resources, "/XObject") or {}
                if operands[-1] in xobjects:
                    xobject = xobjects[operands[-1]]
                    if _get(xobject, "/Subtype") == "/Form":
                        form = tuple(float(v) for v in _get(xobject, "/Matrix", IDENTITY))
                        self.run(xobject.data, _get(xobject, "/Resources") or resources, depth + 1,
                                 _multiply(form, ctm))
            if token in ("Tj", "'", '"', "TJ") and operands:
                shown = operands[-1] if token == "TJ" else [operands[-1]]
                if isinstance(shown, list) and self._visible(_multiply(matrix, ctm)):
                    self._show(font, shown)
            if token in ("ET", "T*", "Td", "TD", "Tm"):
                self.text.append("\n")
            operands = []

    def _visible(self, matrix: Matrix) -> bool:
        x, y = matrix[4], matrix[5]
        x0, y0, x1, y1 = self.box
        return min(x0, x1) - 1 <= x <= max(x0, x1) + 1 and min(y0, y1) - 1 <= y <= max(y0, y1) + 1

    def _show(self, font: _Font | None, parts: list) -> None:
        for part in parts:
            if isinstance(part, bytes):
                self.text.append(font.decode(part) if font is not None else "\ufffd" * len(part))
