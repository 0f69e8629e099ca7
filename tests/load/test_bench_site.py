"""`make bench`'s site builder (benchmarks/site.py) still builds a site the load can run against:
the shipped course opened up, demo trainees who can sign in, the quizzes without limits."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from werkzeug.security import check_password_hash

ROOT = Path(__file__).resolve().parents[2]


def test_the_bench_site_builds_a_small_site(tmp_path):
    environment = {key: value for key, value in os.environ.items() if key != "LMS_DATABASE_URL"}
    built = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "site.py"), str(tmp_path),
                            "--trainees", "12"], env={**environment, "PYTHONPATH": str(ROOT)},
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    assert "bench site: 12 trainees" in built.stdout
    with sqlite3.connect(tmp_path / "lms.db") as database:
        (password_hash,) = database.execute(
            "SELECT password_hash FROM lms_users WHERE username = 'd00001'").fetchone()
        assert check_password_hash(password_hash, "bench-password")
        settings = [json.loads(data)["settings"] for (data,) in database.execute(
            "SELECT data FROM lms_activity_revisions r JOIN lms_activities a"
            " ON a.current_revision_id = r.id WHERE a.kind IN ('quiz', 'case')")]
        assert settings and all(s["attempts"] == 0 and not s.get("wait") and not s.get("time_limit")
                                for s in settings)
        assert database.execute("SELECT count(*) FROM lms_courses WHERE is_sequential").fetchone() == (0,)
