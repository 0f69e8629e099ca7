"""Playing call simulations: every choice stored as it is made, scored by the scenario's rules."""

from __future__ import annotations

import hashlib
import hmac
import random
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..content import scenario as engine
from ..db import locked, session
from ..learning.models import Enrolment
from ..signals import progress_changed
from .models import Activity, ActivityRevision, ScenarioChoice, ScenarioPlay


class StaleChoice(Exception):
    """A choice for a step the play is no longer at (a second tab, a double click)."""


#: Parsed scenarios kept per process, by revision id and checksum (another database's revision
#: of the same id is another key); the source is read only to parse it.
_specs: dict[tuple[int, str], engine.ScenarioSpec] = {}
MAX_SPECS = 128


def spec_of(revision: ActivityRevision) -> engine.ScenarioSpec:
    """The scenario of a revision (immutable, so parsed once per revision)."""
    key = (revision.id, revision.sha256)
    found = _specs.get(key)
    if found is None:
        slug = revision.activity.slug
        found = engine.parse_scenario(revision.source, f"{slug}{engine.SUFFIX}", slug)
        if len(_specs) >= MAX_SPECS:
            _specs.clear()
        _specs[key] = found
    return found


def state_of(play: ScenarioPlay) -> engine.PlayState:
    return engine.PlayState(
        step_id=play.step_id, score=play.points,
        path=tuple((c.step_id, c.choice_index) for c in play.choices),
        violations=tuple(engine.Violation(c.violation_rule, "", c.violation_severity)
                         for c in play.choices if c.violation_rule),
        finished=play.finished_at is not None, failed_critically=play.failed_critically)


def plays_of(enrolment: Enrolment, activity: Activity) -> list[ScenarioPlay]:
    return list(session.scalars(select(ScenarioPlay).where(
        ScenarioPlay.enrolment_id == enrolment.id, ScenarioPlay.activity_id == activity.id)
        .order_by(ScenarioPlay.id)))


def start_play(enrolment: Enrolment, activity: Activity, now: datetime,
               rng: random.Random | None = None) -> ScenarioPlay:
    """The unfinished play of this scenario, or a new one at its start.

    ``rng`` makes the play's salt (the order and tokens of its choices); by default a secure one.
    The enrolment is locked first: a double click leaves one unfinished play, not two.
    """
    locked(Enrolment, enrolment.id)
    unfinished = next((p for p in plays_of(enrolment, activity) if p.finished_at is None), None)
    if unfinished is not None:
        return unfinished
    revision = activity.current_revision
    state = engine.start(spec_of(revision))
    play = ScenarioPlay(enrolment_id=enrolment.id, activity_id=activity.id,
                        revision_id=revision.id, step_id=state.step_id, started_at=now,
                        salt=f"{(rng or random.SystemRandom()).getrandbits(128):032x}")
    session.add(play)
    session.flush()
    if state.finished:
        _finish(play, state, now)
    return play


def shown_choices(play: ScenarioPlay) -> list[tuple[str, int, dict[str, Any]]]:
    """The current step's choices as the play page shows them: (token, authored index, choice).

    Each play has its own order at each step, derived from its secret salt, the step and how
    many choices were made before (a reload shows the same order); tokens are keyed hashes of the
    same, so neither the order nor a token says which choice is which. Plays from before the salt
    existed show the authored order with the indices as tokens.
    """
    choices = step_data(play)["choices"]
    indices = list(range(len(choices)))
    if not play.salt:
        return [(str(i), i, choices[i]) for i in indices]
    where = f"{play.step_id}:{len(play.choices)}"
    if spec_of(play.revision).shuffle:
        random.Random(f"{play.salt}:{where}").shuffle(indices)
    return [(_token(play.salt, f"{where}:{i}"), i, choices[i]) for i in indices]


def _token(salt: str, message: str) -> str:
    return "c" + hmac.new(salt.encode(), message.encode(), hashlib.sha256).hexdigest()[:16]


def choose(play: ScenarioPlay, step_id: str, choice: str, now: datetime) -> None:
    """Apply the choice the page showed under token ``choice`` at ``step_id``, storing it.

    Raises StaleChoice for a step the play is no longer at or a token it does not show now.
    """
    spec = spec_of(play.revision)
    if play.finished_at is not None or step_id != play.step_id:
        raise StaleChoice()
    sent = choice.encode("utf-8", "replace")
    index = next((i for token, i, _choice in shown_choices(play)
                  if hmac.compare_digest(token.encode(), sent)), None)
    if index is None:
        raise StaleChoice()
    step = spec.step(play.step_id)
    picked = step.choices[index]
    state = engine.choose(spec, state_of(play), index)
    play.choices.append(ScenarioChoice(
        sequence=len(play.choices) + 1, step_id=step.id, choice_index=index,
        choice_text=picked.text, points=picked.points, chosen_at=now,
        violation_rule=picked.violation.rule if picked.violation else None,
        violation_severity=picked.violation.severity if picked.violation else None))
    play.step_id, play.points = state.step_id, state.score
    if state.finished:
        play.failed_critically = state.failed_critically
        _finish(play, state, now)
    session.flush()


def _finish(play: ScenarioPlay, state: engine.PlayState, now: datetime) -> None:
    result = engine.outcome(spec_of(play.revision), state)
    play.finished_at, play.score, play.is_passed = now, result.percent, result.passed
    session.flush()
    progress_changed.send(play.enrolment)


def step_data(play: ScenarioPlay) -> dict[str, Any]:
    """The current step as stored with the revision (situation HTML, choices without points)."""
    return play.revision.data["steps"][play.step_id]


def last_choice(play: ScenarioPlay) -> dict[str, Any] | None:
    """The previous choice with its feedback, shown above the next step."""
    if not play.choices:
        return None
    made = play.choices[-1]
    return {"made": made, "choice": play.revision.data["steps"][made.step_id]["choices"][made.choice_index]}


def path_of(play: ScenarioPlay) -> list[dict[str, Any]]:
    """Every choice of a play with its step, feedback and the rule it broke, for the debrief."""
    steps = play.revision.data["steps"]
    rules = play.revision.data["rules"]
    return [{"made": made, "step": steps[made.step_id],
             "choice": steps[made.step_id]["choices"][made.choice_index],
             "rule_text": rules.get(made.violation_rule or "", "")}
            for made in play.choices]


def best_play(plays: list[ScenarioPlay]) -> ScenarioPlay | None:
    finished = [p for p in plays if p.finished_at is not None]
    return max(finished, key=lambda p: (bool(p.is_passed), p.score or 0)) if finished else None
