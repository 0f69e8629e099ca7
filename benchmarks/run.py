"""`make bench`: a large demo site served by gunicorn as `make run` serves it, driven by Locust.

Prints, for each page, requests/s, the ratio against the app's trivial route measured in the same
run, and p50/p95/p99 latency; then the certificate issue time, a certificate ZIP, the cohort
report and the peak memory of a gunicorn worker. Ratios are what to compare between changes: the
machine is shared and its absolute speed drifts.

    python benchmarks/run.py [--trainees 10000] [--seconds 15] [--users 16] [--site FOLDER]
                             [--trainees-at-once 200] [--paced-seconds 60]

Then, with ``--trainees-at-once`` trainees on the site together, each reading, answering and
playing with a person's pauses (2–5 s): the latency each request has at that load.

The site is built once per FOLDER (default benchmarks/.site-<trainees>) and reused; set
LMS_DATABASE_URL to run against PostgreSQL (the site is then built into that database).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
COURSE = "credit-card-collection"
PASSWORD = "bench-password"

#: (Locust user class, the request it measures); each runs alone against the same server.
PAGES = (
    ("SignedIn", "signed-in route"),
    ("ModulePage", "module page"),
    ("CoursePage", "course page"),
    ("Dashboard", "dashboard"),
    ("Quiz", "quiz page"),
    ("Quiz", "answer autosave"),
    ("Quiz", "quiz submission"),
    ("Simulation", "simulation step"),
    ("SignIn", "sign-in"),
    ("HrRoster", "HR roster"),
    ("TrainerResults", "trainer results"),
)

#: The paced trainees' requests, in the order of their journey.
PACED_ORDER = ["dashboard", "course page", "module page", "progress beacon", "quiz page",
               "answer autosave", "quiz submission", "simulation step"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(site: Path, port: int) -> dict[str, str]:
    return {**os.environ, "LMS_INSTANCE_PATH": str(site), "PYTHONPATH": str(ROOT),
            "LMS_PUBLIC_URL": f"http://127.0.0.1:{port}"}


def ensure_site(site: Path, trainees: int) -> None:
    marker = site / "bench-site-built"
    if marker.exists():
        print(f"reusing the bench site in {site}", flush=True)
        return
    shutil.rmtree(site, ignore_errors=True)
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "site.py"), str(site),
                    "--trainees", str(trainees)], check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    marker.write_text(str(trainees))


class Server:
    """gunicorn as `make run` starts it (gunicorn.conf.py: threaded workers; 2 of them here), and
    the peak memory of its workers."""

    def __init__(self, site: Path, port: int, workers: int):
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(site / "gunicorn.log", "w")  # noqa: SIM115 - the server's, closed in stop()
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
             # no worker replaced every 5,000 requests: the trivial route's runs alone send that
             # many, and a fresh worker's cold caches would land on whichever page came next
             "--timeout", "300", "--max-requests", "0", "benchmarks.wsgi:app"],
            cwd=ROOT, env={**environment(site, port), "LMS_LOG_LEVEL": "WARNING"},  # no access log
            stdout=subprocess.DEVNULL, stderr=self.log)
        self.peak_rss = 0
        self._stop = threading.Event()
        for _ in range(300):
            try:
                requests.get(f"{self.url}/bench/trivial", timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            self.stop()
            raise SystemExit("gunicorn did not answer")
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        master = psutil.Process(self.process.pid)
        while not self._stop.wait(0.2):
            for worker in master.children():
                with contextlib.suppress(psutil.NoSuchProcess):
                    self.peak_rss = max(self.peak_rss, worker.memory_info().rss)

    def stop(self) -> None:
        self._stop.set()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self.log.close()


@dataclass
class Measured:
    """One request's latencies (ms) over a measuring window, as Locust recorded them."""

    seconds: float
    latencies: list[float]
    failures: int

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def mean(self) -> float:
        return statistics.fmean(self.latencies)

    def percentile(self, p: int) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def locust(url: str, user_class: str, seconds: int, users: int, folder: Path,
           spawn_rate: int | None = None) -> dict[str, Measured]:
    """Run one Locust user class headless; what it measured, by request name."""
    out = folder / f"{user_class}.json"
    with open(folder / "locust.log", "a") as log:
        subprocess.run([str(BIN / "locust"), "-f", str(ROOT / "benchmarks" / "locustfile.py"), "--headless",
                        "--users", str(users), "--spawn-rate", str(spawn_rate or users),
                        "--run-time", f"{seconds + 240}s",
                        "--host", url, "--only-summary", "--loglevel", "ERROR", "--exit-code-on-error", "0",
                        user_class],
                       check=True, cwd=ROOT, stdout=log, stderr=log,
                       env={**os.environ, "BENCH_OUT": str(out), "BENCH_USERS": str(users),
                            "BENCH_SECONDS": str(seconds)})
    if not out.exists():
        print(f"{user_class}: Locust wrote no results; see its log:\n"
              f"{(folder / 'locust.log').read_text()[-2000:]}", flush=True)
        return {}
    found = json.loads(out.read_text())
    out.unlink()
    return {name: Measured(found["seconds"], times, found["failures"].get(name, 0))
            for name, times in found["latencies"].items()}


