"""The app as `make run` serves it (wsgi.py), plus the routes benchmarks compare against: a
trivial one, and one that only signs the trainee in (the floor of every trainee page)."""

from lms import create_app
from lms.accounts.access import login_required
from lms.accounts.identity import load_current_user

app = create_app()


@app.get("/bench/trivial")
def trivial():
    return "ok"


@app.get("/bench/signed-in")
@login_required
def signed_in():  # the session cookie read, the user and roles loaded: what any trainee page does first
    return load_current_user().display_name
