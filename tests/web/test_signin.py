"""Sign-in that an attacker or a shared address cannot turn against everyone: the real client
address behind proxies, failures counted per username and per address by every worker together,
per-address limits on the public verification page, and sessions that end."""

from __future__ import annotations

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from flask import request

from lms.accounts.models import User
from lms.config import from_environment
from lms.db import session, utcnow
from lms.throttle import Throttle, ThrottleCounter, address_key
from lms.urls import public_url

from ..conftest import PASSWORD, TEST_CONFIG, _build_app, csrf_token

PROXY = "10.0.0.1"
CLIENT = "198.51.100.7"


def post_login(client, username, password, address="192.0.2.1", headers=None):
    data = {"username": username, "password": password, "csrf_token": csrf_token(client)}
    return client.post("/login", data=data, headers=headers or {},
                       environ_overrides={"REMOTE_ADDR": address})


def alert(response) -> str:
    """The text of the page's error message."""
    found = re.findall(r'role="alert">([^<]*)<', response.get_data(as_text=True))
    return " ".join(found)


@pytest.fixture
def second_app(app, tmp_path):
    """Another app instance on the same database: a second worker or server."""
    config = {**TEST_CONFIG, **{key: app.config[key] for key in app.config if key.startswith("LMS_")},
              "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
    if app.config.get("SQLALCHEMY_ENGINE_OPTIONS"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    other = _build_app(config, tmp_path / "instance-2")
    yield other
    with other.app_context():
        from lms.extensions import db

        db.engine.dispose()


# --- the client's address behind reverse proxies ---------------------------------------------------

def _probe(app):
    """A page that shows what the app takes the client's address, scheme and host to be."""
    @app.get("/_probe")
    def probe():
        return " ".join([request.remote_addr, request.scheme, request.host,
                         public_url("lms.certificates.verify", serial="CC-1")])


@pytest.mark.parametrize(("app_config", "forwarded_for", "proto", "expected"), [
    ({}, CLIENT, "https", f"{PROXY} http localhost"),  # no proxy trusted: the headers are anyone's words
    ({"LMS_TRUSTED_PROXIES": 1}, CLIENT, "https", f"{CLIENT} https localhost"),
    ({"LMS_TRUSTED_PROXIES": 1}, f"6.6.6.6, {CLIENT}", "http, https", f"{CLIENT} https localhost"),
    ({"LMS_TRUSTED_PROXIES": 2}, f"6.6.6.6, {CLIENT}, 10.0.0.2", "https, http", f"{CLIENT} https localhost"),
])
def test_the_client_address_and_scheme_come_from_trusted_proxies_only(app, client, forwarded_for, proto,
                                                                        expected):
    _probe(app)
    response = client.get("/_probe", environ_overrides={"REMOTE_ADDR": PROXY}, headers={
        "X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": proto,
        "X-Forwarded-Host": "evil.example"})
    # X-Forwarded-Host is never believed, and certificate URLs come from LMS_PUBLIC_URL alone
    assert response.get_data(as_text=True) == expected + " https://training.example.com/verify/CC-1"


def test_trusted_proxies_are_read_from_the_environment(tmp_path):
    assert from_environment({"LMS_TRUSTED_PROXIES": "2"}) == {"LMS_TRUSTED_PROXIES": 2}
    with pytest.raises(ValueError, match="LMS_TRUSTED_PROXIES"):
        _build_app({**TEST_CONFIG, "LMS_TRUSTED_PROXIES": -1}, tmp_path)


@pytest.mark.parametrize("app_config", [{"LMS_TRUSTED_PROXIES": 1,
                                         "LMS_LOGIN_ADDRESS_LIMIT": "3 per 15 minutes"}])
def test_behind_a_trusted_proxy_one_clients_spray_does_not_block_the_others(client, make_user):
    user, *others = (make_user("trainee") for _ in range(4))
    for other in others:
        assert post_login(client, other.username, "guess", PROXY,
                          {"X-Forwarded-For": "203.0.113.66"}).status_code == 401
    assert post_login(client, user.username, PASSWORD, PROXY,
                      {"X-Forwarded-For": "203.0.113.66"}).status_code == 429
    assert post_login(client, user.username, PASSWORD, PROXY,
                      {"X-Forwarded-For": CLIENT}).status_code == 302


@pytest.mark.parametrize("app_config", [{"LMS_LOGIN_ADDRESS_LIMIT": "3 per 15 minutes"}])
def test_without_trusted_proxies_a_spoofed_forwarded_for_changes_nothing(client, make_user):
    user, *others = (make_user("trainee") for _ in range(4))
    for number, other in enumerate(others):
        assert post_login(client, other.username, "guess", CLIENT,
                          {"X-Forwarded-For": f"203.0.113.{number}"}).status_code == 401
    response = post_login(client, user.username, PASSWORD, CLIENT, {"X-Forwarded-For": "203.0.113.99"})
    assert response.status_code == 429


# --- failed sign-ins, counted in the database by every worker ------------------------------------

@pytest.mark.parametrize("app_config", [{"LMS_LOGIN_FAILURE_LIMIT": "4 per 15 minutes"}])
def test_failures_for_one_username_count_across_workers(app, second_app, make_user):
    user, colleague = make_user("trainee"), make_user("trainee")
    workers = [app.test_client(), second_app.test_client()]
    for attempt in range(4):  # from four addresses, alternating between the two workers
        response = post_login(workers[attempt % 2], user.username, "wrong", f"192.0.2.{attempt}")
        assert response.status_code == 401
    for worker in workers:  # the right password does not help now, on either worker
        response = post_login(worker, user.username.upper(), PASSWORD, "192.0.2.50")
        assert response.status_code == 429
        assert 890 <= int(response.headers["Retry-After"]) <= 900
    # the same address serves everyone else as before (a call centre behind one NAT)
    assert post_login(workers[1], colleague.username, PASSWORD, "192.0.2.0").status_code == 302


@pytest.mark.parametrize("app_config", [{"LMS_LOGIN_ADDRESS_LIMIT": "6 per 15 minutes"}])
def test_a_spray_from_one_address_is_stopped_across_workers(app, second_app, make_user):
    user, *others = (make_user("trainee") for _ in range(7))
    workers = [app.test_client(), second_app.test_client()]
    for number, other in enumerate(others):  # one guess for each of six names: none reaches its limit
        assert post_login(workers[number % 2], other.username, "123456", "203.0.113.9").status_code == 401
    for worker in workers:
        assert post_login(worker, user.username, PASSWORD, "203.0.113.9").status_code == 429
    assert post_login(workers[0], user.username, PASSWORD, "203.0.113.10").status_code == 302


@pytest.mark.parametrize("app_config", [{"LMS_LOGIN_ADDRESS_LIMIT": "3 per 15 minutes"}])
def test_an_ipv6_client_is_counted_by_its_64_bit_prefix(client, make_user):
    user, *others = (make_user("trainee") for _ in range(4))
    for number, other in enumerate(others, start=1):  # one subscriber rotating through its /64
        assert post_login(client, other.username, "guess", f"2001:db8:1:2::{number}").status_code == 401
    assert post_login(client, user.username, PASSWORD, "2001:db8:1:2:ffff::9").status_code == 429
    assert post_login(client, user.username, PASSWORD, "2001:db8:1:3::1").status_code == 302


def test_address_keys():
    assert address_key("192.0.2.1") == "192.0.2.1"
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert address_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert address_key(None) == ""


def test_a_call_centre_behind_one_address_keeps_signing_in(app, make_user):
    """Default limits: a few people mistyping from one address lock out only themselves."""
    people = [make_user("trainee") for _ in range(6)]
    for person in people:
        for _ in range(2):
            assert post_login(app.test_client(), person.username, "typo", "192.0.2.200").status_code == 401
    for _ in range(5):
        post_login(app.test_client(), people[0].username, "typo", "192.0.2.200")
    assert post_login(app.test_client(), people[0].username, PASSWORD, "192.0.2.200").status_code == 429
    for person in people[1:]:
        assert post_login(app.test_client(), person.username, PASSWORD, "192.0.2.200").status_code == 302


def test_a_successful_sign_in_resets_only_that_users_count(app, make_user):
    first, second = make_user("trainee"), make_user("trainee")
    for person in (first, second):
        for _ in range(4):
            assert post_login(app.test_client(), person.username, "wrong").status_code == 401
    assert post_login(app.test_client(), first.username, PASSWORD).status_code == 302
    for _ in range(4):  # the first starts afresh ...
        assert post_login(app.test_client(), first.username, "wrong").status_code == 401
    assert post_login(app.test_client(), first.username, PASSWORD).status_code == 302
    # ... while the second's four failures still count
    assert post_login(app.test_client(), second.username, "wrong").status_code == 401
    assert post_login(app.test_client(), second.username, PASSWORD).status_code == 429


def test_a_locked_out_user_is_told_when_to_retry(app, client, make_user):
    user = make_user("trainee")
    for _ in range(5):
        post_login(client, user.username, "wrong")
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert alert(response) == "登录失败次数过多，请在 15 分钟后再试。"
    _move_windows(app, timedelta(minutes=2, seconds=30))  # twelve and a half minutes later
    response = post_login(client, user.username, PASSWORD)
    assert alert(response) == "登录失败次数过多，请在 3 分钟后再试。"
    assert "密码" not in alert(response)  # no advice to have the password reset
    _move_windows(app, timedelta(seconds=-1))  # the window is over
    assert post_login(client, user.username, PASSWORD).status_code == 302


def test_concurrent_failures_on_two_workers_are_all_counted(app, second_app):
    throttle = Throttle("database", "100 per 15 minutes", "test")
    barrier = threading.Barrier(16)

    def fail(worker):
        with worker.app_context():
            barrier.wait()
            return throttle.hit("wang")

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(fail, [app, second_app] * 8))
    assert results == [True] * 16
    with app.app_context():
        assert session.query(ThrottleCounter.hits).scalar() == 16


def _move_windows(app, left: timedelta) -> None:
    """Every counting window ends ``left`` from now."""
    with app.app_context():
        for counter in session.query(ThrottleCounter):
            counter.expires_at = utcnow() + left
        session.commit()


def test_an_administrator_unlocks_a_username_on_the_command_line(client, runner, make_user):
    user = make_user("trainee")
    for _ in range(5):
        post_login(client, user.username, "wrong")
    assert post_login(client, user.username, PASSWORD).status_code == 429
    result = runner.invoke(args=["lms", "user", "unlock", user.username.upper()])
    assert result.exit_code == 0 and f"{user.username} may sign in again" in result.output
    assert post_login(client, user.username, PASSWORD).status_code == 302


def test_the_database_counter_starts_a_new_window_and_prunes_ended_ones(app):
    throttle = Throttle("database", "2 per 15 minutes", "test")
    with app.app_context():
        session.add(ThrottleCounter(key="0" * 64, hits=9, expires_at=utcnow() - timedelta(hours=1)))
        session.commit()
        assert throttle.hit("a") and throttle.hit("a") and not throttle.hit("a")
        assert 890 <= throttle.retry_after("a") <= 900 and throttle.retry_after("b") is None
        assert session.get(ThrottleCounter, "0" * 64) is None  # an ended window was dropped
        keys = session.query(ThrottleCounter.key).all()
        assert len(keys) == 1 and re.fullmatch("[0-9a-f]{64}", keys[0][0])  # digests, not names
        throttle.reset("a")
        assert throttle.retry_after("a") is None and throttle.hit("a")


# --- the public verification page --------------------------------------------------------------

@pytest.mark.parametrize("app_config", [{"LMS_VERIFY_LIMIT": "3 per minute"}])
def test_the_verification_limit_is_per_address(app, second_app):
    workers = [app.test_client(), second_app.test_client()]

    def look_up(number, address):
        return workers[number % 2].get("/verify/CC-2026-NONE-0000",
                                       environ_overrides={"REMOTE_ADDR": address})

    assert [look_up(n, "203.0.113.5").status_code for n in range(5)] == [404, 404, 404, 429, 429]
    assert 1 <= int(look_up(0, "203.0.113.5").headers["Retry-After"]) <= 60
    assert look_up(0, "203.0.113.6").status_code == 404  # everyone else is served as before


# --- the session cookie slides without being re-signed on every page ------------------------------

def test_an_unchanged_session_cookie_is_re_sent_only_when_minutes_old(client, make_user, login,
                                                                     monkeypatch):
    from lms import sessions

    login(make_user("trainee"))
    client.get("/")  # the sign-in's message is shown and leaves the session
    assert "Set-Cookie" not in client.get("/").headers  # signed a moment ago, nothing new
    changed = client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client, "/"),
                                             "next": "/"})
    assert "lms_session=" in changed.headers["Set-Cookie"]  # something new: sent at once
    client.get("/")
    assert "Set-Cookie" not in client.get("/").headers
    monkeypatch.setattr(sessions, "REFRESH_AFTER", timedelta(0))
    refreshed = client.get("/")  # as if minutes had passed: signed afresh, its expiry moved on
    assert "lms_session=" in refreshed.headers["Set-Cookie"]
    assert "Expires=" in refreshed.headers["Set-Cookie"]
    assert client.get("/").status_code == 200


