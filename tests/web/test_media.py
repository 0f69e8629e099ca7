"""A course's images: hostile uploads refused or cleaned, real images re-encoded without their
metadata, names made safe, duplicates reused, drafts published with the module that shows them,
served to trainees with the right type, kept by packages, and `lms check`'s alt-text warning."""

from __future__ import annotations

import io
import re
import shutil
import zipfile

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from lms.db import session

from ..conftest import COURSE, SHIPPED_COURSES, SHIPPED_QUIZZES, csrf_token

MODULE = "overview-and-process"
ITEM = f"/author/{COURSE}/module/{MODULE}"
MEDIA = f"/author/{COURSE}/media"
SVG_HEAD = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            'width="20" height="10">')


def png(size=(40, 30), color=(200, 30, 30), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG", **save)
    return out.getvalue()


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (64, 48), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0110] = "Model-123"  # Model
    exif[0x0112] = 6  # Orientation: rotated 90°
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"secret comment")
    return out.getvalue()


@pytest.fixture
def trainer(client, shipped_course, make_user, login):
    login(make_user("trainer", display_name="李培训"))
    return client


def upload(client, name, data, json=True, **form):
    headers = {"Accept": "application/json"} if json else {}
    # encoded here: the test client would spool a large body to a file it never closes
    boundary, body = encode_multipart({"csrf_token": csrf_token(client, MEDIA), **form,
                                       "image": FileStorage(io.BytesIO(data), name)})
    return client.post(MEDIA, data=body, headers=headers,
                       content_type=f"multipart/form-data; boundary={boundary}")


def stored(app, path):
    from lms.authoring.media import media_file

    with app.app_context():
        found = media_file(COURSE, path)
        return found[0] if found else None


def bomb_png() -> bytes:
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")  # 100 million pixels in a few kB
    return out.getvalue()


ENTITY_BOMB = ('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
               '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
               f'{SVG_HEAD}<text>&c;</text></svg>')

