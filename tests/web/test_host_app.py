"""The LMS mounted in a host app that has its own users, Flask-Login and database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask, redirect, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lms import LMS, HostUser
from lms.db import session as lms_session
from lms.learning.models import ModuleProgress

from ..conftest import import_content, let_time_pass

MODULE = "/training/courses/credit-card-collection/overview-and-process"


class HostBase(DeclarativeBase):
    pass


host_db = SQLAlchemy(model_class=HostBase)


class Staff(UserMixin, host_db.Model):
    __tablename__ = "host_staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    is_collector: Mapped[bool]


def build_host_app(database_url: str, engine_options: dict) -> Flask:
    """A bare host: its own SQLAlchemy, its own users and login, the LMS under /training."""
    app = Flask("host")
    app.config.update(SECRET_KEY="host secret", SQLALCHEMY_DATABASE_URI=database_url,
                      SQLALCHEMY_ENGINE_OPTIONS=engine_options, LMS_URL_PREFIX="/training")
    host_db.init_app(app)
    logins = LoginManager(app)
    logins.login_view = "sign_in"

    @logins.user_loader
    def load(user_id):
        return host_db.session.get(Staff, int(user_id))

    @app.route("/sign-in", methods=["GET", "POST"])
    def sign_in():
        if request.method == "POST":
            login_user(host_db.session.get(Staff, int(request.form["staff_id"])))
            return redirect(request.args.get("next") or "/")
        return "host sign-in page"

    @app.post("/host/notes")
    def host_notes():  # a host form the LMS must leave alone (no CSRF token of the LMS)
        return "noted"

    def identity() -> HostUser | None:
        if not current_user.is_authenticated:
            return None
        return HostUser(id=current_user.id, display_name=current_user.name,
                        roles=["trainee"] if current_user.is_collector else ["hr"],
                        employee_no=f"H{current_user.id:03d}", department="催收中心")

    LMS(app, identity_loader=identity)
    return app


@pytest.fixture
def host_app(app, database):
    """A host app on the same database as the ``app`` fixture (whose LMS tables exist)."""
    host = build_host_app(app.config["SQLALCHEMY_DATABASE_URI"],
                          app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    with host.app_context():
        HostBase.metadata.create_all(host_db.engine)
        host_db.session.add_all([Staff(id=7, name="周敏", is_collector=True),
                                 Staff(id=8, name="吴人事", is_collector=False)])
        host_db.session.commit()
    import_content(host)
    yield host
    with host.app_context():
        HostBase.metadata.drop_all(host_db.engine)
        host_db.engine.dispose()


def test_the_lms_uses_the_hosts_database_and_session(host_app):
    assert "lms" in host_app.extensions
    assert host_app.extensions["sqlalchemy"] is host_db
    assert not hasattr(host_app, "lms")


def test_a_host_user_takes_a_module_under_the_prefix(host_app):
    client = host_app.test_client()
    response = client.get(MODULE)
    assert response.status_code == 302
    assert response.location.startswith("/sign-in?next=")

    client.post("/sign-in", data={"staff_id": "7"})
    dashboard = client.get("/training/").get_data(as_text=True)
    assert "周敏" in dashboard and "信用卡催收合规培训" in dashboard
    assert 'href="/training/courses/credit-card-collection/overview-and-process"' in dashboard

    page = client.get(MODULE).get_data(as_text=True)
    assert "了解客户情况" in page
    assert "/training/static/lms.css" in page
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post(f"{MODULE}/progress", data={"csrf_token": token, "seconds": "0"})  # the visit
    let_time_pass(host_app, "overview-and-process", 7)  # the module asks for 7 minutes
    response = client.post(f"{MODULE}/progress", data={"csrf_token": token, "reached_end": "y",
                                                       "seconds": "420"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.json["completed"]
    with host_app.app_context():
        row = lms_session.query(ModuleProgress).one()
        assert row.enrolment.user.external_id == "7"
        assert row.enrolment.user.employee_no == "H007"
    with client.get("/training/static/lms.css") as stylesheet:
        assert stylesheet.status_code == 200


def test_the_lms_sets_its_headers_on_its_own_responses_only(host_app):
    client = host_app.test_client()
    client.post("/sign-in", data={"staff_id": "7"})
    for url in ("/training/", "/training/attempts/999999", "/training/admin/users"):
        response = client.get(url)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"], url
        assert response.headers["Cache-Control"] == "no-store", url
    host_page = client.get("/sign-in")
    assert "Content-Security-Policy" not in host_page.headers  # the host's pages are the host's


def test_host_roles_are_respected(host_app):
    client = host_app.test_client()
    client.post("/sign-in", data={"staff_id": "7"})
    assert client.get("/training/admin/users").status_code == 403
    assert client.get("/training/login").status_code == 404  # the host owns signing in


def test_a_host_name_no_certificate_can_hold_is_refused_and_logged(host_app, caplog):
    from lms.accounts.models import User

    with host_app.app_context():
        host_db.session.add_all([Staff(id=9, name="郑🫠", is_collector=True),
                                 Staff(id=10, name="冯𪚥", is_collector=True)])
        host_db.session.commit()
    client = host_app.test_client()
    client.post("/sign-in", data={"staff_id": "9"})
    assert client.get("/training/").status_code == 200  # never a 500: the trainee still trains
    assert any("U+1FAE0" in record.getMessage() for record in caplog.records)
    client.post("/sign-in", data={"staff_id": "10"})
    assert client.get("/training/").status_code == 200
    with host_app.app_context():
        names = {u.external_id: u.display_name for u in lms_session.query(User)}
        assert names["9"] == "host:9" and names["10"] == "冯𪚥"
        host_db.session.get(Staff, 10).name = "冯😶‍🌫️🫠"
        host_db.session.commit()
    client.get("/training/")
    with host_app.app_context():  # a refused new name leaves the one the LMS has
        assert lms_session.query(User).filter_by(external_id="10").one().display_name == "冯𪚥"


def test_the_hosts_own_forms_are_not_affected(host_app):
    client = host_app.test_client()
    assert client.post("/host/notes").get_data(as_text=True) == "noted"


def test_a_host_can_use_the_decorator_form(tmp_path: Path):
    app = Flask("decorated")
    app.config.update(SECRET_KEY="x", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/h.db")
    lms = LMS()

    @lms.identity_loader
    def identity():
        return None

    lms.init_app(app)
    assert app.extensions["lms"].uses_host_identity
    assert url_for_in(app, "lms.learning.dashboard") == "/"


def url_for_in(app: Flask, endpoint: str) -> str:
    with app.test_request_context():
        return url_for(endpoint)



def test_a_host_users_first_page_keeps_the_account_it_creates(host_app):
    """The first GET of a host user writes their LMS account: that GET is committed although
    pages that only read are not."""
    from lms.accounts.models import User

    client = host_app.test_client()
    client.post("/sign-in", data={"staff_id": "8"})
    assert client.get("/training/").status_code == 200
    with host_app.app_context():
        user = lms_session.query(User).filter_by(external_id="8").one()
        assert (user.display_name, user.employee_no) == ("吴人事", "H008")


def test_pages_kept_for_the_standalone_app_are_not_reused_under_the_hosts_prefix(host_app, app,
                                                                                 make_user, login,
                                                                                 client):
    """Both apps on one database in one process: what one rendered links to its own mount point."""
    login(make_user("trainee"))
    assert 'href="/courses/credit-card-collection/overview-and-process"' in client.get(
        "/courses/credit-card-collection/").get_data(as_text=True)
    host = host_app.test_client()
    host.post("/sign-in", data={"staff_id": "7"})
    page = host.get("/training/courses/credit-card-collection/").get_data(as_text=True)
    assert 'href="/training/courses/credit-card-collection/overview-and-process"' in page
    assert 'href="/courses/' not in page
    module = host.get(MODULE).get_data(as_text=True)
    assert 'href="/training/courses/credit-card-collection/"' in module and 'href="/courses/' not in module


def test_a_host_users_first_page_takes_the_write_lock_and_later_ones_write_nothing(host_app):
    """The first GET must write the LMS account: it begins a writing transaction before it reads
    the user it will write (on SQLite a read cannot always be upgraded to a write). Later GETs
    find the account as the host has it and neither write nor commit."""
    from ..conftest import counted_queries

    client = host_app.test_client()
    client.post("/sign-in", data={"staff_id": "7"})
    with counted_queries(host_app) as first:
        assert client.get("/training/").status_code == 200
    writes = [i for i, s in enumerate(first) if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert writes
    begins = [s.strip().upper() for s in first[:writes[0]] if s.strip().upper().startswith("BEGIN")]
    if begins:  # the LMS begins SQLite's transactions only on an engine it created itself
        assert begins[-1] == "BEGIN IMMEDIATE", first
    with counted_queries(host_app) as later:
        assert client.get("/training/").status_code == 200
    assert not [s for s in later
                if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "BEGIN IMMEDIATE"))]


def test_a_host_user_is_written_under_the_write_lock(app, database):
    """On an engine the LMS begins transactions for (SQLite), mirroring a host user in a GET
    takes the write lock before reading the row it writes, and twice is one user."""
    from lms.accounts.identity import sync_host_user
    from lms.accounts.models import User

    from ..conftest import counted_queries

    for _ in range(2):
        with app.test_request_context("/"), counted_queries(app) as statements:
            sync_host_user(HostUser(id=41, display_name="郑𪚥", roles=["trainee"], employee_no="H041"))
            lms_session.commit()
        writes = [i for i, s in enumerate(statements) if s.lstrip().upper().startswith("INSERT")]
        if database.backend == "sqlite" and writes:
            begins = [s.strip().upper() for s in statements[:writes[0]]
                      if s.strip().upper().startswith("BEGIN")]
            assert begins and begins[-1] == "BEGIN IMMEDIATE", statements
    with app.app_context():
        user = lms_session.query(User).filter_by(external_id="41").one()
        assert (user.display_name, user.employee_no, user.roles) == ("郑𪚥", "H041", frozenset({"trainee"}))
