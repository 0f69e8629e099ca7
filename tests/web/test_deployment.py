"""How the standalone app is deployed: instance folder, logging, gunicorn's configuration."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from flask import Flask

from lms import config, logs
from lms.paths import PROJECT_DIR


def test_instance_folder_of_a_checkout_a_wheel_and_the_variable(monkeypatch, tmp_path):
    assert config.default_instance_path({}) == str(PROJECT_DIR / "instance")
    assert config.default_instance_path({"LMS_INSTANCE_PATH": "/srv/lms"}) == "/srv/lms"
    monkeypatch.setattr(config, "PROJECT_DIR", tmp_path / "site-packages")  # no pyproject.toml there
    assert config.default_instance_path({"XDG_DATA_HOME": "/data"}) == "/data/lms"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config.default_instance_path({}) == str(tmp_path / ".local" / "share" / "lms")


def test_json_log_lines_carry_the_request_id_and_path():
    app = Flask("logs")
    logs.init_request_ids(app)
    record = logging.LogRecord("lms.test", logging.WARNING, __file__, 1, "slow page %s", ("学员",), None)
    formatter = logs.JsonFormatter()
    line = json.loads(formatter.format(record))
    assert line.keys() == {"time", "level", "logger", "message"} and line["message"] == "slow page 学员"
    with app.test_request_context("/courses/x/", headers={"X-Request-ID": "req-42"}):
        app.preprocess_request()
        line = json.loads(formatter.format(record))
    assert (line["request_id"], line["path"], line["level"]) == ("req-42", "/courses/x/", "WARNING")
    with app.test_request_context("/", headers={"X-Request-ID": "bad id; with spaces"}):
        app.preprocess_request()
        assert len(json.loads(formatter.format(record))["request_id"]) == 32  # a fresh one instead


def test_log_level_and_format_come_from_the_environment():
    assert logs.logging_config({})["root"]["level"] == "INFO"
    assert logs.logging_config({"LMS_LOG_LEVEL": "debug"})["root"]["level"] == "DEBUG"
    assert "format" in logs.logging_config({"LMS_LOG_FORMAT": "text"})["formatters"]["lms"]
    with pytest.raises(ValueError, match="LMS_LOG_LEVEL"):
        logs.logging_config({"LMS_LOG_LEVEL": "loud"})


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_serves_with_the_repositorys_configuration(tmp_path):
    """The configuration `make run` uses: threaded workers, JSON logs with the request id."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("LMS_")}
    env.update(LMS_INSTANCE_PATH=str(tmp_path), LMS_LOG_LEVEL="INFO", PYTHONPATH=str(PROJECT_DIR))
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "1",
         "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=PROJECT_DIR, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz",
                                                 headers={"X-Request-ID": "probe-1"})
                urllib.request.urlopen(request, timeout=5)
            except urllib.error.HTTPError as error:
                assert error.code == 503  # no schema yet: `lms init` was not run
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)
        _, errors = server.communicate(timeout=30)
    lines = [json.loads(line) for line in errors.splitlines() if line.startswith("{")]
    assert len(lines) == len(errors.splitlines()), errors  # every line is JSON
    assert any("Using worker: gthread" in line["message"] for line in lines)
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert access and '"GET /healthz HTTP/1.1" 503' in access[0]["message"]
    assert access[0]["message"].endswith("id=probe-1")
    assert Path(tmp_path, "secret_key").exists()  # the instance folder it was given


def test_progress_is_a_bar_on_a_terminal_and_lines_elsewhere(monkeypatch, capsys):
    from lms import progress as progress_module

    lines: list[str] = []
    with progress_module.progress(3, "importing", lines.append) as bar:
        for n in range(3):
            bar.advance(1, f"{n + 1}/3 done")
    assert lines == ["1/3 done", "2/3 done", "3/3 done"]

    monkeypatch.setattr(progress_module, "is_terminal", lambda: True)
    lines.clear()
    with progress_module.progress(3, "importing", lines.append) as bar:
        for n in range(3):
            bar.advance(1, f"{n + 1}/3 done")
    assert lines == [] and "importing" in capsys.readouterr().out


def test_a_worker_puts_what_it_keeps_out_of_the_collectors_reach():
    """What a worker builds at start-up, and its caches once warm, are frozen once each: full
    collections then walk only what requests create (they paused requests for tens of ms)."""
    import gc
    from types import SimpleNamespace

    from lms import gunicorn_conf

    worker = SimpleNamespace(nr=0)
    try:
        gc.unfreeze()
        gunicorn_conf.post_worker_init(worker)
        assert gc.get_freeze_count() > 0
        gc.unfreeze()
        for served in (1, gunicorn_conf.WARM_AFTER_REQUESTS - 1):
            worker.nr = served
            gunicorn_conf.post_request(worker, None, None, None)
            assert gc.get_freeze_count() == 0
        worker.nr = gunicorn_conf.WARM_AFTER_REQUESTS + 2  # threads may have counted past it
        gunicorn_conf.post_request(worker, None, None, None)
        assert gc.get_freeze_count() > 0
        gc.unfreeze()
        worker.nr += 1
        gunicorn_conf.post_request(worker, None, None, None)
        assert gc.get_freeze_count() == 0  # once per worker
    finally:
        gc.unfreeze()
