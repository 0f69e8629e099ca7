"""Names the certificate fonts can print, long names, the PDF check before issuing, and signatures."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from lms.certificates.fonts import NAME_MAX_LENGTH, can_render, name_problem, unprintable
from lms.certificates.pdfcheck import CertificatePdfInvalid, check_certificate_pdf, read_pdf
from lms.certificates.render import certificate_png, issue_pdf, render_certificate
from lms.certificates.signing import (
    BROKEN,
    MISSING,
    UNREADABLE,
    UNTRUSTED,
    VALID,
    SigningKeyError,
    SigningKeys,
    check_signature,
    generate_key_and_certificate,
    instance_keys,
    sign_pdf,
)

from .test_certificate_pdf import SNAPSHOT

RARE = "𪚥𠔻"  # CJK extension B: in Hanazono Mincho, not in Noto CJK


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> SigningKeys:
    return instance_keys(tmp_path_factory.mktemp("instance"), "信用卡催收培训中心")


@pytest.fixture(scope="module")
def other_keys(tmp_path_factory) -> SigningKeys:
    return instance_keys(tmp_path_factory.mktemp("elsewhere"), "别处的培训中心")


@pytest.fixture(scope="module")
def signed(keys) -> bytes:
    return issue_pdf(SNAPSHOT, keys)


# --- fonts and names -------------------------------------------------------------------------

def test_cjk_extension_characters_are_printable_and_what_no_font_has_is_named():
    assert can_render("王小明") and can_render(RARE) and can_render("Zoë Müller-Łukasz")
    assert unprintable("张🫠\ue000三🫠") == ["🫠", "\ue000"]
    assert not can_render("王\n明")


def test_name_problems():
    assert name_problem("𪚥明") is None
    assert name_problem("王" * NAME_MAX_LENGTH) is None
    assert name_problem("王" * (NAME_MAX_LENGTH + 1)).too_long
    problem = name_problem("李🫠")
    assert problem.characters == ("🫠",) and problem.shown == "🫠 U+1FAE0"
    assert name_problem("李\ue000").shown == "U+E000"  # a character that shows nothing: its code only


@pytest.mark.parametrize("name", [RARE + "明", "王" * NAME_MAX_LENGTH, "林" + RARE * 29,
                                  "Maximilian Alexander von Hohenzollern-Sigmaringen Jr", "李" * 12])
def test_rare_and_long_names_are_printed_on_one_page(keys, name):
    snapshot = replace(SNAPSHOT, holder_name=name)
    pdf = issue_pdf(snapshot, keys)
    facts = read_pdf(pdf)
    assert facts.pages == 1 and not facts.unembedded
    squeezed = "".join(facts.text.split())
    for expected in (name, SNAPSHOT.course_title, SNAPSHOT.serial, SNAPSHOT.verify_url):
        assert "".join(expected.split()) in squeezed
    if RARE[0] in name:
        assert any("HanaMin" in font for font in facts.fonts)


# --- the check before issuing ----------------------------------------------------------------

def test_a_blank_bodied_certificate_is_refused(keys, tmp_path: Path):
    """Before names were fitted, 120 characters pushed the body off the page, leaving only the title."""
    folder = tmp_path / "unfitted"
    folder.mkdir()
    (folder / "certificate.html").write_text(
        "<!doctype html><html><head><style>@page { size: A4 landscape; margin: 0 } body { margin: 0;"
        " font-family: 'Noto Sans CJK SC' } main { position: absolute; top: 300mm }</style></head>"
        "<body><h1>结业证书</h1><main>{{ snapshot.holder_name }} {{ snapshot.course_title }} "
        "{{ snapshot.serial }} {{ snapshot.verify_url }}</main></body></html>", encoding="utf-8")
    pdf = render_certificate(SNAPSHOT, folder)
    with pytest.raises(CertificatePdfInvalid, match="holder, course, serial, verification URL"):
        check_certificate_pdf(pdf, SNAPSHOT)
    with pytest.raises(CertificatePdfInvalid):
        issue_pdf(SNAPSHOT, keys, folder)


def test_a_template_that_omits_the_serial_is_refused(keys, tmp_path: Path):
    folder = tmp_path / "no-serial"
    folder.mkdir()
    (folder / "certificate.html").write_text(
        "<!doctype html><html><body style=\"font-family: 'Noto Sans CJK SC'\"><h1>结业证书</h1>"
        "<p>{{ snapshot.holder_name }} {{ snapshot.course_title }} {{ snapshot.verify_url }}</p>"
        "</body></html>", encoding="utf-8")
    with pytest.raises(CertificatePdfInvalid, match="lacks its serial$"):
        issue_pdf(SNAPSHOT, keys, folder)


def test_a_second_page_and_garbage_are_refused(tmp_path: Path):
    folder = tmp_path / "two-pages"
    folder.mkdir()
    (folder / "certificate.html").write_text(
        "<!doctype html><html><body style=\"font-family: 'Noto Sans CJK SC'\"><p>{{ snapshot.holder_name }}"
        " {{ snapshot.course_title }}</p><p style=\"break-before: page\">{{ snapshot.serial }} "
        "{{ snapshot.verify_url }}</p></body></html>", encoding="utf-8")
    with pytest.raises(CertificatePdfInvalid, match="2 pages"):
        check_certificate_pdf(render_certificate(SNAPSHOT, folder), SNAPSHOT)
    with pytest.raises(CertificatePdfInvalid, match="unreadable"):
        check_certificate_pdf(b"%PDF-1.7\nnot really\n%%EOF", SNAPSHOT)


# --- signatures ------------------------------------------------------------------------------

def test_an_issued_certificate_carries_a_valid_signature(keys, signed):
    check = check_signature(signed, keys)
    assert check.status == VALID and "信用卡催收培训中心" in check.signer
    assert b"/ETSI.CAdES.detached" in signed  # PAdES


def test_signing_works_inside_a_running_event_loop(keys, signed):
    """An async host (or a test driving a browser) already runs a loop in the thread."""
    async def inside():
        return sign_pdf(render_certificate(SNAPSHOT), keys)

    with ThreadPoolExecutor(max_workers=1) as pool:  # a thread of its own, whatever runs here
        signed_inside = pool.submit(asyncio.run, inside()).result()
    assert check_signature(signed_inside, keys).is_valid


def test_a_changed_byte_breaks_the_signature(keys, signed):
    start = signed.index(b"stream", len(signed) // 4) + 20  # inside a signed content stream
    altered = bytearray(signed)
    altered[start] ^= 0x01
    assert check_signature(bytes(altered), keys).status == BROKEN
    assert check_signature(signed + b"\n% appended\n", keys).status == BROKEN


def test_a_pdf_signed_elsewhere_or_unsigned_is_not_valid(keys, other_keys):
    resigned = issue_pdf(SNAPSHOT, other_keys)
    check = check_signature(resigned, keys)
    assert check.status == UNTRUSTED and "别处的培训中心" in check.signer
    assert check_signature(render_certificate(SNAPSHOT), keys).status == MISSING
    assert check_signature(b"not a pdf", keys).status == UNREADABLE


def test_the_instance_key_is_made_once_and_kept_private(tmp_path: Path):
    first = instance_keys(tmp_path, "中心")
    assert (Path(first.key).stat().st_mode & 0o777) == 0o600
    before = Path(first.cert).read_bytes()
    assert instance_keys(tmp_path, "中心") == first and Path(first.cert).read_bytes() == before


def test_operator_keys_must_belong_together(tmp_path: Path, keys):
    key_pem, _ = generate_key_and_certificate("甲")
    _, cert_pem = generate_key_and_certificate("乙")
    (tmp_path / "key.pem").write_bytes(key_pem)
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    with pytest.raises(SigningKeyError, match="does not belong"):
        sign_pdf(render_certificate(SNAPSHOT),
                 SigningKeys(str(tmp_path / "key.pem"), str(tmp_path / "cert.pem")))


def test_signing_and_checking_add_little_to_rendering(keys, signed):
    """Measured against rendering in the same run (the machine may be busy): warm, a render takes
    about 0.3 s, signing about 0.04 s and the check about 0.02 s."""
    snapshot = replace(SNAPSHOT, holder_name="赵钱孙")
    started = time.perf_counter()
    pdf = render_certificate(snapshot)
    rendered = time.perf_counter()
    check_certificate_pdf(sign_pdf(pdf, keys), snapshot)
    finished = time.perf_counter()
    assert finished - rendered < 0.5 * (rendered - started)


def test_look_at_long_and_rare_names(keys, tmp_path_factory):
    """Writes PNGs of the hardest names to look at (tests/artifacts): the body stays on the page."""
    folder = Path(__file__).parents[1] / "artifacts"
    folder.mkdir(exist_ok=True)
    for label, name in (("rare", RARE + "明"), ("long", "王" + RARE * 29 + "明")):
        png = certificate_png(issue_pdf(replace(SNAPSHOT, holder_name=name), keys))
        assert png.startswith(b"\x89PNG")
        (folder / f"certificate-{label}-name.png").write_bytes(png)
