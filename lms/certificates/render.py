"""The one HTML-to-PDF function, and the certificate rendered with it."""

from __future__ import annotations

import contextlib
import gc
import logging
import subprocess
import threading
import unicodedata
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import segno
from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from lms.certificates.fonts import require_fonts
from lms.certificates.pdfcheck import check_certificate_pdf
from lms.certificates.signing import SigningKeys, sign_pdf
from lms.certificates.snapshot import CertificateSnapshot

DEFAULT_TEMPLATE_DIR = Path(__file__).parent / "templates" / "default"
TEMPLATE_NAME = "certificate.html"


class MissingGlyphs(Exception):
    """The installed fonts cannot draw some characters: the PDF would show empty boxes."""


class ResourceRefused(Exception):
    """The HTML or CSS asked for a resource outside the template's own folder."""


class _FolderFetcher(URLFetcher):
    """Fetch ``data:`` URIs and files inside ``base_dir``; refuse everything else."""

    def __init__(self, base_dir: Path):
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False, fail_on_errors=True)
        self.base_dir = base_dir

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme == "file":
            if parts.netloc not in ("", "localhost"):
                raise ValueError(f"remote file URL refused: {url}")
            path = Path(url2pathname(parts.path)).resolve()
            if not path.is_relative_to(self.base_dir):
                raise ValueError(f"file outside {self.base_dir} refused: {url}")
        elif parts.scheme != "data":
            raise ValueError(f"URL refused: {url}")
        return super().fetch(url, headers)


class _NotdefHandler(logging.Handler):
    """Collect WeasyPrint's ``.notdef glyph rendered`` warnings logged by this thread."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread and ".notdef glyph" in record.getMessage():
            self.messages.append(record.getMessage())


@contextlib.contextmanager
def _missing_glyphs() -> Iterator[None]:
    logger = logging.getLogger("weasyprint")
    handler = _NotdefHandler()
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    if handler.messages:
        raise MissingGlyphs("; ".join(dict.fromkeys(handler.messages)))


def render_pdf(html: str, base_dir: Path) -> bytes:
    """Render ``html`` to PDF; relative URLs resolve, and must stay, inside ``base_dir``.

    Raises :class:`ResourceRefused` for any other URL and :class:`MissingGlyphs` when a
    character would print as an empty box.
    """
    base_dir = base_dir.resolve()
    try:
        with _missing_glyphs():
            fetcher = _FolderFetcher(base_dir)
            return HTML(string=html, base_url=f"{base_dir.as_uri()}/", url_fetcher=fetcher).write_pdf()
    except FatalURLFetchingError as error:
        raise ResourceRefused(str(error.__cause__ or error)) from error
    finally:
        gc.collect()  # WeasyPrint leaves reference cycles; without this a worker keeps growing


def format_date(day: date) -> str:
    """``2026年11月29日``."""
    return f"{day.year}年{day.month}月{day.day}日"


def format_number(value: float) -> str:
    """``6`` for 6.0, ``91.7`` for 91.666…: hours and scores without a pointless ``.0``."""
    return f"{round(value, 1):g}"


#: (widest name in em, CSS class) for each size step of the name: 30pt, 24pt, 19pt; beyond the
#: last, ``fit-4`` (15pt) wraps within the line. An em is one CJK character; letter-spacing included.
NAME_STEPS = ((9.5, "fit-1"), (19.0, "fit-2"), (24.0, "fit-3"))


def name_width(name: str) -> float:
    """The width of ``name`` in em: CJK (wide) characters 1, others about 0.6."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in name)


def name_fit(name: str) -> str:
    """The CSS class that sizes ``name`` to the certificate's line (see certificate.css)."""
    width = name_width(name)
    return next((css for widest, css in NAME_STEPS if width <= widest), "fit-4")


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code of ``url``, sized by CSS."""
    return Markup(segno.make(url, error="m").svg_inline(omitsize=True))


def certificate_html(snapshot: CertificateSnapshot, template_dir: Path | None = None,
                     logo: str | None = None) -> str:
    """``certificate.html`` from ``template_dir`` (a course author's, so sandboxed) filled in;
    ``logo`` is the deployment's logo as a ``data:`` URI, or None."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(template_dir or DEFAULT_TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt field, or an unsafe attribute, fails rather than prints ""
    )
    env.filters.update(format_date=format_date, format_number=format_number)
    env.globals.update(format_date=format_date, format_number=format_number, name_fit=name_fit)
    return env.get_template(TEMPLATE_NAME).render(snapshot=snapshot, qr_svg=qr_svg(snapshot.verify_url),
                                                  logo=logo)


def render_certificate(snapshot: CertificateSnapshot, template_dir: Path | None = None,
                       logo: str | None = None) -> bytes:
    """Raises :class:`~lms.certificates.fonts.FontsMissing` (one sentence: what to install) before
    rendering on a machine without the certificate fonts, rather than a PDF of empty boxes."""
    require_fonts()
    template_dir = template_dir or DEFAULT_TEMPLATE_DIR
    return render_pdf(certificate_html(snapshot, template_dir, logo), template_dir)


def issue_pdf(snapshot: CertificateSnapshot, keys: SigningKeys, template_dir: Path | None = None,
              logo: str | None = None) -> bytes:
    """The certificate as it is stored: rendered, signed with ``keys``, then checked (one page,
    fonts embedded, the holder, course, serial and URL in its text); raises
    :class:`~lms.certificates.pdfcheck.CertificatePdfInvalid` for a PDF that must not be issued."""
    signed = sign_pdf(render_certificate(snapshot, template_dir, logo), keys, location=snapshot.issuer)
    check_certificate_pdf(signed, snapshot)
    return signed


def certificate_png(pdf: bytes) -> bytes:
    """The first page at 60 dpi, to look at or compare."""
    result = subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-singlefile", "-"],
        input=pdf, capture_output=True, check=True,
    )
    return result.stdout
