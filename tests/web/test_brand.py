"""The deployment's logo, favicon and brand colours from its static/ folder."""

from __future__ import annotations

import base64
import io
import re
import subprocess

import pytest
import segno

from lms.brand import logo_data_uri

from ..unit.test_certificate_pdf import SNAPSHOT


def _png() -> bytes:
    buffer = io.BytesIO()
    segno.make("logo").save(buffer, kind="png", scale=4)
    return buffer.getvalue()


@pytest.fixture
def brand_dir(tmp_path):
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "logo.png").write_bytes(_png())
    (folder / "favicon.ico").write_bytes(b"\x00\x00\x01\x00")
    (folder / "brand.css").write_text(":root { --brand: #7a1f5c; }\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not for the public", encoding="utf-8")
    return folder


@pytest.fixture
def app_config(brand_dir):
    return {"LMS_BRAND_DIR": str(brand_dir)}


def test_pages_use_the_deployments_logo_favicon_and_colours(client):
    page = client.get("/login").get_data(as_text=True)
    logo = re.search(r'<img class="brand__logo" src="(/brand/logo\.png\?v=\d+)"', page)
    css = re.search(r'<link rel="stylesheet" href="(/brand/brand\.css\?v=\d+)">', page)
    icon = re.search(r'<link rel="icon" href="(/brand/favicon\.ico\?v=\d+)">', page)
    assert logo and css and icon
    assert page.index("lms.css") < page.index("/brand/brand.css")  # brand colours win
    with client.get(css.group(1)) as response:
        assert response.status_code == 200 and "--brand: #7a1f5c" in response.get_data(as_text=True)
        assert response.cache_control.max_age == 3600
    with client.get(logo.group(1)) as response:
        assert response.data == _png()
    with client.get(icon.group(1)) as response:
        assert response.status_code == 200 and "Set-Cookie" not in response.headers
    for other in ("/brand/notes.txt", "/brand/..%2Fstatic%2Fnotes.txt", "/brand/logo.svg"):
        assert client.get(other).status_code == 404, other


@pytest.mark.parametrize("app_config", [{"LMS_BRAND_DIR": "/nonexistent/static"}])
def test_without_brand_files_the_package_defaults_apply(client):
    page = client.get("/login").get_data(as_text=True)
    assert "brand__logo" not in page and "/brand/" not in page
    assert '<link rel="icon" href="/static/favicon.svg">' in page
    with client.get("/static/favicon.svg") as response:
        assert response.status_code == 200


def test_the_certificate_prints_the_logo_on_its_one_page(app, tmp_path):
    from lms.certificates.render import render_certificate

    logo = logo_data_uri(app)
    assert logo.startswith("data:image/png;base64,") and base64.b64decode(logo.split(",")[1]) == _png()
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(render_certificate(SNAPSHOT, logo=logo))
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]
    assert len(images) == 1 and images[0].split()[0] == "1"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M)
