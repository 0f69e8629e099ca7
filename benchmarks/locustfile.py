"""What `make bench` asks of the app under Locust: one user class per page measured.

Each class names its requests as benchmarks/run.py reports them; run.py runs one class at a time
(`locust -f benchmarks/locustfile.py --headless … ModulePage`). The bench site (benchmarks/site.py)
gives trainees D00001…D00400 the password ``bench-password``.

Measuring starts once every user has signed in (so sign-ins do not load the server while a page
is measured) and lasts BENCH_SECONDS; every request not named "setup: …" is then recorded, and
the latencies are written as JSON to BENCH_OUT when Locust stops.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time

import gevent
from gevent.event import Event
from locust import FastHttpUser, between, events, task

PASSWORD = "bench-password"
COURSE = os.environ.get("BENCH_COURSE", "credit-card-collection")
MODULE = os.environ.get("BENCH_MODULE", "overview-and-process")
QUIZ = os.environ.get("BENCH_QUIZ", "process-quiz")
SCENARIO = os.environ.get("BENCH_SCENARIO", "scenario-refuses-to-pay")
TRAINEES = int(os.environ.get("BENCH_TRAINEES", "400"))
USERS = int(os.environ.get("BENCH_USERS", "16"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
#: Longest wait for every user to sign in before measuring starts anyway.
READY_TIMEOUT = 120
_numbers = itertools.count()
_ready = Event()
_signed_in = itertools.count(1)
_window: dict[str, float] = {}
_recorded: dict[str, list[float]] = {}
_failed: dict[str, int] = {}


@events.init.add_listener
def _on_init(environment, **_kwargs) -> None:
    def start() -> None:
        _ready.wait(timeout=READY_TIMEOUT)  # a user that could not sign in does not hold the others
        _ready.set()
        _window["start"] = time.perf_counter()
        gevent.sleep(SECONDS)
        _window["end"] = time.perf_counter()
        environment.runner.quit()
    if environment.runner is not None:
        gevent.spawn(start)


@events.request.add_listener
def _on_request(name, response_time, exception, **_kwargs) -> None:
    if _ready.is_set() and "end" not in _window and not name.startswith("setup"):
        _recorded.setdefault(name, []).append(response_time)
        if exception is not None:
            _failed[name] = _failed.get(name, 0) + 1


@events.quitting.add_listener
def _on_quit(**_kwargs) -> None:
    seconds = _window.get("end", time.perf_counter()) - _window.get("start", time.perf_counter())
    with open(os.environ.get("BENCH_OUT", "bench.json"), "w") as handle:
        json.dump({"seconds": seconds, "latencies": _recorded, "failures": _failed}, handle)


def ready() -> None:
    """Called once per user when it can start: the last one opens the measuring window."""
    if next(_signed_in) >= USERS:
        _ready.set()
    _ready.wait(timeout=READY_TIMEOUT)

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
RADIO = re.compile(r'type="(?:radio|checkbox)" name="([^"]+)" value="([^"]+)"')
TEXT = re.compile(r'<(?:input class="text-answer[^"]*"[^>]*|textarea[^>]*) name="([^"]+)"')
SELECT = re.compile(r'<select name="([^"]+)"[^>]*>\s*<option value="">[^<]*</option>\s*'
                    r'<option value="([^"]+)"')
STEP = re.compile(r'name="step" value="([^"]*)"')
CHOICE = re.compile(r'name="choice" value="([^"]+)"')
REVISION = re.compile(r'name="revision" value="([^"]+)"')


def csrf(html: str) -> str:
    found = CSRF.search(html)
    return found.group(1) if found else ""


class Base(FastHttpUser):
    abstract = True
    username = ""

    def on_start(self) -> None:
        if not self.username:
            self.username = f"d{next(_numbers) % TRAINEES + 1:05d}"
        self.sign_in(name="setup: sign-in")
        ready()

    def sign_in(self, name: str) -> None:
        page = self.client.get("/login", name="setup: login form").text
        with self.client.post("/login", name=name, allow_redirects=False, catch_response=True,
                              data={"username": self.username, "password": PASSWORD,
                                    "csrf_token": csrf(page)}) as response:
            if response.status_code != 302:
                response.failure(f"sign-in answered {response.status_code}")


class Trivial(FastHttpUser):
    def on_start(self) -> None:
        ready()

    @task
    def trivial(self) -> None:
        self.client.get("/bench/trivial", name="trivial route")


class SignedIn(Base):
    @task
    def signed_in(self) -> None:
        self.client.get("/bench/signed-in", name="signed-in route")


class ModulePage(Base):
    @task
    def module(self) -> None:
        self.client.get(f"/courses/{COURSE}/{MODULE}", name="module page")


class CoursePage(Base):
    @task
    def course(self) -> None:
        self.client.get(f"/courses/{COURSE}/", name="course page")


class Dashboard(Base):
    @task
    def dashboard(self) -> None:
        self.client.get("/", name="dashboard")


class SignIn(Base):
    def on_start(self) -> None:
        self.username = f"d{next(_numbers) % TRAINEES + 1:05d}"
        ready()

    @task
    def sign_in_task(self) -> None:
        self.client.cookiejar.clear()
        self.sign_in(name="sign-in")


def answers(html: str) -> dict[str, str]:
    """The first option of every question, or a short text: enough to save and submit."""
    data: dict[str, str] = {}
    for name, value in RADIO.findall(html):
        data.setdefault(name, value)
    for name in TEXT.findall(html):
        data.setdefault(name, "不知道")
    for name, value in SELECT.findall(html):
        data.setdefault(name, value)
    return data


def start(user: Base, activity: str, what: str) -> str:
    """Open the activity's page (its path) and start it: where the start sends the trainee."""
    page = user.client.get(activity, name=f"setup: {what} page").text
    response = user.client.post(f"{activity}start", name=f"setup: start {what}",
                                data={"csrf_token": csrf(page)}, allow_redirects=False)
    return response.headers.get("Location", "")


