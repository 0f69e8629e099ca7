"""The deployment's own look: logo, favicon and brand colours from the top-level ``static/``
folder (``LMS_BRAND_DIR``), served by the standalone app at ``/brand/…``.

Looked up once when the app starts (restart after changing the files); a file that is absent
leaves the package's default (the site name as text, the package favicon, lms.css's colours).
"""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, send_from_directory, url_for

#: What a deployment may supply, and the file names tried for each, in order.
BRAND_FILES = {
    "logo": ("logo.svg", "logo.png"),
    "favicon": ("favicon.ico", "favicon.svg", "favicon.png"),
    "css": ("brand.css",),
}
EXTENSION_KEY = "lms.brand"


@dataclass(frozen=True)
class Brand:
    folder: Path
    files: dict[str, str] = field(default_factory=dict)  # kind -> file name
    versions: dict[str, int] = field(default_factory=dict)  # kind -> modification time

    def path(self, kind: str) -> Path | None:
        name = self.files.get(kind)
        return self.folder / name if name else None


def find_brand(folder: Path) -> Brand:
    files, versions = {}, {}
    for kind, names in BRAND_FILES.items():
        found = next((name for name in names if (folder / name).is_file()), None)
        if found:
            files[kind], versions[kind] = found, int((folder / found).stat().st_mtime)
    return Brand(folder, files, versions)


blueprint = Blueprint("lms_brand", __name__)


@blueprint.get("/brand/<name>")
def asset(name: str):
    brand: Brand = current_app.extensions[EXTENSION_KEY]
    if name not in brand.files.values():
        abort(404)
    return send_from_directory(brand.folder, name, max_age=3600)


def init_brand(app: Flask) -> None:
    """Serve the deployment's brand files (the standalone app only: a host brands its own pages)."""
    app.extensions[EXTENSION_KEY] = find_brand(Path(app.config["LMS_BRAND_DIR"]))
    app.register_blueprint(blueprint, url_prefix=app.config["LMS_URL_PREFIX"] or None)


def brand_urls() -> dict[str, str]:
    """``{"logo": url, "favicon": url, "css": url}`` for the files the deployment supplies, each
    with its modification time so a replaced file is fetched again."""
    brand: Brand | None = current_app.extensions.get(EXTENSION_KEY)
    if brand is None:
        return {}
    return {kind: url_for("lms_brand.asset", name=name, v=brand.versions[kind])
            for kind, name in brand.files.items()}


def logo_data_uri(app: Flask) -> str | None:
    """The logo as a ``data:`` URI, for the certificate (its renderer fetches no other files)."""
    brand: Brand | None = app.extensions.get(EXTENSION_KEY)
    path = brand.path("logo") if brand else None
    if path is None:
        return None
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"
