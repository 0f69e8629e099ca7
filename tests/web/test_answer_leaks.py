"""The answer-leak walk: nothing on the page says which answer is right or what the right order is.

For every shipped quiz, case study, the final exam and every call simulation, trainees answer
without knowing anything — the first option shown, the lowest or "0"-like value, the order of the
field names, only the first option — over several attempts and plays, and none of them passes.
The orders and tokens come from a seeded ``rng`` given to the services, so the walk is the same on
every run; the pages and the autosave replies are checked to carry only the attempt's tokens.
"""

from __future__ import annotations

import json
import random
import re
from html.parser import HTMLParser

import pytest

from lms.assessments import quizzes, scenarios
from lms.assessments.models import CASE, QUIZ, SCENARIO, Activity, QuizAttempt, ScenarioPlay
from lms.db import session, utcnow
from lms.learning import services as learning

from ..conftest import COURSE, complete_modules, csrf_token

STRATEGIES = ["first_shown", "zero_value", "name_order", "first_only"]
ROUNDS = 2  # attempts and plays per activity and strategy, each with its own orders and tokens


class FormControls(HTMLParser):
    """The controls of the attempt form (or the play's choice buttons), in page order."""

    def __init__(self):
        super().__init__()
        self.controls: list[dict] = []  # {"tag", "type", "name", "value", "options", "question"}
        self.question: str | None = None
        self.select: dict | None = None
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "fieldset":
            self.question = attrs.get("data-question")
            self.ids.append(attrs.get("id", ""))
        elif tag in ("input", "textarea", "button") and attrs.get("name"):
            self.controls.append({"tag": tag, "type": attrs.get("type", tag), "name": attrs["name"],
                                  "value": attrs.get("value", ""), "question": self.question})
        elif tag == "select":
            self.select = {"tag": "select", "type": "select", "name": attrs["name"], "value": "",
                           "options": [], "question": self.question}
            self.controls.append(self.select)
        elif tag == "option" and self.select is not None:
            self.select["options"].append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None


def controls_of(page: str) -> FormControls:
    parser = FormControls()
    parser.feed(page.split("<main", 1)[1])
    return parser


def is_ordering(control: dict) -> bool:
    return control["type"] == "select" and all(o == "" or o.isdigit() for o in control["options"])


