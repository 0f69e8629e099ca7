"""The routes benchmarks compare the pages against: a trivial one on the app, and one that only
signs the trainee in, handled as every LMS page is (the request checks, the transaction's start
and end, the user and roles loaded, the security headers): the floor of every trainee page."""

from flask import Blueprint, Flask

from lms import web
from lms.accounts.access import login_required
from lms.accounts.identity import load_current_user


def add_bench_routes(app: Flask) -> None:
    @app.get("/bench/trivial")
    def trivial():
        return "ok"

    floor = Blueprint("bench", __name__)
    # the hooks of the LMS's blueprint, in its order (lms/web.py)
    floor.before_request(web._before_request)
    floor.after_request(web.apply_security_headers)
    floor.after_request(web.finish)
    floor.teardown_request(web.teardown)

    @floor.get("/bench/signed-in")
    @login_required
    def signed_in():
        return load_current_user().display_name

    app.register_blueprint(floor)