def signed_in(url: str, username: str) -> requests.Session:
    client = requests.Session()
    page = client.get(f"{url}/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(f"{url}/login", data={"username": username, "password": PASSWORD,
                                                  "csrf_token": token}, allow_redirects=False)
    assert response.status_code == 302, response.status_code
    return client


def timed_get(client: requests.Session, url: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    response = client.get(url, timeout=600)
    assert response.status_code == 200, (url, response.status_code)
    return time.perf_counter() - started, response.content


def certificate_issue_seconds(site: Path) -> float:
    """Rendering, signing and checking one certificate, warm (the median of five)."""
    os.environ["LMS_INSTANCE_PATH"] = str(site)
    from lms import create_app
    from lms.certificates.render import issue_pdf
    from lms.certificates.signing import signing_keys
    from lms.certificates.snapshot import CertificateSnapshot
    from lms.demo.people import WARM_UP_SNAPSHOT

    app = create_app()
    with app.app_context():
        keys = signing_keys(app)
    snapshot = CertificateSnapshot.from_json(WARM_UP_SNAPSHOT)
    issue_pdf(snapshot, keys)
    times = []
    for _ in range(5):
        started = time.perf_counter()
        issue_pdf(snapshot, keys)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description="Pages under gunicorn and Locust, as ratios.")
    parser.add_argument("--trainees", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=15, help="per page")
    parser.add_argument("--users", type=int, default=16, help="concurrent Locust users")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, as `make run`")
    parser.add_argument("--site", type=Path, default=None)
    parser.add_argument("--only", nargs="*", default=None, help="user classes to run (default: all)")
    parser.add_argument("--trainees-at-once", type=int, default=200,
                        help="trainees on the site together, each at a person's pace (0: skip)")
    parser.add_argument("--paced-seconds", type=int, default=60, help="how long they are measured")
    args = parser.parse_args()
    site = (args.site or ROOT / "benchmarks" / f".site-{args.trainees}").resolve()
    ensure_site(site, args.trainees)
    server = Server(site, free_port(), args.workers)
    rows: dict[str, Measured] = {}
    paced: dict[str, Measured] = {}
    try:
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            classes = [c for c in dict.fromkeys(c for c, _ in PAGES) if not args.only or c in args.only]
            trivial = []

            def run(user_class: str) -> dict[str, Measured]:
                return locust(server.url, user_class, args.seconds, args.users, folder)

            for user_class in classes:  # the trivial route between pages, so drift hits both alike
                trivial += run("Trivial").values()
                rows.update(run(user_class))
            trivial += run("Trivial").values()
            if args.trainees_at_once and (not args.only or "Trainees" in args.only):
                # signing 200 in at once would measure sign-in only: 20 a second
                paced = locust(server.url, "Trainees", args.paced_seconds, args.trainees_at_once, folder,
                               spawn_rate=20)
            hr = signed_in(server.url, "hr")
            zip_seconds, data = timed_get(hr, f"{server.url}/hr/courses/{COURSE}/certificates.zip")
            zip_count = sum(name.endswith(".pdf") for name in zipfile.ZipFile(io.BytesIO(data)).namelist())
            report_seconds, _ = timed_get(hr, f"{server.url}/hr/courses/{COURSE}/report")
            trainer = signed_in(server.url, "trainer")
            alone = {  # one request at a time: the latency HR and trainers see at this size
                "HR roster": statistics.median(
                    timed_get(hr, f"{server.url}/hr/courses/{COURSE}/")[0] for _ in range(3)),
                "trainer results": statistics.median(
                    timed_get(trainer, f"{server.url}/review/courses/{COURSE}/")[0] for _ in range(3))}
    finally:
        server.stop()
    trivial = [t for t in trivial if t.latencies]
    trivial_rps = statistics.median(t.rate for t in trivial)
    trivial_ms = statistics.median(t.mean for t in trivial)
    print(f"\n{args.trainees} trainees, {args.users} Locust users, gunicorn {args.workers} workers × "
          f"{os.environ.get('LMS_THREADS', 4)} threads, "
          f"{args.seconds} s per page")
    print(f"{'request':<18} {'req/s':>7} {'× trivial':>10} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
          f"{'fail':>5}")
    p50, p95, p99 = (statistics.median(t.percentile(p) for t in trivial) for p in (50, 95, 99))
    print(f"{'trivial route':<18} {trivial_rps:7.0f} {1:10.2f} {p50:7.0f} {p95:7.0f} {p99:7.0f}")
    for _user_class, name in PAGES:
        row = rows.get(name)
        if row is None or not row.latencies:
            continue
        ratio = trivial_ms / row.mean  # = the throughput ratio of a page measured alone, at equal load
        print(f"{name:<18} {row.rate:7.1f} {ratio:10.3f} {row.percentile(50):7.0f} {row.percentile(95):7.0f} "
              f"{row.percentile(99):7.0f} {row.failures:>5}")
    if paced:
        print(f"\n{args.trainees_at_once} trainees at once, each pausing 2–5 s between steps as a person "
              f"does, {args.paced_seconds} s: the latency they see")
        print(f"{'request':<18} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'fail':>5}")
        for name, row in sorted(paced.items(), key=lambda item: PACED_ORDER.index(item[0])
                                if item[0] in PACED_ORDER else len(PACED_ORDER)):
            print(f"{name:<18} {row.rate:7.1f} {row.percentile(50):7.0f} {row.percentile(95):7.0f} "
                  f"{row.percentile(99):7.0f} {row.failures:>5}")
        print()
    print(f"certificate issue (render, sign, check; warm): {certificate_issue_seconds(site):.2f} s")
    print(f"certificate ZIP: {zip_count} certificates, {len(data) / 1e6:.1f} MB in {zip_seconds:.1f} s "
          f"({1000 * zip_seconds / max(zip_count, 1):.1f} s per 1,000)")
    for name, seconds in alone.items():
        print(f"{name}, one request alone: {seconds:.2f} s")
    print(f"cohort report (HTML): {report_seconds:.2f} s")
    print(f"peak gunicorn worker memory: {server.peak_rss / 2**20:.0f} MiB")
    errors = (site / "gunicorn.log").read_text(errors="replace").count('"level": "ERROR"')
    if errors:
        print(f"the app logged {errors} errors during the runs: see {site / 'gunicorn.log'}")


if __name__ == "__main__":
    main()