# --- sessions end: sign-out, password change, role change ----------------------------------------

def _copy_of_session(app, client):
    """A second browser holding the same session cookie (stolen, or left on a shared computer)."""
    other = app.test_client()
    cookie = client.get_cookie("lms_session")
    other.set_cookie("lms_session", cookie.value)
    return other


def _signed_in(client) -> bool:
    return client.get("/").status_code == 200


def test_signing_out_ends_the_users_sessions_everywhere(app, client, make_user, login):
    user = make_user("trainee")
    login(user)
    phone = app.test_client()
    post_login(phone, user.username, PASSWORD)
    copy = _copy_of_session(app, client)
    assert _signed_in(copy) and _signed_in(phone)
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/")}).status_code == 302
    assert not _signed_in(client) and not _signed_in(copy) and not _signed_in(phone)
    login(user)
    assert _signed_in(client)


def test_a_password_reset_by_an_administrator_ends_the_users_sessions(app, client, make_user, login):
    user = make_user("trainee")
    login(user)
    admin = app.test_client()
    post_login(admin, make_user("admin").username, PASSWORD)
    path = f"/admin/users/{user.id}"
    response = admin.post(path, data={"csrf_token": csrf_token(admin, path), "username": user.username,
                                      "display_name": "新名字",
                                      "roles": ["trainee"], "is_active": "y", "password": "a new password"})
    assert response.status_code == 302
    assert not _signed_in(client)
    assert _signed_in(admin)
    assert post_login(app.test_client(), user.username, "a new password").status_code == 302