HOSTILE = [
    ("page.png", b"<html><body><script>alert(1)</script></body></html>", "这个文件不是图片"),
    ("broken.png", b"\x89PNG\r\n\x1a\n" + b"<script>alert(1)</script>" * 10,
     "无法读取"),
    ("empty.png", b"", "文件是空的。"),
    ("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (5 * 1024 * 1024), "文件超过 5.0 MB"),
    ("bomb.png", bomb_png(), "超过 40 百万像素，这是允许的上限。请缩小后再试。 (10000 × 10000)"),
    ("s.svg", f"{SVG_HEAD}<script>alert(1)</script></svg>".encode(), "包含&lt;script&gt;"),
    ("s.svg", (SVG_HEAD.replace(">", ' onload="alert(1)">', 1) + "</svg>").encode(),
     "事件处理程序（onload）"),
    ("s.svg", f"{SVG_HEAD}<foreignObject><body xmlns='http://www.w3.org/1999/xhtml'>x</body>"
     "</foreignObject></svg>".encode(), "包含&lt;foreignObject&gt;"),
    ("s.svg", f'{SVG_HEAD}<use xlink:href="javascript:alert(1)"/></svg>'.encode(),
     "指向文件之外的链接（javascript:alert(1)）"),
    ("s.svg", f'{SVG_HEAD}<use href="https://evil.example/x.svg#a"/></svg>'.encode(),
     "指向文件之外的链接（https://evil.example/x.svg#a）"),
    ("s.svg", f'{SVG_HEAD}<image href="data:image/png;base64,AAAA"/></svg>'.encode(),
     "包含&lt;image&gt;"),
    ("s.svg", f'{SVG_HEAD}<rect width="5" height="5" fill="url(https://evil.example/p)"/></svg>'.encode(),
     "对文件之外内容的引用"),
    ("s.svg", f"{SVG_HEAD}<style>@import url(https://evil.example/x.css);</style></svg>".encode(),
     "从文件之外加载内容的样式表"),
    ("s.svg", ENTITY_BOMB.encode(), "声明了 DOCTYPE 或实体"),
    ("s.svg", b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"/>', "不是 SVG 图片"),
]


@pytest.mark.parametrize(("name", "data", "message"), HOSTILE,
                         ids=[f"{i}-{m[:30]}" for i, (_n, _d, m) in enumerate(HOSTILE)])
def test_a_hostile_upload_is_refused_with_its_reason_and_nothing_is_kept(app, trainer, name, data, message):
    from lms.authoring.models import Draft

    response = upload(trainer, name, data, json=False)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page, page[page.find("media-error"):][:600]
    assert 'aria-invalid="true"' in page
    response = upload(trainer, name, data)
    assert response.status_code == 400 and response.json["message"]
    with app.app_context():
        assert session.scalar(select(Draft)) is None


def test_a_polyglot_keeps_its_pixels_and_loses_its_payload(app, trainer):
    payload = b"<script>alert(document.cookie)</script>"
    gif = io.BytesIO()
    Image.new("P", (8, 8)).save(gif, "GIF", comment=payload)
    response = upload(trainer, "poly.gif", gif.getvalue() + payload)
    assert response.status_code == 200 and response.json["path"] == "images/poly.gif"
    data = stored(app, "images/poly.gif")
    assert payload not in data and b"script" not in data
    assert Image.open(io.BytesIO(data)).size == (8, 8)

    info = __import__("PIL.PngImagePlugin", fromlist=["PngInfo"]).PngInfo()
    info.add_text("Comment", "<html><script>alert(1)</script></html>")
    response = upload(trainer, "text-chunk.png", png(pnginfo=info))
    assert b"script" not in stored(app, response.json["path"])


def test_a_real_jpeg_and_png_round_trip_without_their_metadata(app, trainer):
    original = jpeg_with_exif()
    assert b"SecretCam" in original
    response = upload(trainer, "照片.jpeg", original)
    assert response.json["path"] == "images/照片.jpg"
    data = stored(app, "images/照片.jpg")
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.size == (48, 64)  # the orientation applied, then dropped
    assert b"SecretCam" not in data and b"secret comment" not in data and not image.getexif()

    response = upload(trainer, "flow.PNG", png(dpi=(300, 300)))
    data = stored(app, response.json["path"])
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == (40, 30) and "dpi" not in image.info
    assert image.getpixel((5, 5)) == (200, 30, 30)


def test_a_clean_svg_keeps_its_drawing_and_loses_the_rest(app, trainer):
    svg = (f'{SVG_HEAD}<metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
           '</metadata><defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient>'
           '</defs><rect width="20" height="10" fill="url(#g)" data-x="1"/><!-- a comment -->'
           '<use href="#g"/><text x="1" y="8">流程</text></svg>')
    response = upload(trainer, "diagram.svg", svg.encode())
    data = stored(app, response.json["path"]).decode()
    assert '<rect width="20" height="10" fill="url(#g)" />' in data or 'fill="url(#g)"' in data
    assert "metadata" not in data and "comment" not in data and "data-x" not in data
    assert "流程" in data and 'href="#g"' in data


@pytest.mark.parametrize(("name", "path"), [
    ("../../etc/passwd.png", "images/passwd.png"),
    ("催收 流程图𪚥.PNG", "images/催收-流程图𪚥.png"),
    ("../", "images/image.png"),
    ("a<b>c.png", "images/a-b-c.png"),
])
def test_file_names_become_readable_slugs_inside_the_images_folder(trainer, name, path):
    response = upload(trainer, name, png())
    assert response.json["path"] == path


def test_a_name_from_any_system_loses_its_folders(app):
    from lms.content.images import safe_stem

    assert safe_stem("C:\\Users\\李\\..\\win.png") == "win"
    assert safe_stem('a<b>"c"?.png') == "a-b-c"
    assert safe_stem(".htaccess") == "htaccess" and safe_stem("") == "image"
    assert safe_stem("Ｆｌｏｗ　图.png") == "flow-图"  # full-width letters and space made plain
    assert len(safe_stem("长" * 200 + ".png")) == 60


def test_the_same_image_twice_is_reused_and_a_taken_name_gets_another(trainer):
    first = upload(trainer, "流程.png", png()).json
    assert first == {**first, "path": "images/流程.png", "reused": False}
    again = upload(trainer, "copy.png", png()).json
    assert again["path"] == "images/流程.png" and again["reused"] and "已在课程中" in again["message"]
    other = upload(trainer, "流程.png", png(color=(0, 0, 0))).json
    assert other["path"] == "images/流程-2.png"


def test_an_upload_is_a_draft_published_with_the_module_that_shows_it(app, trainer, client, make_user,
                                                                      login):
    from lms.authoring import services
    from lms.authoring.items import Item
    from lms.authoring.models import MODULE as MODULE_KIND

    assert upload(trainer, "flow.png", png(), json=False).status_code == 302
    page = trainer.get(ITEM).get_data(as_text=True)
    assert 'data-media-insert="images/flow.png"' in page and "media.js" in page
    assert "40 × 30 px" in page and 'role="status"' in page
    assert trainer.get(f"/author/{COURSE}/module/assets/images/flow.png").mimetype == "image/png"
    assert "flow.png" not in trainer.get("/author/").get_data(as_text=True)  # not an item of its own
    assert "data-media" not in trainer.get(f"/author/{COURSE}/course/{COURSE}").get_data(as_text=True)

    with app.app_context():
        item = Item(COURSE, MODULE_KIND, MODULE)
        source = services.editable_source(item)[0] + "\n![催收流程图](images/flow.png)\n"
        services.save_draft(item, source, "李培训", 1)
        session.commit()
    media_page = trainer.get(MEDIA).get_data(as_text=True)
    assert f'{ITEM}#L' in media_page  # "used in" links to the line

    trainee_url = f"/courses/{COURSE}/assets/images/flow.png"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user("trainee", username="reader"))
    assert client.get(trainee_url).status_code == 404  # a draft: not for trainees
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user("trainer", username="publisher"))
    with app.app_context():
        services.publish(COURSE, "王五", "图", [item])
        session.commit()
        assert services.drafts_of(COURSE) == []
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user("trainee", username="reader2"))
    response = client.get(trainee_url)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert 'src="assets/images/flow.png"' in client.get(f"/courses/{COURSE}/{MODULE}").get_data(as_text=True)


