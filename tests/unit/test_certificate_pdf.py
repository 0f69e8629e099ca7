"""The certificate PDF: one landscape page, two embedded CJK faces, and a template that cannot escape."""

from __future__ import annotations

import struct
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import segno
from jinja2.exceptions import SecurityError

from lms.certificates.render import (
    DEFAULT_TEMPLATE_DIR,
    MissingGlyphs,
    ResourceRefused,
    certificate_html,
    certificate_png,
    format_date,
    render_certificate,
    render_pdf,
)
from lms.certificates.snapshot import CertificateSnapshot

SNAPSHOT = CertificateSnapshot(
    serial="CC-2026-000123",
    holder_name="王小明",
    employee_no="E20231",
    department="催收一部",
    course_title="信用卡逾期账户合规催收实务",
    hours=6.0,
    score=92.0,
    issued_on=date(2026, 11, 29),
    expires_on=date(2028, 11, 29),
    verify_url="https://lms.example-bank.cn/certificates/verify/CC-2026-000123",
    signatory_name="张建国",
    signatory_title="培训中心主任",
)
SECRET = "TOP-SECRET-4242"


@pytest.fixture(scope="module")
def pdf_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("certificate") / "certificate.pdf"
    path.write_bytes(render_certificate(SNAPSHOT))
    return path


def _tool(*args: str | Path) -> str:
    return subprocess.run([str(arg) for arg in args], capture_output=True, text=True, check=True).stdout


def _template(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "template"
    folder.mkdir()
    (folder / "certificate.html").write_text(f"<!doctype html><html><body>{body}</body></html>")
    return folder


def test_certificate_is_one_landscape_page_with_its_text(pdf_file):
    info = dict(line.split(":", 1) for line in _tool("pdfinfo", pdf_file).splitlines() if ":" in line)
    assert int(info["Pages"]) == 1
    width, _, height = info["Page size"].split()[:3]
    assert float(width) > float(height)

    text = _tool("pdftotext", pdf_file, "-")
    for expected in ("王小明", "结业证书", "CC-2026-000123", "《信用卡逾期账户合规催收实务》", "共 6 学时",
                     "综合成绩 92 分", "2026年11月29日", "有效期至", "2028年11月29日", "扫码验证"):
        assert expected in text


def test_certificate_embeds_at_most_two_subset_cjk_fonts(pdf_file):
    rows = _tool("pdffonts", pdf_file).splitlines()[2:]
    assert 1 <= len(rows) <= 2
    for row in rows:
        name, *_, emb, sub, _uni, _obj, _gen = row.split()
        assert "Noto" in name and "CJK" in name, row
        assert (emb, sub) == ("yes", "yes"), row


def test_certificate_is_small(pdf_file):
    assert pdf_file.stat().st_size < 400 * 1024


def test_optional_lines_are_left_out():
    bare = replace(SNAPSHOT, employee_no=None, department=None, score=None, expires_on=None, hours=1.5)
    html = certificate_html(bare)
    assert "共 1.5 学时" in html
    assert "工号" not in html and "综合成绩" not in html and "有效期至" not in html
    render_certificate(bare)


def test_png_preview_is_landscape():
    png = certificate_png(render_certificate(SNAPSHOT))
    assert png.startswith(b"\x89PNG")
    width, height = struct.unpack(">II", png[16:24])
    assert width > height


def test_character_no_font_has_raises_missing_glyphs():
    with pytest.raises(MissingGlyphs, match="U\\+E000"):
        render_certificate(replace(SNAPSHOT, holder_name="王\ue000明"))


def test_dates_print_the_chinese_way():
    assert format_date(date(2026, 1, 5)) == "2026年1月5日"


def test_snapshot_round_trips_through_json():
    data = SNAPSHOT.to_json()
    assert data["issued_on"] == "2026-11-29"
    assert CertificateSnapshot.from_json(data) == SNAPSHOT
    bare = replace(SNAPSHOT, expires_on=None, score=None)
    assert CertificateSnapshot.from_json(bare.to_json()) == bare


def test_qr_code_encodes_the_verify_url():
    html = certificate_html(SNAPSHOT)
    assert segno.make(SNAPSHOT.verify_url, error="m").svg_inline(omitsize=True) in html
    assert render_pdf(html, DEFAULT_TEMPLATE_DIR).startswith(b"%PDF")


def test_template_may_use_its_own_files_and_data_uris(tmp_path):
    image = segno.make("王小明").png_data_uri()
    folder = _template(tmp_path, f'<link rel="stylesheet" href="style.css"><p>王小明</p><img src="{image}">')
    (folder / "style.css").write_text('p { font-family: "Noto Sans CJK SC"; } p::after { content: "样式"; }')
    pdf = tmp_path / "custom.pdf"
    pdf.write_bytes(render_certificate(SNAPSHOT, folder))
    assert "王小明样式" in _tool("pdftotext", pdf, "-")


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "http://example.com/x.png",
    "https://example.com/x.css",
    "ftp://example.com/x.css",
    "../secret.txt",
    "file://{secret}",
    "link.css",  # a symlink inside the folder pointing outside it
])
@pytest.mark.parametrize("tag", ['<link rel="stylesheet" href="{url}">', '<img src="{url}">'])
def test_template_cannot_fetch_outside_its_folder(tmp_path, url, tag):
    secret = tmp_path / "secret.txt"
    secret.write_text(f"p::after {{ content: '{SECRET}' }}")
    folder = _template(tmp_path, tag.format(url=url.format(secret=secret)) + "<p>王小明</p>")
    (folder / "link.css").symlink_to(secret)
    with pytest.raises(ResourceRefused, match="refused") as refused:
        render_certificate(SNAPSHOT, folder)
    assert SECRET not in str(refused.value)


@pytest.mark.parametrize("payload", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ snapshot.__class__.__init__.__globals__ }}",
    "{{ format_date.__globals__['subprocess'] }}",
    "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
])
def test_template_cannot_escape_the_sandbox(tmp_path, payload):
    folder = _template(tmp_path, payload)
    with pytest.raises(SecurityError):
        render_certificate(SNAPSHOT, folder)