def test_an_administrator_changing_their_own_password_stays_signed_in(app, client, make_user, login):
    me = make_user("admin")
    login(me)
    elsewhere = _copy_of_session(app, client)
    path = f"/admin/users/{me.id}"
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "username": me.username,
                                       "display_name": "管理员",
                                       "roles": ["admin"], "is_active": "y", "password": "a new password"})
    assert response.status_code == 302
    assert _signed_in(client) and not _signed_in(elsewhere)


def test_a_role_change_ends_the_users_sessions(app, client, runner, make_user, login):
    user = make_user("trainer")
    login(user)
    result = runner.invoke(args=["lms", "user", "set-role", user.username, "--role", "trainee"])
    assert result.exit_code == 0, result.output
    assert not _signed_in(client)
    login(user)
    assert _signed_in(client)
    result = runner.invoke(args=["lms", "user", "set-role", user.username, "--role", "trainee"])
    assert _signed_in(client)  # the same roles again: nothing changed, nobody signed out


def test_a_password_set_on_the_command_line_ends_the_users_sessions(app, client, runner, make_user,
                                                                     login):
    user = make_user("trainee")
    login(user)
    result = runner.invoke(args=["lms", "user", "set-password", user.username,
                                 "--password", "another password"])
    assert result.exit_code == 0, result.output
    assert not _signed_in(client)
    with app.app_context():
        assert session.get(User, user.id).session_version == 2


