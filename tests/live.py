"""The app served on loopback by a threaded server, and clients that send requests at once.

``serve(app)`` answers real HTTP requests, each in its own thread, against the test's database
(SQLite file or PostgreSQL schema), so requests really overlap. ``race`` sends the same request
from several clients released together by a barrier.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import requests
from flask import Flask
from werkzeug.serving import make_server

#: How long a single raced request may take before the test fails (the races are bounded).
TIMEOUT_SECONDS = 20


class BoundedServer:
    """Werkzeug's threaded server, but with at most ``threads`` requests at once, as a gunicorn
    gthread worker runs: the others wait in the listen queue, not for a database connection."""

    def __init__(self, app: Flask, threads: int):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.server.socket.listen(1024)
        slots = threading.BoundedSemaphore(threads)
        handle = self.server.process_request_thread

        def process_request(request, client_address):
            slots.acquire()  # in the accept loop: further connections queue meanwhile

            def run():
                try:
                    handle(request, client_address)
                finally:
                    slots.release()

            threading.Thread(target=run, daemon=True).start()

        self.server.process_request = process_request

    @property
    def port(self) -> int:
        return self.server.server_port


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """The app on a free loopback port, threaded; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


class Browser:
    """One signed-in browser: a cookie jar; ``tab()`` is another tab of it (same cookies)."""

    def __init__(self, base: str, http: requests.Session | None = None):
        self.base = base
        self.http = http or requests.Session()

    def tab(self) -> Browser:
        copy = requests.Session()
        copy.cookies.update(self.http.cookies)
        return Browser(self.base, copy)

    def get(self, path: str, params: dict | None = None, **kwargs) -> requests.Response:
        return self.http.get(self.base + path, params=params, allow_redirects=False,
                             timeout=TIMEOUT_SECONDS, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs) -> requests.Response:
        return self.http.post(self.base + path, data=data, allow_redirects=False,
                              timeout=TIMEOUT_SECONDS, **kwargs)

    def token(self, path: str = "/") -> str:
        page = self.get(path).text
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def sign_in(self, username: str, password: str) -> Browser:
        response = self.post("/login", {"username": username, "password": password,
                                        "csrf_token": self.token("/login")})
        assert response.status_code == 302, response.text
        return self


def race(senders: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    """Send every request at the same moment (each from its own thread); their responses."""
    barrier = threading.Barrier(len(senders))

    def go(send: Callable[[], requests.Response]) -> requests.Response:
        barrier.wait(TIMEOUT_SECONDS)
        return send()

    with ThreadPoolExecutor(len(senders)) as pool:
        return list(pool.map(go, senders))


def server_errors(responses: list[requests.Response]) -> list[int]:
    return [r.status_code for r in responses if r.status_code >= 500]
