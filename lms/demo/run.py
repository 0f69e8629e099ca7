"""The whole demo run: chunks of trainees, planned, rendered and written."""

from __future__ import annotations

import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from ..accounts.models import User
from ..audit.services import record
from ..brand import logo_data_uri
from ..certificates.fonts import fonts_problem
from ..certificates.models import Certificate
from ..certificates.signing import signing_keys
from ..db import session, utcnow
from ..learning.models import Course
from ..progress import progress
from ..urls import PublicUrlMissing
from .people import CERTIFIED, CHUNK, DemoError, employee_no
from .planning import Actor, Batch, Context, course_state, plan
from .rendering import certificate_renderer
from .syllabus import syllabus
from .writing import write_certificates, write_learning


@dataclass
class Result:
    created: int = 0
    skipped: int = 0
    certificates: int = 0
    seconds: float = 0.0


def _actor(username: str) -> Actor:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise DemoError(f"the demo account {username} is missing: run `lms demo` first")
    return Actor(user.id, user.display_name)


def has_courses() -> bool:
    return session.scalar(select(Course.id).where(Course.is_archived.is_(False)).limit(1)) is not None


def generate(count: int, seed: int = 1, echo: Callable[[str], Any] = print) -> Result:
    """Create trainees ``D00001`` … up to ``count`` (skipping those that exist), committing per chunk."""
    started = time.perf_counter()
    courses = list(session.scalars(select(Course).where(Course.is_archived.is_(False)).order_by(Course.id)))
    if not courses:
        raise DemoError("there is no course to enrol demo trainees in: run `lms import` first")
    if not current_app.config.get("LMS_PUBLIC_URL"):
        raise DemoError(f"{PublicUrlMissing()}: demo certificates print their verification URL")
    if problem := fonts_problem():  # before any worker process starts and dies on it
        raise DemoError(problem)
    taken = set(session.scalars(select(User.employee_no).where(User.employee_no.is_not(None))))
    taken |= {username.upper() for username in session.scalars(select(User.username))}
    numbers = [n for n in range(1, count + 1) if employee_no(n) not in taken]
    result = Result(skipped=count - len(numbers))
    if result.skipped:
        echo(f"{result.skipped} of {employee_no(1)}–{employee_no(count)} exist already and are skipped")
    if numbers:
        context = Context(seed=seed, now=utcnow(), zone=ZoneInfo(current_app.config["LMS_TIMEZONE"]),
                          trainer=_actor("trainer"), hr=_actor("hr"),
                          serial_prefix=current_app.config["LMS_CERTIFICATE_PREFIX"],
                          issuer=current_app.config["LMS_ISSUER"],
                          serials=set(session.scalars(select(Certificate.serial))))
        _generate(numbers, courses, context, result, echo, started)
    result.seconds = time.perf_counter() - started
    return result


def _generate(numbers: list[int], courses: list[Course], context: Context, result: Result,
              echo: Callable[[str], Any], started: float) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        plans = [syllabus(course, Path(scratch)) for course in courses]
        expected = sum(course_state(context.seed, n, i, c) in CERTIFIED
                       for n in numbers for i, c in enumerate(plans))
        echo(f"creating {len(numbers)} trainees in {len(plans)} course(s), {expected} with certificates")
        chunks = [numbers[i:i + CHUNK] for i in range(0, len(numbers), CHUNK)]

        def store(batch: Batch, pdfs: Callable[[], list[bytes]]) -> None:
            write_learning(batch)
            write_certificates(batch, pdfs(), context)
            session.commit()
            result.created += len(batch.users)
            result.certificates += len(batch.certificates)
            bar.advance(len(batch.users), f"{result.created:>7}/{len(numbers)} trainees, "
                        f"{result.certificates} certificates, {time.perf_counter() - started:.0f} s")

        queued: deque[tuple[Batch, Callable[[], list[bytes]]]] = deque()
        keys = signing_keys(current_app)
        with certificate_renderer(expected, keys, logo_data_uri(current_app)) as renderer, \
                progress(len(numbers), "demo trainees", echo) as bar:
            for chunk in chunks:
                batch = plan(chunk, plans, context)
                queued.append((batch, renderer.submit(batch.jobs)))
                if len(queued) == 2:  # the next chunk is rendering before we wait for this one
                    store(*queued.popleft())
            while queued:
                store(*queued.popleft())
    record("demo.trainees_created", f"{result.created} demo trainees",
           details={"seed": context.seed, "first": employee_no(numbers[0]), "last": employee_no(numbers[-1]),
                    "created": result.created, "certificates": result.certificates})
    session.commit()