def test_an_unusable_storage_is_named_at_start_up():
    from limits.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="LMS_RATELIMIT_STORAGE_URI='memcache-typo://x'"):
        Throttle("memcache-typo://x", "5 per minute", "test")


# --- Redis, for throttles shared without the database ------------------------------------------

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def redis_uri() -> str:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis not reachable at {REDIS}: {error}")
    return REDIS


def test_redis_counts_are_shared_by_every_worker(redis_uri):
    name = f"test-{uuid.uuid4().hex}"
    workers = [Throttle(redis_uri, "3 per 15 minutes", name), Throttle(redis_uri, "3 per 15 minutes", name)]
    try:
        assert [workers[n % 2].hit("wang") for n in range(4)] == [True, True, True, False]
        assert 890 <= workers[0].retry_after("wang") <= 900 and workers[1].retry_after("li") is None
        workers[1].reset("wang")
        assert workers[0].retry_after("wang") is None
    finally:
        workers[0].reset("wang")


@pytest.fixture
def redis_config(redis_uri) -> dict:
    return {"LMS_RATELIMIT_STORAGE_URI": redis_uri, "LMS_LOGIN_FAILURE_LIMIT": "2 per 15 minutes"}


def test_sign_in_is_throttled_in_redis(app, redis_config, make_user):
    from lms.throttle import Throttles

    app.extensions["lms.throttles"] = Throttles.from_config({**app.config, **redis_config})
    user = make_user("trainee", username=f"r{uuid.uuid4().hex[:12]}")
    address = f"2001:db8::{uuid.uuid4().hex[:4]}"
    try:
        for _ in range(2):
            assert post_login(app.test_client(), user.username, "wrong", address).status_code == 401
        assert post_login(app.test_client(), user.username, PASSWORD, address).status_code == 429
        with app.app_context():
            assert session.query(ThrottleCounter).count() == 0  # nothing counted in the database
    finally:
        app.extensions["lms.throttles"].login_user.reset(user.username)
        app.extensions["lms.throttles"].login_address.reset(address)