def test_a_course_with_four_eyes_needs_no_approval_for_a_new_image_only_for_its_module(app, trainer):
    from lms.authoring import services
    from lms.authoring.items import Item
    from lms.authoring.models import MODULE as MODULE_KIND

    upload(trainer, "flow.png", png())
    with app.app_context():
        from lms.learning.models import Course

        session.scalar(select(Course)).settings = {**session.scalar(select(Course)).settings,
                                                    "review_required": True}
        item = Item(COURSE, MODULE_KIND, MODULE)
        services.save_draft(item, services.editable_source(item)[0] + "\n![图](images/flow.png)\n",
                            "李培训", 1)
        with pytest.raises(services.ReviewRequired, match=f"{COURSE}/{MODULE}$"):
            services.publish(COURSE, "李培训", items=[item])
        services.approve(item, "王审核", services.draft_of(item).version)
        services.publish(COURSE, "李培训", items=[item])
        session.commit()


def test_package_export_and_import_keep_the_images(app, trainer, tmp_path):
    from lms.authoring.packages import export_tree, read_package
    from lms.authoring.services import publish
    from lms.authoring.tree import write_zip

    upload(trainer, "unused.png", png())
    with app.app_context():
        publish(COURSE, "李培训", "图")  # the whole course: the image not yet used goes too
        session.commit()
    response = trainer.get(f"/author/{COURSE}/package.zip")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.read(f"courses/{COURSE}/images/unused.png") == stored(app, "images/unused.png")
    with app.app_context():
        tree = export_tree(COURSE)
        package = io.BytesIO()
        write_zip(tree, package)
        package.seek(0)
        specs, changes = read_package(package)
        assert changes == []  # the same site: nothing new
        assert [a.path for a in specs[0].assets] == ["images/unused.png"]


def test_the_media_files_are_for_trainers_only(app, client, shipped_course, make_user, login):
    trainer = make_user("trainer")
    login(trainer)
    upload(client, "flow.png", png())
    urls = [MEDIA, f"{MEDIA}/images/flow.png", f"/author/{COURSE}/module/assets/images/flow.png"]
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert client.get(f"{MEDIA}/images/none.png").status_code == 404
    assert client.get("/author/nope/media").status_code == 404
    for role in ("trainee", "hr"):
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        login(make_user(role))
        for url in urls:
            assert client.get(url).status_code == 403, (role, url)
        assert upload(client, "x.png", png()).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get(urls[1]).status_code == 302
    response = client.post(MEDIA, content_type="multipart/form-data",
                           data={"image": (io.BytesIO(png()), "x.png")})
    assert response.status_code in (302, 400)  # no session, no CSRF token: nothing stored


def test_an_upload_without_a_file_says_so(trainer):
    response = trainer.post(MEDIA, data={"csrf_token": csrf_token(trainer, MEDIA)})
    assert response.status_code == 400 and "选择要上传的图片文件" in response.get_data(as_text=True)


def test_the_upload_limit_is_configurable(app, trainer):
    app.config["LMS_MAX_IMAGE_BYTES"] = 1000
    response = upload(trainer, "photo.jpg", jpeg_with_exif() + b"\0" * 1000)
    assert response.status_code == 400 and "1000" not in response.json["message"]
    assert re.search(r"0\.0 MB", response.json["message"])


@pytest.fixture
def content_copy(tmp_path):
    shutil.copytree(SHIPPED_COURSES, tmp_path / "courses")
    shutil.copytree(SHIPPED_QUIZZES, tmp_path / "quizzes")
    return tmp_path


def test_lms_check_warns_of_an_image_without_alt_text_and_fails_on_a_missing_one(runner, content_copy):
    folder = content_copy / "courses" / COURSE
    (folder / "images").mkdir()
    (folder / "images" / "flow.png").write_bytes(png())
    module = folder / "01-overview-and-process.md"
    text = module.read_text(encoding="utf-8")
    line = len(text.splitlines()) + 2
    module.write_text(text + "\n![](images/flow.png)\n", encoding="utf-8")
    paths = [str(content_copy / "courses"), str(content_copy / "quizzes")]
    result = runner.invoke(args=["lms", "check", *paths])
    assert result.exit_code == 0, result.output
    assert (f"01-overview-and-process.md:{line}: warning: image 'images/flow.png' has no alt text"
            in result.output)
    assert runner.invoke(args=["lms", "check", "--strict", *paths]).exit_code == 1

    module.write_text(text + "\n![流程图](images/missing.png)\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "check", *paths])
    assert result.exit_code == 1
    assert f"01-overview-and-process.md:{line}: image 'images/missing.png' not found" in result.output
