"""The app as `make run` serves it (wsgi.py), plus the trivial route benchmarks compare against."""

from lms import create_app

app = create_app()


@app.get("/bench/trivial")
def trivial():
    return "ok"