def by_question(controls: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for control in controls:
        if control["name"] != "csrf_token":
            grouped.setdefault(control["question"], []).append(control)
    return grouped


def guess(page: str, strategy: str) -> dict[str, list[str]]:
    """The form a trainee who knows nothing sends, by ``strategy``."""
    form: dict[str, list[str]] = {}
    for controls in by_question(controls_of(page).controls).values():
        boxes = [c for c in controls if c["type"] in ("radio", "checkbox")]
        ordering = [c for c in controls if is_ordering(c)]
        matching = [c for c in controls if c["type"] == "select" and not is_ordering(c)]
        if strategy == "first_shown":
            if boxes:
                form[boxes[0]["name"]] = [boxes[0]["value"]]
            for position, select in enumerate(ordering, start=1):
                form[select["name"]] = [str(position)]
            for select in matching:
                form[select["name"]] = [next(o for o in select["options"] if o)]
        elif strategy == "zero_value":
            for control in boxes + matching:
                form[control["name"]] = ["0"]
            for position, select in enumerate(ordering, start=1):
                form[select["name"]] = [str(position)]
        elif strategy == "name_order":
            if boxes:
                form[boxes[0]["name"]] = [min(c["value"] for c in boxes)]
            for position, select in enumerate(sorted(ordering, key=lambda c: c["name"]), start=1):
                form[select["name"]] = [str(position)]
            for select in matching:
                form[select["name"]] = [min(o for o in select["options"] if o)]
        elif strategy == "first_only" and boxes:
            form[boxes[0]["name"]] = [boxes[0]["value"]]
    if strategy == "zero_value":  # and the form of old, with authored indices in the names
        for index in range(60):
            form[f"q{index}"] = ["0"]
            for sub in range(8):
                form[f"q{index}-{sub}"] = [str(sub + 1)]
    return form


def assert_only_tokens(page: str, attempt: QuizAttempt) -> None:
    """Every field name, id and answer value on the take page is one of the attempt's tokens."""
    fields = {e["field"] for e in attempt.layout}
    subs = {f"{e['field']}-{t}" for e in attempt.layout for t in e["tokens"] + e.get("pairs", [])}
    answer_tokens = {t for e in attempt.layout for t in e["tokens"]}
    found = controls_of(page)
    assert set(found.ids) <= fields
    for control in found.controls:
        if control["name"] == "csrf_token":
            continue
        assert control["name"] in fields | subs, control
        assert control["question"] in fields
        if control["type"] in ("radio", "checkbox"):
            assert control["value"] in answer_tokens, control
        elif control["type"] == "select" and not is_ordering(control):
            assert set(control["options"]) <= answer_tokens | {""}, control
        elif control["type"] == "select":  # ordering: the positions the trainee picks from
            assert control["options"][1:] == [str(p) for p in range(1, len(control["options"]))]
    form = page.split("data-attempt-form", 1)[1].split("</form>", 1)[0]
    assert not re.search(r'\b(name|id|data-question)="q\d+(-\d+)?"', form)
    assert not re.search(r'type="(radio|checkbox)"[^>]*value="\d+"', form)


def shipped_activities(app) -> list[tuple[str, str]]:
    with app.app_context():
        course = learning.get_course(COURSE)
        return [(a.slug, a.kind) for a in session.query(Activity).filter_by(course_id=course.id)
                .order_by(Activity.slug)]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_answering_without_knowing_passes_nothing(app, client, shipped_course, make_user, login,
                                                  strategy):
    activities = shipped_activities(app)
    assert {kind for _, kind in activities} == {QUIZ, CASE, SCENARIO} and "final-exam" in dict(activities)
    plays = []  # (passed, authored index of the first choice made) of every blind play
    for round_number in range(ROUNDS):
        trainee = make_user("trainee")
        complete_modules(app, trainee.id, COURSE)  # everything open: only the answers are tested
        login(trainee)
        for slug, kind in activities:
            rng = random.Random(f"{strategy}:{round_number}:{slug}")
            if kind == SCENARIO:
                plays.append(play_blind(app, client, trainee.id, slug, strategy, rng))
            else:
                answer_blind(app, client, trainee.id, slug, strategy, rng)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    # A blind play passes a shipped simulation by luck less than once in 200 (`lms scenario paths`
    # prints each one's chance, `lms check` warns above 1 %), and the seeded walk passes none; before
    # shuffling, the first button passed every one every time.
    assert not any(passed for passed, _ in plays), plays
    if strategy != "zero_value":  # the same tactic lands on different choices play by play
        assert len({first for _, first in plays}) > 1, plays


def _enrolment_and_activity(user_id: int, slug: str):
    from lms.accounts.services import get_user

    course = learning.get_course(COURSE)
    activity = session.query(Activity).filter_by(course_id=course.id, slug=slug).one()
    return learning.current_enrolment(get_user(user_id), course), activity


def answer_blind(app, client, user_id, slug, strategy, rng):
    with app.app_context():
        enrolment, activity = _enrolment_and_activity(user_id, slug)
        attempt_id = quizzes.start_attempt(enrolment, activity, utcnow(), rng).id
        session.commit()
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    with app.app_context():
        assert_only_tokens(page, session.get(QuizAttempt, attempt_id))
    form = guess(page, strategy)
    token = csrf_token(client, f"/attempts/{attempt_id}")
    saved = client.post(f"/attempts/{attempt_id}/save", data={**form, "csrf_token": token},
                        headers={"Accept": "application/json"})
    assert saved.status_code == 200 and set(saved.json) == {"saved", "saved_at", "closed"}
    assert isinstance(saved.json["saved"], int) and saved.json["closed"] is False
    client.post(f"/attempts/{attempt_id}/submit", data={**form, "csrf_token": token})
    with app.app_context():
        attempt = session.get(QuizAttempt, attempt_id)
        assert attempt.state != "in_progress"
        assert not attempt.is_passed, (slug, strategy, attempt.score)


def play_blind(app, client, user_id, slug, strategy, rng):
    with app.app_context():
        enrolment, activity = _enrolment_and_activity(user_id, slug)
        play_id = scenarios.start_play(enrolment, activity, utcnow(), rng).id
        session.commit()
    for _ in range(30):
        page = client.get(f"/plays/{play_id}")
        if page.status_code == 302:  # finished: the debrief
            break
        html = page.get_data(as_text=True)
        buttons = [c for c in controls_of(html).controls if c["name"] == "choice"]
        with app.app_context():
            play = session.get(ScenarioPlay, play_id)
            shown = scenarios.shown_choices(play)
            step = play.step_id
        assert [b["value"] for b in buttons] == [token for token, _i, _c in shown]
        assert not any(b["value"].isdigit() for b in buttons)
        if strategy == "zero_value":
            choice = "0"
        elif strategy == "name_order":
            choice = min(b["value"] for b in buttons)
        else:  # the first button shown, every time
            choice = buttons[0]["value"]
        client.post(f"/plays/{play_id}/choose",
                    data={"step": step, "choice": choice, "csrf_token": csrf_token(client, "/")})
    with app.app_context():
        play = session.get(ScenarioPlay, play_id)
        if strategy == "zero_value":
            assert play.choices == [] and play.finished_at is None  # "0" is no choice at all
            return False, None
        assert play.finished_at is not None
        return bool(play.is_passed), play.choices[0].choice_index


def test_the_answer_key_of_the_editor_preview_is_for_trainers_only(app, client, shipped_course, make_user,
                                                                   login):
    """Trainers preview every activity with its right answers, points and feedback; a trainee gets
    none of it, neither from the /author/ pages nor on the pages they answer on."""
    trainee = make_user("trainee")
    complete_modules(app, trainee.id, COURSE)
    login(trainee)
    token = csrf_token(client, "/")
    with app.app_context():
        feedback = {}
        for activity in session.query(Activity).filter_by(is_archived=False):
            data = activity.current_revision.data
            texts = [c["feedback_html"] for s in data.get("steps", {}).values() for c in s["choices"]]
            questions = data.get("questions", ())
            texts += [a.get("feedback_html", "") for q in questions for a in q.get("answers", ())]
            texts += [q.get("general_feedback_html", "") for q in data.get("questions", ())]
            asked = re.sub(r"<[^>]+>", "", json.dumps(  # what the pages show anyway (a case's intro)
                [data.get("intro_html", "")] + [q["html"] for q in data.get("questions", ())]
                + [s["html"] for s in data.get("steps", {}).values()], ensure_ascii=False))
            feedback[activity.slug] = [text for t in texts if (text := re.sub(r"<[^>]+>", "", t).strip())
                                       and text not in asked]
    for slug, kind in shipped_activities(app):
        editor = f"/author/{COURSE}/activity/{slug}"
        assert client.get(editor).status_code == 403
        refused = client.post(f"{editor}/preview", json={"source": ""}, headers={"X-CSRFToken": token})
        assert refused.status_code == 403 and "key" not in refused.get_data(as_text=True)
        where = "scenarios" if kind == SCENARIO else "quizzes"
        started = client.post(f"/courses/{COURSE}/{where}/{slug}/start", data={"csrf_token": token})
        for url in (f"/courses/{COURSE}/{where}/{slug}/", started.location):
            page = client.get(url).get_data(as_text=True).split("<main", 1)[1]
            assert "answer-key" not in page and "scenario-key" not in page and "正确答案" not in page, url
            assert not re.search(r"\bchecked\b", page), url
            assert not [text for text in feedback[slug] if text and text in page], url