def take_quiz(user: Base, pause=lambda: None) -> None:
    """Start an attempt, open it (quiz page), autosave twice, submit; ``pause`` between steps."""
    client = user.client
    location = start(user, f"/courses/{COURSE}/quizzes/{QUIZ}/", "quiz")
    if "/attempts/" not in location:
        return
    path = "/attempts/" + location.rsplit("/attempts/", 1)[1]
    html = client.get(path, name="quiz page").text
    data = {"csrf_token": csrf(html), **answers(html)}
    for _ in range(2):
        pause()
        client.post(f"{path}/save", name="answer autosave", data=data)
    pause()
    client.post(f"{path}/submit", name="quiz submission", data=data, allow_redirects=False)


def play_simulation(user: Base, pause=lambda: None) -> None:
    """Start a call simulation and tap the first choice until the call ends."""
    client = user.client
    location = start(user, f"/courses/{COURSE}/scenarios/{SCENARIO}/", "simulation")
    for _ in range(30):
        if "/plays/" not in location or location.endswith("/debrief"):
            return
        path = "/plays/" + location.rsplit("/plays/", 1)[1]
        html = client.get(path, name="setup: play page").text
        step, choice = STEP.search(html), CHOICE.search(html)
        if not (step and choice):
            return
        pause()
        response = client.post(f"{path}/choose", name="simulation step", allow_redirects=False,
                               data={"csrf_token": csrf(html), "step": step.group(1),
                                     "choice": choice.group(1)})
        location = response.headers.get("Location", "")


class Quiz(Base):
    """The quiz flow back to back (no pause): what one worker can take."""

    @task
    def quiz(self) -> None:
        take_quiz(self)


class Simulation(Base):
    """Call simulations back to back (no pause)."""

    @task
    def simulation(self) -> None:
        play_simulation(self)


class Trainees(Base):
    """Trainees as a bank has them: each reads, pauses (BENCH_THINK seconds, "2-5"), answers and
    plays at a person's pace. Run with many users (`run.py --trainees-at-once 200`): what it
    measures is the latency a trainee sees at that load, not what the server can take."""

    wait_time = between(*(float(n) for n in os.environ.get("BENCH_THINK", "2-5").split("-")))

    def on_start(self) -> None:
        super().on_start()
        gevent.sleep(random.uniform(0, 5))  # they do not all start their journey at the same instant

    @task
    def journey(self) -> None:
        self.client.get("/", name="dashboard")
        self.wait()
        self.client.get(f"/courses/{COURSE}/", name="course page")
        self.wait()
        html = self.client.get(f"/courses/{COURSE}/{MODULE}", name="module page").text
        revision = REVISION.search(html)
        for seconds in (15, 30):
            self.wait()
            self.client.post(f"/courses/{COURSE}/{MODULE}/progress", name="progress beacon",
                             headers={"Accept": "application/json"},
                             data={"csrf_token": csrf(html), "seconds": str(seconds),
                                   "revision": revision.group(1) if revision else ""})
        self.wait()
        take_quiz(self, self.wait)
        self.wait()
        play_simulation(self, self.wait)


class HrRoster(Base):
    username = "hr"

    @task
    def roster(self) -> None:
        self.client.get(f"/hr/courses/{COURSE}/", name="HR roster")


class TrainerResults(Base):
    username = "trainer"

    @task
    def results(self) -> None:
        self.client.get(f"/review/courses/{COURSE}/", name="trainer results")
