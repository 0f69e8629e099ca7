"""A large demo site for `make bench`, built cheaply.

``lms demo --trainees N`` renders every demo certificate for real (about 0.3 s of CPU each, so
hours for 10,000 trainees on two cores). The bench site renders a handful of certificates for real
and stores copies of them for the rest: every row, snapshot and audit entry is what the demo
writes, only the PDF bytes are shared. Downloads and ZIPs then move real PDF sizes; nothing in a
benchmark re-renders stored PDFs.

Usage: python benchmarks/site.py FOLDER --trainees 10000   (FOLDER becomes LMS_INSTANCE_PATH)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: Certificates rendered for real; the others store copies of these.
REAL_CERTIFICATES = 4
PASSWORD = "bench-password"
#: Demo trainees D00001… that get PASSWORD (Locust signs in as them).
WITH_PASSWORD = 400
ACCOUNTS = ("trainee", "trainer", "hr", "admin")


class CopyingRenderer:
    """Renders the first few certificates for real, then hands out copies of them."""

    def __init__(self, keys, logo):
        self.keys, self.logo = keys, logo
        self.pdfs: list[bytes] = []

    def submit(self, jobs):
        from lms.demo.rendering import render_batch

        def wait() -> list[bytes]:
            out = []
            for snapshot, template in jobs:
                if len(self.pdfs) < REAL_CERTIFICATES:
                    self.pdfs += render_batch([snapshot], self.keys, template, self.logo)
                    out.append(self.pdfs[-1])
                else:  # a trailing comment keeps the stored SHA-256 unique, as the table asks
                    pdf = self.pdfs[len(out) % len(self.pdfs)]
                    out.append(pdf + f"\n% bench copy {snapshot['serial']}\n".encode())
            return out
        return wait


@contextmanager
def copying_renderer(_certificates: int, keys, logo: str | None = None) -> Iterator[CopyingRenderer]:
    yield CopyingRenderer(keys, logo)


def open_everything() -> None:
    """Let a bench trainee open any module and submit a quiz as often as the load asks: the course
    is not taken in order and quizzes have no attempt limit, wait or time limit."""
    from sqlalchemy import select

    from lms.assessments.models import ActivityRevision
    from lms.db import session
    from lms.learning.models import Course

    for course in session.scalars(select(Course)):
        course.is_sequential = False
    for revision in session.scalars(select(ActivityRevision)):
        settings = {**revision.content.get("settings", {}), "attempts": 0, "wait": None, "time_limit": None}
        revision.content = {**revision.content, "settings": settings}


def build(folder: str, trainees: int) -> None:
    os.environ["LMS_INSTANCE_PATH"] = folder
    os.environ.setdefault("LMS_PUBLIC_URL", "http://127.0.0.1:5000")
    from sqlalchemy import select, update

    from lms import create_app, demo
    from lms.accounts import services as accounts
    from lms.accounts.models import User
    from lms.authoring.services import import_content
    from lms.content import load_courses
    from lms.db import session
    from lms.demo import run
    from lms.migrate import upgrade

    app = create_app()
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        import_content(load_courses([ROOT / "courses"], quizzes_dir=ROOT / "quizzes",
                                    courses_dir=ROOT / "courses"), "bench")
        for username in ACCOUNTS:
            if accounts.find_user(username) is None:
                accounts.create_user(username, PASSWORD, [username],
                                     accounts.UserDetails(display_name=f"压测{username}"))
        session.commit()
        run.certificate_renderer = copying_renderer
        result = demo.generate(trainees, seed=1, echo=lambda line: print(line, flush=True))
        hashed = session.scalar(select(User.password_hash).where(User.username == "trainee"))
        session.execute(update(User).where(User.username.in_(
            [f"d{n:05d}" for n in range(1, WITH_PASSWORD + 1)])).values(password_hash=hashed))
        open_everything()
        session.commit()
        print(f"bench site: {result.created} trainees, {result.certificates} certificates "
              f"in {time.perf_counter() - started:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--trainees", type=int, default=10_000)
    args = parser.parse_args()
    build(args.folder, args.trainees)


if __name__ == "__main__":
    main()
