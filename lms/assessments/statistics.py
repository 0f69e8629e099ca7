"""Statistics of graded quizzes, case studies and call simulations, for trainers.

The quiz and question statistics are Moodle's quiz statistics report, with its formulas
(docs.moodle.org/dev/Quiz_statistics_calculations; ``mod/quiz/report/statistics`` and
``question/classes/statistics`` in moodle/moodle):

- every scored question carries a mark of 1, so an attempt's total is the sum of its fractions
  and the quiz's maximum is the number of positions ``p``; means, medians, standard deviations
  and the standard error are shown as percentages of that maximum, as Moodle does;
- a *position* (Moodle's slot) is an authored question when every attempt shows every question;
  when the quiz draws questions from a pool, position k holds the k-th drawn question in authored
  order, and each drawn question also gets its own statistics over the attempts that saw it,
  where, as in Moodle's random-question statistics, "the rest of the test" is the whole total;
- variances and covariances divide by ``s - 1``; skewness and kurtosis are the sample cumulant
  ratios k3/k2^1.5 and k4/k2^2; CIC = 100·p/(p−1)·(1 − Σ position variances / k2), the error
  ratio 100·√(1 − CIC/100), the standard error = error ratio × SD / 100.

Pure functions over plain values come first; the loaders at the end read the database in a fixed
number of queries.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, Select, Text, and_, cast, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..content.questions import (
    ANY_OTHER,
    MATCHING,
    MULTICHOICE,
    MULTIRESPONSE,
    NUMERICAL,
    SHORTANSWER,
    TRUEFALSE,
    Question,
)
from ..db import session
from ..memo import LatestCache
from .grading import is_scored, normalise_text
from .models import (
    GRADED,
    Activity,
    ActivityRevision,
    AttemptResponse,
    QuizAttempt,
    ScenarioChoice,
    ScenarioPlay,
)

#: Below this discrimination index (in %) a question is flagged: it does not separate the
#: trainees who know from those who don't.
LOW_DISCRIMINATION = 20.0
#: Outside this facility band (in %) a question is flagged as too hard or too easy.
FACILITY_RANGE = (10.0, 95.0)
CHOICE_TYPES = (MULTICHOICE, TRUEFALSE, MULTIRESPONSE)
TEXT_TYPES = (SHORTANSWER, NUMERICAL)
TOP_TEXT_ANSWERS = 8


# --- plain data in ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemInfo:
    """What the statistics need to know of a question."""

    key: str
    name: str
    type: str
    options: tuple[str, ...] = ()  # answer texts, for choice questions, in authored order
    option_fractions: tuple[float, ...] = ()

    @classmethod
    def of(cls, key: str, question: Question) -> ItemInfo:
        return cls(key, question.name, question.type,
                   tuple(a.text for a in question.answers) if question.type in CHOICE_TYPES else (),
                   tuple(a.fraction for a in question.answers) if question.type in CHOICE_TYPES else ())


@dataclass(frozen=True)
class AttemptMarks:
    """One graded attempt: each scored question it showed, in authored order, with its fraction
    (0–1) and, optionally, the stored response (answer indices as authored)."""

    marks: tuple[tuple[str, float], ...]
    responses: Mapping[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(mark for _, mark in self.marks)


# --- descriptive statistics ------------------------------------------------------------------

@dataclass(frozen=True)
class Distribution:
    """Count, mean, median, standard deviation (n−1), skewness and kurtosis, as Moodle computes
    them for attempt totals; None where there are too few values."""

    count: int
    mean: float | None
    median: float | None
    sd: float | None
    skewness: float | None
    kurtosis: float | None
    k2: float | None  # the variance (second cumulant), used by the CIC


def distribution(values: Sequence[float]) -> Distribution:
    return weighted_distribution([(value, 1) for value in values])


def weighted_distribution(counted: Sequence[tuple[float, int]]) -> Distribution:
    """``distribution`` of values given as (value, how many times it occurs); with every count 1
    it adds the same numbers in the same order."""
    s = sum(times for _, times in counted)
    if s == 0:
        return Distribution(0, None, None, None, None, None, None)
    mean = _mean(counted, s)
    ordered = sorted(counted)
    median = _nth(ordered, s // 2) if s % 2 else (_nth(ordered, s // 2 - 1) + _nth(ordered, s // 2)) / 2
    sd = skewness = kurtosis = k2 = None
    if s > 1:
        power2 = sum(times * (v - mean) ** 2 for v, times in counted)
        power3 = sum(times * (v - mean) ** 3 for v, times in counted)
        power4 = sum(times * (v - mean) ** 4 for v, times in counted)
        sd = math.sqrt(power2 / (s - 1))
        if s > 2:
            m2, m3, m4 = power2 / s, power3 / s, power4 / s
            k2 = s * m2 / (s - 1)
            k3 = s * s * m3 / ((s - 1) * (s - 2))
            if k2 != 0:
                skewness = k3 / k2 ** 1.5
                if s > 3:
                    k4 = s * s * ((s + 1) * m4 - 3 * (s - 1) * m2 * m2) / ((s - 1) * (s - 2) * (s - 3))
                    kurtosis = k4 / (k2 * k2)
    return Distribution(s, mean, median, sd, skewness, kurtosis, k2)


def _mean(counted: Sequence[tuple[float, int]], s: int) -> float:
    """The mean of ``s`` values given as (value, count); when they are all equal, that value
    exactly: their deviations are then 0, not rounding noise that a ratio (skewness, the
    discrimination index) would blow up into a meaningless figure."""
    if len({value for value, _ in counted}) == 1:
        return counted[0][0]
    return sum(times * value for value, times in counted) / s


def _nth(ordered: Sequence[tuple[float, int]], index: int) -> float:
    """The ``index``-th smallest value (from 0) of sorted (value, count) pairs."""
    for value, times in ordered:
        if index < times:
            return value
        index -= times
    raise IndexError(index)


def _paired_in_order(xs: Sequence[tuple[float, int]],
                     ys: Sequence[tuple[float, int]]) -> list[tuple[float, float, int]]:
    """The i-th smallest x with the i-th smallest y, as (x, y, how many such pairs in a row), of
    two (value, count) lists with equal total counts."""
    xs, ys = sorted(xs), sorted(ys)
    paired: list[tuple[float, float, int]] = []
    i = j = 0
    left_x, left_y = (xs[0][1] if xs else 0), (ys[0][1] if ys else 0)
    while i < len(xs) and j < len(ys):
        times = min(left_x, left_y)
        if times:
            paired.append((xs[i][0], ys[j][0], times))
        left_x, left_y = left_x - times, left_y - times
        if not left_x:
            i += 1
            left_x = xs[i][1] if i < len(xs) else 0
        if not left_y:
            j += 1
            left_y = ys[j][1] if j < len(ys) else 0
    return paired


# --- quiz and question statistics ------------------------------------------------------------

@dataclass(frozen=True)
class OptionCount:
    text: str
    fraction: float | None  # the share of the mark this response earns, when known
    count: int
    percent: float  # of the attempts that saw the question


@dataclass
class ItemStatistics:
    """One position or one question: Moodle's per-question columns, in percent where Moodle
    shows percent (facility, SD, weights, discrimination, efficiency, random guess score)."""

    key: str
    label: str
    type: str | None
    attempts: int
    facility: float | None
    sd: float | None
    random_guess: float | None
    intended_weight: float | None
    effective_weight: float | None
    discrimination_index: float | None
    discriminative_efficiency: float | None
    negative_covariance: bool = False
    options: list[OptionCount] = field(default_factory=list)
    #: internal: the mark variance and the covariance with the total, for CIC and weights
    mark_variance: float | None = None
    covariance_with_total: float | None = None

    @property
    def low_discrimination(self) -> bool:
        return self.discrimination_index is not None and self.discrimination_index < LOW_DISCRIMINATION

    @property
    def facility_out_of_range(self) -> bool:
        low, high = FACILITY_RANGE
        return self.facility is not None and not low <= self.facility <= high

    @property
    def is_flagged(self) -> bool:
        return self.low_discrimination or self.facility_out_of_range


@dataclass(frozen=True)
class QuizStatistics:
    attempts: int
    positions: int  # p: the number of scored questions each attempt shows
    mean: float | None  # percent of the maximum
    median: float | None
    sd: float | None
    skewness: float | None
    kurtosis: float | None
    cic: float | None  # percent
    error_ratio: float | None  # percent
    standard_error: float | None  # percent of the maximum
    scores: list[float]  # each attempt's total as a percent, for the histogram
    #: per position (Moodle's slots); for a quiz without a pool, one per question
    slots: list[ItemStatistics]
    #: per drawn question, when the quiz draws from a pool (else empty: ``slots`` are questions)
    questions: list[ItemStatistics]

    @property
    def items(self) -> list[ItemStatistics]:
        """The per-question rows: drawn questions when the quiz draws, else the positions."""
        return self.questions or self.slots

    @property
    def flagged(self) -> list[ItemStatistics]:
        return [item for item in self.items if item.is_flagged]


def random_guess_score(question: Question) -> float | None:
    """The expected fraction of a random guess (0–1), as Moodle's question types define it:
    single choice and true/false the mean of the answers' fractions; matching one over the
    number of choices; short answer and numerical the fraction of a ``*`` answer (else 0);
    None where Moodle does not compute one (multiple response, ordering, essay)."""
    if question.type in (MULTICHOICE, TRUEFALSE):
        return sum(a.fraction for a in question.answers) / len(question.answers) if question.answers else None
    if question.type == MATCHING:
        choices = {pair.answer for pair in question.pairs}
        return 1 / len(choices) if choices else None
    if question.type == SHORTANSWER:
        return next((a.fraction for a in question.answers if a.text.strip() == "*"), 0.0)
    if question.type == NUMERICAL:
        return next((n.fraction for n in question.numeric if n.value == ANY_OTHER), 0.0)
    return None


def _item(key: str, label: str, type_: str | None, pairs: Sequence[tuple[float, float, int]], p: int,
          *, rest_is_total: bool) -> ItemStatistics:
    """Moodle's per-question calculation over (mark, attempt total, how many attempts) rows;
    ``rest_is_total`` for a drawn question (Moodle's sub-question): its "other marks" are the
    whole total. Rows of one attempt each (count 1) add the same numbers in the same order as a
    sum over attempts."""
    s = sum(times for _, _, times in pairs)
    rows = [(mark, total if rest_is_total else total - mark, total, times) for mark, total, times in pairs]
    item = ItemStatistics(key, label, type_, s, None, None, None, 100 / p if p else None, None, None, None)
    if s == 0:
        return item
    mark_mean = _mean([(mark, times) for mark, _, _, times in rows], s)
    other_mean = _mean([(other, times) for _, other, _, times in rows], s)
    total_mean = _mean([(total, times) for _, _, total, times in rows], s)
    item.facility = 100 * mark_mean  # the mark is out of 1
    if s < 2:
        return item
    deviations = [(mark - mark_mean, other - other_mean, total - total_mean, times)
                  for mark, other, total, times in rows]
    mark_var = sum(times * (d * d) for d, _, _, times in deviations) / (s - 1)
    other_var = sum(times * (d * d) for _, d, _, times in deviations) / (s - 1)
    covariance = sum(times * (a * b) for a, b, _, times in deviations) / (s - 1)
    # the greatest covariance these marks could have: both sorted
    in_order = _paired_in_order([(mark, times) for mark, _, _, times in rows],
                                [(other, times) for _, other, _, times in rows])
    covariance_max = sum(times * ((a - mark_mean) * (b - other_mean)) for a, b, times in in_order) / (s - 1)
    item.covariance_with_total = sum(times * (a * t) for a, _, t, times in deviations) / (s - 1)
    item.negative_covariance = item.covariance_with_total < 0
    item.mark_variance = mark_var
    item.sd = 100 * math.sqrt(mark_var)
    if mark_var * other_var:
        item.discrimination_index = 100 * covariance / math.sqrt(mark_var * other_var)
    if covariance_max:
        item.discriminative_efficiency = 100 * covariance / covariance_max
    return item


def _tally(info: ItemInfo, responses: Sequence[tuple[Any, int]]) -> list[OptionCount]:
    """How often each answer was chosen (choice questions) or typed (short answer, numerical),
    over (response, how many attempts gave it) pairs."""
    seen = sum(times for _, times in responses)
    if not seen:
        return []
    counts: Counter[Any] = Counter()
    blank = 0
    for value, times in responses:
        if info.type in CHOICE_TYPES:
            chosen = value if isinstance(value, list) else [value] if isinstance(value, int) else []
            chosen = [i for i in chosen if isinstance(i, int) and 0 <= i < len(info.options)]
            for index in set(chosen):
                counts[index] += times
            blank += times if not chosen else 0
        elif isinstance(value, str) and value.strip():
            counts[normalise_text(value)] += times
        else:
            blank += times
    if info.type in CHOICE_TYPES:
        found = [OptionCount(text, info.option_fractions[i], counts[i], 100 * counts[i] / seen)
                 for i, text in enumerate(info.options)]
    else:
        commonest = sorted(counts.items(), key=lambda entry: (-entry[1], entry[0]))  # ties by text
        found = [OptionCount(text, None, count, 100 * count / seen)
                 for text, count in commonest[:TOP_TEXT_ANSWERS]]
    if blank:
        found.append(OptionCount("", 0.0, blank, 100 * blank / seen))  # "" is "no answer"
    return found


@dataclass(frozen=True)
class Tallies:
    """A quiz's counted attempts as its statistics need them, each row with the number of attempts
    it stands for: counted in the database (``load_tallies``) or from each attempt's marks."""

    totals: Sequence[tuple[float, int]]  # (attempt total, attempts)
    positions: int  # p: the most scored questions an attempt showed
    by_key: Mapping[str, Sequence[tuple[float, float, int]]]  # question → (mark, attempt total, attempts)
    by_position: Mapping[int, Sequence[tuple[float, float, int]]]  # for a drawing quiz, the same per position
    responses: Mapping[str, Sequence[tuple[Any, int]]]  # question → (response, attempts)


def quiz_statistics(attempts: Sequence[AttemptMarks], items: Mapping[str, ItemInfo],
                    guesses: Mapping[str, float | None] | None = None, *,
                    drawn: bool = False,
                    responses: Mapping[str, Sequence[tuple[Any, int]]] | None = None) -> QuizStatistics:
    """Moodle's quiz statistics over graded attempts; ``items`` by question key in authored order,
    ``guesses`` each question's random guess score (0–1); ``drawn`` when the quiz draws from a pool.
    ``responses``: per question, (response, count) pairs already counted (else each attempt's own
    ``responses`` are counted here)."""
    order = {key: index for index, key in enumerate(items)}
    totals = [a.total for a in attempts]
    by_position: dict[int, list[tuple[float, float, int]]] = defaultdict(list)
    if drawn:
        for attempt, total in zip(attempts, totals, strict=True):
            ordered = sorted(attempt.marks, key=lambda entry: order.get(entry[0], len(order)))
            for position, (_, mark) in enumerate(ordered):
                by_position[position].append((mark, total, 1))
    by_key: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    answers: dict[str, list[tuple[Any, int]]] = defaultdict(list)
    for attempt, total in zip(attempts, totals, strict=True):
        for key, mark in attempt.marks:
            by_key[key].append((mark, total, 1))
            if responses is None:
                answers[key].append((attempt.responses.get(key), 1))
    tallies = Tallies([(total, 1) for total in totals], max((len(a.marks) for a in attempts), default=0),
                      by_key, by_position, answers if responses is None else responses)
    return tallied_statistics(tallies, items, guesses, drawn=drawn)


def tallied_statistics(tallies: Tallies, items: Mapping[str, ItemInfo],
                       guesses: Mapping[str, float | None] | None = None, *,
                       drawn: bool = False) -> QuizStatistics:
    """``quiz_statistics`` of attempts already counted: as many steps however many attempts."""
    guesses = guesses or {}
    p = tallies.positions
    spread = weighted_distribution(tallies.totals)

    def as_percent(value: float | None) -> float | None:
        return None if value is None or not p else 100 * value / p

    slots: list[ItemStatistics] = []
    questions: list[ItemStatistics] = []
    if drawn:
        slots = [_item(str(position + 1), str(position + 1), None, tallies.by_position.get(position, []), p,
                       rest_is_total=False) for position in range(p)]
    for key, info in items.items():
        if not drawn and key not in tallies.by_key:
            continue
        item = _item(key, info.name, info.type, tallies.by_key.get(key, []), p, rest_is_total=drawn)
        guess = guesses.get(key)
        item.random_guess = None if guess is None else 100 * guess
        item.options = _tally(info, tallies.responses.get(key, ()))
        (questions if drawn else slots).append(item)

    # effective weights, over positions, as Moodle: √cov(position, total) / Σ √cov over positions
    root_sum = sum(math.sqrt(s.covariance_with_total) for s in slots
                   if s.covariance_with_total is not None and s.covariance_with_total >= 0)
    for slot in slots:
        if root_sum and not slot.negative_covariance and slot.covariance_with_total is not None:
            slot.effective_weight = 100 * math.sqrt(slot.covariance_with_total) / root_sum

    cic = error_ratio = standard_error = None
    if spread.k2 and p > 1:
        variance_sum = sum(s.mark_variance or 0.0 for s in slots)
        cic = (100 * p / (p - 1)) * (1 - variance_sum / spread.k2)
        if cic <= 100:
            error_ratio = 100 * math.sqrt(1 - cic / 100)
            standard_error = error_ratio * spread.sd / 100 if spread.sd is not None else None
    return QuizStatistics(
        attempts=spread.count, positions=p, mean=as_percent(spread.mean), median=as_percent(spread.median),
        sd=as_percent(spread.sd), skewness=spread.skewness, kurtosis=spread.kurtosis, cic=cic,
        error_ratio=error_ratio, standard_error=as_percent(standard_error),
        scores=[100 * t / p for t, times in tallies.totals for _ in range(times)] if p else [],
        slots=slots, questions=questions)


def histogram(scores: Sequence[float], width: int = 10) -> tuple[list[str], list[int]]:
    """Scores (0–100) in bands of ``width`` points, the last band closed: 0–9 … 90–100."""
    bands = list(range(0, 100, width))
    counts = [0] * len(bands)
    for score in scores:
        counts[min(len(bands) - 1, max(0, int(score // width)))] += 1
    labels = [f"{low}–{low + width - 1}" if low + width < 100 else f"{low}–100" for low in bands]
    return labels, counts


# --- call simulations ------------------------------------------------------------------------

@dataclass(frozen=True)
class ChoiceMade:
    step_id: str
    index: int
    rule: str | None = None
    severity: str | None = None


@dataclass(frozen=True)
class PlayRecord:
    """One finished play: the choices in order, the step it ended at, its score and outcome."""

    choices: tuple[ChoiceMade, ...]
    end_step: str
    score: int
    passed: bool
    failed_critically: bool


@dataclass(frozen=True)
class StepInfo:
    id: str
    title: str
    choices: tuple[str, ...]  # texts, by index


@dataclass(frozen=True)
class Frequency:
    label: str
    count: int
    percent: float
    detail: str = ""


@dataclass(frozen=True)
class ChoiceFrequencies:
    step: StepInfo
    reached: int  # plays that chose at this step
    choices: list[Frequency]


@dataclass(frozen=True)
class ScenarioStatistics:
    plays: int
    scores: Distribution
    passed: int
    scores_list: list[int]
    paths: list[Frequency]  # step titles joined by →, most frequent first
    steps: list[ChoiceFrequencies]
    violations: list[Frequency]  # rule text, detail = severity; percent of plays
    critical_at: list[Frequency]  # the step where a critical choice ended the call
    failing_endings: list[Frequency]  # where plays that did not pass (without a critical choice) ended

    @property
    def pass_rate(self) -> float | None:
        return 100 * self.passed / self.plays if self.plays else None


def scenario_statistics(plays: Sequence[PlayRecord], steps: Sequence[StepInfo],
                        rules: Mapping[str, str]) -> ScenarioStatistics:
    """How often each path, choice and violation occurs, where plays fail, and their scores."""
    return counted_scenario_statistics([(play, 1) for play in plays], steps, rules)


def counted_scenario_statistics(counted: Sequence[tuple[PlayRecord, int]], steps: Sequence[StepInfo],
                                rules: Mapping[str, str]) -> ScenarioStatistics:
    """``scenario_statistics`` of plays given as (play, how many plays went exactly so), in the
    order of their first occurrence (so that equal counts are listed as one by one)."""
    n = sum(times for _, times in counted)
    titles = {step.id: step.title or step.id for step in steps}

    def freq(counter: Counter, label=lambda key: str(key), detail=lambda key: "") -> list[Frequency]:
        return [Frequency(label(key), count, 100 * count / n if n else 0.0, detail(key))
                for key, count in counter.most_common()]

    paths: Counter[tuple[str, ...]] = Counter()
    chosen: dict[str, Counter[int]] = defaultdict(Counter)
    violations: Counter[tuple[str, str]] = Counter()
    critical: Counter[str] = Counter()
    endings: Counter[str] = Counter()
    for play, times in counted:
        paths[tuple(c.step_id for c in play.choices) + (play.end_step,)] += times
        for choice in play.choices:
            chosen[choice.step_id][choice.index] += times
        for rule, severity in {(c.rule, c.severity or "") for c in play.choices if c.rule}:
            violations[rule, severity] += times  # plays with the violation, not choices
        if play.failed_critically:
            critical[next((c.step_id for c in reversed(play.choices) if c.severity == "critical"),
                          play.end_step)] += times
        elif not play.passed:
            endings[play.end_step] += times
    step_rows = []
    for step in steps:
        counts = chosen.get(step.id, Counter())
        if not step.choices:
            continue
        reached = sum(counts.values())
        step_rows.append(ChoiceFrequencies(step, reached, [
            Frequency(text, counts[i], 100 * counts[i] / reached if reached else 0.0)
            for i, text in enumerate(step.choices)]))
    scores = [(play.score, times) for play, times in counted]
    return ScenarioStatistics(
        plays=n, scores=weighted_distribution(scores), passed=sum(times for p, times in counted if p.passed),
        scores_list=[score for score, times in scores for _ in range(times)],
        paths=freq(paths, lambda path: " → ".join(titles.get(s, s) for s in path)),
        steps=step_rows,
        violations=freq(violations, lambda key: rules.get(key[0], key[0]), lambda key: key[1]),
        critical_at=freq(critical, lambda key: titles.get(key, key)),
        failing_endings=freq(endings, lambda key: titles.get(key, key)))


# --- loading from the database ---------------------------------------------------------------

@dataclass(frozen=True)
class Report:
    """The statistics of one activity's revision, as the page, the PDF and the CLI show them."""

    activity: Activity
    revision: ActivityRevision | None
    all_attempts: bool
    quiz: QuizStatistics | None = None
    scenario: ScenarioStatistics | None = None


def _chosen_revision(activity: Activity, number: int | None) -> ActivityRevision | None:
    if number is None or (activity.current_revision and activity.current_revision.number == number):
        return activity.current_revision
    if not 1 <= number <= 2**31 - 1:  # a number from a URL: beyond the column's range, no revision
        return None
    return session.scalar(select(ActivityRevision).where(
        ActivityRevision.activity_id == activity.id, ActivityRevision.number == number))


def activity_report(activity: Activity, *, all_attempts: bool = False,
                    revision_number: int | None = None) -> Report:
    """The statistics of ``activity`` over the graded attempts (finished plays) of one revision
    (default: the current one), first attempts of each enrolment unless ``all_attempts``."""
    revision = _chosen_revision(activity, revision_number)
    if revision is None:
        return Report(activity, None, all_attempts)
    if activity.kind == "scenario":
        return Report(activity, revision, all_attempts,
                      scenario=load_scenario_statistics(activity, revision, all_attempts))
    return Report(activity, revision, all_attempts,
                  quiz=load_quiz_statistics(activity, revision, all_attempts))


def counted_attempts(activity: Activity, revision: ActivityRevision, all_attempts: bool) -> Select:
    """The ids of the graded attempts of ``revision`` the statistics count: each enrolment's first
    graded attempt at the activity (Moodle's default), or all of them."""
    graded = (QuizAttempt.activity_id == activity.id, QuizAttempt.state == GRADED)
    counted = select(QuizAttempt.id).where(*graded, QuizAttempt.revision_id == revision.id)
    if not all_attempts:
        first = (select(QuizAttempt.enrolment_id, func.min(QuizAttempt.number).label("number"))
                 .where(*graded).group_by(QuizAttempt.enrolment_id).subquery())
        counted = counted.join(first, and_(first.c.enrolment_id == QuizAttempt.enrolment_id,
                                           first.c.number == QuizAttempt.number))
    return counted


def load_quiz_statistics(activity: Activity, revision: ActivityRevision,
                         all_attempts: bool) -> QuizStatistics:
    """Two queries, whatever the number of attempts: whether anything was graded since, then the
    counted attempts' marks and responses, counted in the database (``load_tallies``). The result
    is kept per revision until another attempt is graded (``lms.memo``)."""
    from .quizzes import Settings, questions_of

    graded = (QuizAttempt.activity_id == activity.id, QuizAttempt.state == GRADED)
    version = session.execute(select(func.count(), func.max(QuizAttempt.graded_at), func.max(QuizAttempt.id))
                              .where(*graded)).one()
    subject = (revision.id, revision.created_at, all_attempts)
    found = _cache.get(subject, tuple(version))
    if found is not None:
        return found

    questions = questions_of(revision)
    items = {f"q{i}": ItemInfo.of(f"q{i}", q) for i, q in enumerate(questions) if is_scored(q)}
    guesses = {key: random_guess_score(questions[int(key[1:])]) for key in items}
    drawn = bool(Settings.of(revision).draw)
    # answers exist only for the revision's questions: leaving out the unscored costs no lookups
    unscored = [f"q{i}" for i, q in enumerate(questions) if not is_scored(q)]
    tallies = load_tallies(counted_attempts(activity, revision, all_attempts), unscored, drawn=drawn)
    statistics = tallied_statistics(tallies, items, guesses, drawn=drawn)
    _cache.put(subject, tuple(version), statistics)
    return statistics


#: between the answers of an attempt, and the fields of an answer: control characters, which JSON
#: text, a question key and a number never hold
ANSWERS_APART, FIELDS_APART = "\x1e", "\x1f"


class exact_text(FunctionElement):
    """A float as text that reads back as the same float: PostgreSQL's own text form does
    (shortest exact), SQLite's keeps 15 digits unless asked for 17."""

    type = Text()
    inherit_cache = True


@compiles(exact_text)
def _exact_text(element, compiler, **kw) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


@compiles(exact_text, "sqlite")
def _exact_text_sqlite(element, compiler, **kw) -> str:
    return f"printf('%!.17g', {compiler.process(element.clauses, **kw)})"


def load_tallies(counted: Select, unscored: Collection[str], *, drawn: bool) -> Tallies:
    """One query over the answers of the ``counted`` attempts (leaving out the ``unscored``
    questions) that returns a row per distinct attempt rather than per answer, so that its size
    does not grow with the trainees: each attempt's answers become one string of (question, mark,
    response) in a pass that needs no sorting (they are read in attempt order), with the attempt's
    total and the number of questions it showed; the database counts the attempts sharing them,
    and the strings are added up per question, position and response here."""
    mark = func.coalesce(AttemptResponse.fraction, 0.0)
    answers = [AttemptResponse.attempt_id.in_(counted.scalar_subquery())]
    if unscored:
        answers.append(AttemptResponse.question_key.not_in(unscored))
    answer = (AttemptResponse.question_key + FIELDS_APART + exact_text(mark) + FIELDS_APART
              + cast(AttemptResponse.response, Text))
    attempts = (select(func.aggregate_strings(answer, ANSWERS_APART).label("answers"),
                       func.sum(mark).label("total"), func.count().label("shown"))
                .where(*answers).group_by(AttemptResponse.attempt_id).subquery())
    grouped = (attempts.c.answers, attempts.c.total, attempts.c.shown)
    totals: Counter[float] = Counter()
    by_key: dict[str, Counter[tuple[float, float]]] = defaultdict(Counter)
    by_position: dict[int, Counter[tuple[float, float]]] = defaultdict(Counter)
    shown_texts: dict[str, Counter[str]] = defaultdict(Counter)
    positions = 0
    for text, total, shown, times in session.execute(select(*grouped, func.count()).group_by(*grouped)):
        totals[total] += times
        positions = max(positions, shown)
        parsed = []
        for one in text.split(ANSWERS_APART):
            key, fraction, response = one.split(FIELDS_APART, 2)
            parsed.append((int(key[1:]), key, float(fraction), response))
        for position, (_, key, fraction, response) in enumerate(sorted(parsed)):  # in authored order
            by_key[key][fraction, total] += times
            if drawn:
                by_position[position][fraction, total] += times
            shown_texts[key][response] += times
    responses: dict[str, list[tuple[Any, int]]] = defaultdict(list)
    for key, counted_texts in shown_texts.items():
        for response, times in counted_texts.items():
            value = json.loads(response) if response else None
            responses[key].append((value.get("value") if isinstance(value, dict) else None, times))

    def listed(counter: Counter[tuple[float, float]]) -> list[tuple[float, float, int]]:
        return [(fraction, total, times) for (fraction, total), times in counter.items()]

    return Tallies(list(totals.items()), positions,
                   {key: listed(counter) for key, counter in by_key.items()},
                   {position: listed(counter) for position, counter in by_position.items()}, responses)


#: a report or the trainer's page asked again before another attempt is graded (play finished)
#: costs one query
_cache = LatestCache()


def load_scenario_statistics(activity: Activity, revision: ActivityRevision,
                             all_attempts: bool) -> ScenarioStatistics:
    """The statistics of the finished plays of ``revision``, kept per revision until another play
    of the activity finishes (``lms.memo``; a finished play's choices do not change): asking again
    costs one query."""
    finished = (ScenarioPlay.activity_id == activity.id, ScenarioPlay.finished_at.is_not(None))
    version = tuple(session.execute(select(func.count(), func.max(ScenarioPlay.finished_at),
                                           func.max(ScenarioPlay.id)).where(*finished)).one())
    subject = (revision.id, revision.created_at, all_attempts)
    found = _cache.get(subject, version)
    if found is not None:
        return found
    statistics = counted_scenario_statistics(*load_plays(activity, revision, all_attempts))
    _cache.put(subject, version, statistics)
    return statistics


def load_plays(activity: Activity, revision: ActivityRevision,
               all_attempts: bool) -> tuple[list[tuple[PlayRecord, int]], list[StepInfo], dict[str, str]]:
    """One query, whatever the number of plays: the counted finished plays of ``revision`` (each
    enrolment's first finished play of the activity unless ``all_attempts``), each one's choices
    as one string of (sequence, step, choice, rule, severity) beside its ending, score and outcome;
    the database counts the plays that share them, in the order of the first such play (by
    enrolment and id), and each distinct string is put back in sequence here."""
    finished = (ScenarioPlay.activity_id == activity.id, ScenarioPlay.finished_at.is_not(None))
    counted = select(ScenarioPlay.id).where(*finished, ScenarioPlay.revision_id == revision.id)
    if not all_attempts:
        counted = counted.where(ScenarioPlay.id.in_(
            select(func.min(ScenarioPlay.id)).where(*finished).group_by(ScenarioPlay.enrolment_id)))
    choice = (cast(ScenarioChoice.sequence, Text) + FIELDS_APART + ScenarioChoice.step_id + FIELDS_APART
              + cast(ScenarioChoice.choice_index, Text) + FIELDS_APART
              + func.coalesce(ScenarioChoice.violation_rule, "") + FIELDS_APART
              + func.coalesce(ScenarioChoice.violation_severity, ""))
    chosen = (select(ScenarioChoice.play_id, func.aggregate_strings(choice, ANSWERS_APART).label("choices"))
              .where(ScenarioChoice.play_id.in_(counted.scalar_subquery()))
              .group_by(ScenarioChoice.play_id).subquery())
    ending = (chosen.c.choices, ScenarioPlay.step_id, ScenarioPlay.score, ScenarioPlay.is_passed,
              ScenarioPlay.failed_critically)
    first = func.min(cast(ScenarioPlay.enrolment_id, BigInteger) * literal(2**32, BigInteger)
                     + ScenarioPlay.id)  # the first play by enrolment, then id
    records = []
    for text, end_step, score, passed, critically, times, _first in session.execute(
            select(*ending, func.count(), first).select_from(ScenarioPlay)
            .outerjoin(chosen, chosen.c.play_id == ScenarioPlay.id)
            .where(ScenarioPlay.id.in_(counted.scalar_subquery()))
            .group_by(*ending).order_by(first)):
        parsed = sorted((int(sequence), step_id, int(index), rule or None, severity or None)
                        for sequence, step_id, index, rule, severity
                        in (one.split(FIELDS_APART) for one in (text.split(ANSWERS_APART) if text else ())))
        records.append((PlayRecord(tuple(ChoiceMade(*made) for _, *made in parsed), end_step, score or 0,
                                   bool(passed), critically), times))
    steps = [StepInfo(step_id, data.get("title", ""),
                      tuple(c.get("text", "") for c in data.get("choices", [])))
             for step_id, data in revision.data["steps"].items()]
    return records, steps, dict(revision.data.get("rules", {}))


def statistics_for_course(activities: Sequence[Activity], all_attempts: bool = False) -> list[Report]:
    """Reports for several activities (the cohort PDF): a few queries per activity."""
    return [activity_report(activity, all_attempts=all_attempts) for activity in activities
            if activity.current_revision is not None]


# --- charts (the same SVG on the page and in the cohort PDF) ---------------------------------

def report_charts(report: Report) -> dict[str, str]:
    """SVG charts of a report: the score histogram, facility against discrimination per question,
    and for simulations the most frequent paths."""
    from ..i18n import gettext as _
    from ..reports.charts import bar_chart, horizontal_bar_chart, scatter_chart

    charts: dict[str, str] = {}
    scores: Sequence[float] = ()
    if report.quiz is not None:
        scores = report.quiz.scores
        points = [(item.label if report.quiz.questions else f"Q{number}", item.facility,
                   item.discrimination_index, item.is_flagged)
                  for number, item in enumerate(report.quiz.items, start=1)
                  if item.facility is not None and item.discrimination_index is not None]
        if points:
            charts["items"] = scatter_chart(
                [(label[:12], x, y, flagged) for label, x, y, flagged in points],
                title=_("Facility and discrimination per question"),
                x_label=_("Facility index (%)"), y_label=_("Discrimination index (%)"),
                x_guides=FACILITY_RANGE, y_guides=(LOW_DISCRIMINATION,))
    elif report.scenario is not None:
        scores = report.scenario.scores_list
        top = report.scenario.paths[:8]
        if top:
            charts["paths"] = horizontal_bar_chart([p.label for p in top], [p.count for p in top],
                                                   title=_("Most frequent paths (plays)"))
    if scores:
        labels, counts = histogram(scores)
        charts["scores"] = bar_chart(labels, counts, title=_("Score distribution (attempts)"))
    return charts


# --- plain output (``lms stats``) ------------------------------------------------------------

QUESTION_COLUMNS = ("key", "label", "type", "attempts", "facility", "sd", "random_guess",
                    "intended_weight", "effective_weight", "discrimination_index",
                    "discriminative_efficiency", "low_discrimination", "facility_out_of_range")


def _rounded(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def item_row(item: ItemStatistics) -> dict[str, Any]:
    return {column: _rounded(getattr(item, column)) for column in QUESTION_COLUMNS}


def report_data(report: Report) -> dict[str, Any]:
    """The report as JSON-ready values (percentages rounded to 4 decimals)."""
    data: dict[str, Any] = {
        "course": report.activity.course.slug, "activity": report.activity.slug,
        "kind": report.activity.kind, "title": report.activity.title,
        "revision": report.revision.number if report.revision else None,
        "attempts": "all" if report.all_attempts else "first"}
    if report.quiz is not None:
        q = report.quiz
        data["quiz"] = {name: _rounded(getattr(q, name)) for name in (
            "attempts", "positions", "mean", "median", "sd", "skewness", "kurtosis", "cic",
            "error_ratio", "standard_error")}
        data["questions"] = [{**item_row(item), "options": [
            {"text": o.text, "fraction": o.fraction, "count": o.count, "percent": _rounded(o.percent)}
            for o in item.options]} for item in q.items]
        if q.questions:
            data["positions"] = [item_row(slot) for slot in q.slots]
    if report.scenario is not None:
        sc = report.scenario
        freq = lambda rows: [{"label": f.label, "count": f.count, "percent": _rounded(f.percent),  # noqa: E731
                              **({"severity": f.detail} if f.detail else {})} for f in rows]
        data["scenario"] = {
            "plays": sc.plays, "passed": sc.passed, "mean": _rounded(sc.scores.mean),
            "median": _rounded(sc.scores.median), "sd": _rounded(sc.scores.sd),
            "histogram": dict(zip(*histogram(sc.scores_list), strict=True)),
            "paths": freq(sc.paths), "violations": freq(sc.violations),
            "critical_at": freq(sc.critical_at), "failing_endings": freq(sc.failing_endings),
            "steps": [{"step": row.step.id, "title": row.step.title, "reached": row.reached,
                       "choices": freq(row.choices)} for row in sc.steps]}
    return data
