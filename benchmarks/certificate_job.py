"""The quiz submission that completes a course: with the certificate rendered inside the request
(``LMS_QUEUE_URL=immediate``, as before the job queue) and with it queued for the worker.

Run: .venv/bin/python benchmarks/certificate_job.py [TRAINEES]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lms import create_app  # noqa: E402
from lms.accounts import services as accounts  # noqa: E402
from lms.assessments.models import QuizAttempt  # noqa: E402
from lms.authoring.services import import_content  # noqa: E402
from lms.content import load_courses  # noqa: E402
from lms.db import session  # noqa: E402
from lms.migrate import upgrade  # noqa: E402
from tests.answering import attempt_form  # noqa: E402

COURSE = {
    "course.yml": "title: 合规速成\nmodules: [rules]\nenrolment:\n  all_trainees: true\n"
                  "reading:\n  min_share: 0\ncertificate:\n  validity_months: 12\n",
    "01-rules.md": "---\ntitle: 催收红线\nactivities: [red-lines]\n---\n"
                   "## 红线\n不得利用暴力、威胁等手段进行催收。\n",
}
QUIZ = "---\ntitle: 红线测验\n---\n## 可以用威胁手段催收吗？\n答案：错误\n"


def build(folder: Path, queue_url: str):
    os.environ["LMS_INSTANCE_PATH"] = str(folder / "instance")
    app = create_app({"SECRET_KEY": "bench", "LMS_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "WTF_CSRF_ENABLED": False, "LMS_PUBLIC_URL": "https://training.example.com",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'lms.db'}",
                      "LMS_QUEUE_URL": queue_url})
    for name, text in COURSE.items():
        (folder / "courses" / "tiny").mkdir(parents=True, exist_ok=True)
        (folder / "courses" / "tiny" / name).write_text(text, encoding="utf-8")
    (folder / "quizzes" / "tiny").mkdir(parents=True, exist_ok=True)
    (folder / "quizzes" / "tiny" / "red-lines.md").write_text(QUIZ, encoding="utf-8")
    with app.app_context():
        upgrade()
        import_content(load_courses([folder / "courses"], quizzes_dir=folder / "quizzes",
                                    courses_dir=folder / "courses"), "bench")
        session.commit()
    return app


def submissions(app, trainees: int, first: int = 0) -> list[float]:
    """Seconds of each completing quiz submission (one new trainee each)."""
    times = []
    for number in range(first, first + trainees):
        with app.app_context():
            accounts.create_user(f"t{number}", "pw-bench-1", ["trainee"], accounts.UserDetails(
                display_name=f"王{number}", employee_no=f"E{number + 1:04}", department="催收一部"))
            session.commit()
        client = app.test_client()
        client.post("/login", data={"username": f"t{number}", "password": "pw-bench-1"})
        client.get("/courses/tiny/rules")
        client.post("/courses/tiny/rules/progress", data={"reached_end": "y"})
        attempt = int(client.post("/courses/tiny/quizzes/red-lines/start").location.rsplit("/", 1)[1])
        with app.app_context():
            form = attempt_form(session.get(QuizAttempt, attempt))
        start = time.perf_counter()
        response = client.post(f"/attempts/{attempt}/submit", data=form)
        times.append(time.perf_counter() - start)
        assert response.status_code == 302, response.status_code
    return times


def main() -> None:
    trainees = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    with tempfile.TemporaryDirectory() as inline_dir, tempfile.TemporaryDirectory() as queued_dir:
        inline = build(Path(inline_dir), "immediate")
        queued = build(Path(queued_dir), "")
        submissions(inline, 1, first=-1), submissions(queued, 1, first=-1)  # warm: fonts, templates
        results = {"rendered in the request": submissions(inline, trainees),
                   "queued for the worker": submissions(queued, trainees)}
        for label, times in results.items():
            ms = sorted(1000 * t for t in times)
            print(f"quiz submission, certificate {label}: median {statistics.median(ms):.0f} ms, "
                  f"max {ms[-1]:.0f} ms ({trainees} trainees)")
        from lms.certificates.jobs import enqueue_pending, issue_certificate
        from lms.certificates.services import pending_completions

        with queued.app_context():
            pending = pending_completions()
            start = time.perf_counter()
            for enrolment_id in pending:
                issue_certificate(enrolment_id)
                session.commit()
            elapsed = time.perf_counter() - start
            print(f"worker: {len(pending)} certificates issued in {elapsed:.1f} s "
                  f"({1000 * elapsed / max(1, len(pending)):.0f} ms each); pending after: "
                  f"{enqueue_pending()}")


if __name__ == "__main__":
    main()
