"""Demo data at scale: ``lms demo --trainees N`` fills the imported courses with trainees at every stage.

Trainee number *i* (employee number ``D00001`` …) is generated from ``(seed, i)`` alone, so a run is
reproducible. Employee numbers that exist already are skipped: running the command again adds
nobody, and a larger N tops up a smaller run. Every block of 40 trainees holds the same mix of
stages (``MIX``), shuffled by the seed.

The rows are what the trainees' own requests would have left behind — module progress, graded
attempts, scenario plays, an approved summary, and for those who finished the certificate with its
audit entry — dated in the past. They are written with bulk INSERTs, a chunk of trainees per
transaction, not through the per-request services. Certificates are rendered by the same function
as when issuing, in worker processes that need nothing but the snapshot.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import random
import secrets
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import insert, select

from .accounts.models import TRAINEE, User, UserRole
from .assessments.grading import QUESTION_TYPES, score_percent
from .assessments.models import (
    APPROVED,
    AWAITING_GRADING,
    DRAFT,
    GRADED,
    SCENARIO,
    SUBMITTED,
    Activity,
    AttemptResponse,
    QuizAttempt,
    ScenarioChoice,
    ScenarioPlay,
    SummaryEvent,
    TrainingSummary,
)
from .assessments.quizzes import Settings, build_layout, questions_of
from .assessments.scenarios import spec_of
from .assessments.summaries import SUMMARY_SLUG, counted_chars, min_chars
from .audit.models import AuditEntry
from .audit.services import GENESIS, entry_hash, record
from .certificates.models import Certificate
from .certificates.services import SERIAL_ALPHABET, add_months, local_date, verify_url, write_template
from .content import scenario as engine
from .content.course import DEFAULT_CERTIFICATE, DEFAULT_COMPLETION
from .content.questions import (
    DESCRIPTION,
    ESSAY,
    MATCHING,
    MULTICHOICE,
    MULTIRESPONSE,
    NUMERICAL,
    ORDERING,
    SHORTANSWER,
    TRUEFALSE,
    Question,
)
from .db import session, utcnow
from .learning.models import Course, Enrolment, ModuleProgress

EMPLOYEE_PREFIX = "D"
CHUNK = 1000  # trainees per transaction (and per progress line)
RENDER_BATCH = 20  # certificates per task sent to a worker process
POOL_FROM = 50  # fewer certificates than this are rendered in this process

NOT_STARTED, IN_PROGRESS, OVERDUE = "not_started", "in_progress", "overdue"
VALID, EXPIRING, EXPIRED, REVOKED = "valid", "expiring", "expired", "revoked"
CERTIFIED = (VALID, EXPIRING, EXPIRED, REVOKED)
#: How many trainees of every block of 40 are in each state.
MIX = ((NOT_STARTED, 6), (IN_PROGRESS, 14), (OVERDUE, 8), (VALID, 6), (EXPIRING, 3), (EXPIRED, 2),
       (REVOKED, 1))

DEPARTMENTS = ("催收一部", "催收二部", "催收三部", "催收四部", "催收五部", "催收六部", "催收七部", "催收八部",
               "客服中心", "风控部")
DEPARTMENT_WEIGHTS = (10, 10, 10, 10, 9, 9, 8, 8, 6, 4)


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """``"王:wang 李:li"`` → ``(("王", "wang"), ("李", "li"))``: characters with their pinyin."""
    return tuple((item.split(":")[0], item.split(":")[1]) for item in text.split())


SURNAMES = _pairs(
    "王:wang 李:li 张:zhang 刘:liu 陈:chen 杨:yang 黄:huang 赵:zhao 吴:wu 周:zhou 徐:xu 孙:sun "
    "马:ma 朱:zhu 胡:hu 郭:guo 何:he 高:gao 林:lin 罗:luo 郑:zheng 梁:liang 谢:xie 宋:song 唐:tang "
    "许:xu 韩:han 冯:feng 邓:deng 曹:cao 彭:peng 曾:zeng 肖:xiao 田:tian 董:dong 袁:yuan 潘:pan "
    "于:yu 蒋:jiang 蔡:cai 余:yu 杜:du 叶:ye 程:cheng 苏:su 魏:wei 吕:lv 丁:ding 任:ren 沈:shen "
    "姚:yao 卢:lu 姜:jiang 崔:cui 钟:zhong 谭:tan 陆:lu 汪:wang 范:fan 金:jin 石:shi 廖:liao")
GIVEN = _pairs(
    "伟:wei 芳:fang 娜:na 敏:min 静:jing 丽:li 强:qiang 磊:lei 军:jun 洋:yang 勇:yong 艳:yan 杰:jie "
    "娟:juan 涛:tao 明:ming 超:chao 秀:xiu 霞:xia 平:ping 刚:gang 英:ying 华:hua 玉:yu 萍:ping 红:hong "
    "文:wen 建:jian 国:guo 志:zhi 海:hai 晓:xiao 子:zi 欣:xin 浩:hao 宇:yu 轩:xuan 梓:zi 涵:han 怡:yi "
    "佳:jia 雨:yu 思:si 嘉:jia 俊:jun 博:bo 婷:ting 雪:xue 琳:lin 慧:hui 鹏:peng 辉:hui 斌:bin 宁:ning "
    "凯:kai 瑞:rui 晨:chen 阳:yang 丹:dan 颖:ying 倩:qian 楠:nan 帆:fan 鑫:xin 莉:li 蕾:lei 璐:lu "
    "晶:jing 冬:dong 春:chun 亮:liang 飞:fei 龙:long 彬:bin 峰:feng 琪:qi 然:ran")

SUMMARY_SENTENCES = (
    "通过本次培训，我系统学习了信用卡催收的完整流程，从了解客户情况到制定还款方案，每一步都有明确的规范。",
    "我深刻认识到合规是催收工作的底线，任何情况下都不得使用暴力、威胁或者侮辱性的语言。",
    "在沟通技巧部分，我学会了先倾听、再共情、后引导的方法，能够更好地安抚情绪激动的客户。",
    "保护客户隐私非常重要，不能向无关第三人透露欠款信息，联系家属和单位时更要格外谨慎。",
    "上门催收前要做好充分准备，两人同行、出示工作证件、全程录音，并且只在规定的时间内进行。",
    "实战模拟让我在接近真实的场景中练习应对拒绝还款和长期失联的客户，也发现了自己表达上的不足。",
    "案例分析帮助我理解了违规催收可能带来的客户投诉、监管处罚和银行声誉风险。",
    "七条工作指引为日常工作提供了清晰的标准，我会把它们放在手边，遇到问题随时对照。",
    "今后我会认真记录每一次通话的要点，按时跟进客户的还款承诺，做到有据可查。",
    "对于确有困难的客户，我会主动介绍分期、延期等合规的还款方案，帮助客户渡过难关。",
    "我也意识到情绪管理的重要性，面对客户的抱怨和指责，要始终保持冷静和专业。",
    "培训中的测验让我及时发现了知识上的薄弱环节，特别是关于催收时间和联系频率的规定。",
    "我将把所学内容运用到实际工作中，坚持依法催收、文明催收、有效催收。",
    "感谢培训中心的精心安排，也感谢培训老师耐心细致的讲解和对每一份作业的点评。",
    "今后我还会继续学习相关的法律法规和监管要求，不断提升自己的业务能力和服务水平。",
    "我体会到，尊重客户并不会降低催收效果，反而更容易赢得客户的信任与配合。",
    "在与客户协商时，要把还款金额、日期和方式说清楚，并请客户确认，避免事后产生争议。",
    "遇到客户提出投诉或者表示要寻求法律帮助时，应当如实记录并按流程及时上报。",
)
ESSAY_ANSWERS = (
    "先保持冷静，耐心倾听客户的诉求，确认对方情绪稳定后再说明还款安排。",
    "不与客户争吵，表示理解对方的处境，再根据实际情况协商可行的还款方案。",
    "控制语速和语气，复述客户的主要意思，让客户感到被尊重，然后引导到解决问题上。",
)
REVIEW_COMMENTS = ("", "", "总结认真，同意通过。", "内容充实，联系实际较好。", "体会深刻，继续保持。")
ESSAY_COMMENTS = ("", "回答要点齐全。", "思路清楚，可再具体一些。")
REVOKE_REASONS = ("复核发现结业考试存在代考行为，撤销证书并安排重新培训。",
                  "持证人因违规催收被客户投诉，经调查属实，撤销证书。",
                  "证书持有人信息登记错误，撤销后待更正重新颁发。")

#: A certificate each worker renders once before real work, so fonts are loaded and cached.
WARM_UP_SNAPSHOT = {
    "serial": "CC-2026-0000-0000", "holder_name": "王小明", "employee_no": "D00000", "department": "催收一部",
    "course_title": "信用卡催收合规培训", "hours": 6, "score": 90.0, "issued_on": "2026-01-01",
    "expires_on": "2028-01-01", "verify_url": "http://127.0.0.1:5000/verify/CC-2026-0000-0000",
    "issuer": "信用卡催收培训中心", "signatory_name": "李培训", "signatory_title": "培训中心主任",
}

MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


class DemoError(Exception):
    pass


def employee_no(number: int) -> str:
    return f"{EMPLOYEE_PREFIX}{number:05d}"


@lru_cache(maxsize=64)
def _block(seed: int, block: int) -> tuple[str, ...]:
    states = [state for state, count in MIX for _ in range(count)]
    random.Random(f"{seed}:block:{block}").shuffle(states)
    return tuple(states)


def state_of(seed: int, number: int) -> str:
    """The state of trainee ``number`` (from 1): every block of trainees holds the whole ``MIX``."""
    size = sum(count for _, count in MIX)
    block, place = divmod(number - 1, size)
    return _block(seed, block)[place]


# --- the courses, as steps to take -----------------------------------------------------------

@dataclass(frozen=True)
class ModuleStep:
    slug: str
    module_id: int
    revision_id: int
    number: int
    sha256: str
    seconds: int  # the module's reading time


@dataclass(frozen=True)
class QuizStep:
    slug: str
    activity_id: int
    revision_id: int
    number: int
    sha256: str
    questions: list[Question]
    settings: Settings


@dataclass(frozen=True)
class ScenarioStep:
    slug: str
    activity_id: int
    revision_id: int
    number: int
    sha256: str
    spec: engine.ScenarioSpec
    passing: list[engine.PlayState]  # finished plays that pass, to pick from
    failing: list[engine.PlayState]


@dataclass(frozen=True)
class SummaryStep:
    min_chars: int


Step = ModuleStep | QuizStep | ScenarioStep | SummaryStep


@dataclass(frozen=True)
class Syllabus:
    """A course as plain values (they outlive the transactions), with its steps in order."""

    course_id: int
    slug: str
    title: str
    hours: float
    due_days: int | None
    enrolment_source: str
    validity_months: int | None
    certificate: dict[str, Any]
    template_dir: str | None
    steps: list[Step]


def syllabus(course: Course, scratch: Path) -> Syllabus:
    activities = {a.slug: a for a in session.scalars(select(Activity).where(
        Activity.course_id == course.id, Activity.is_archived.is_(False)))}
    rules = {**DEFAULT_COMPLETION, **course.settings.get("completion", {})}
    steps: list[Step] = []
    seen: set[str] = set()
    for module in course.active_modules:
        revision = module.current_revision
        if revision is None:
            continue
        steps.append(ModuleStep(module.slug, module.id, revision.id, revision.number, revision.sha256,
                                max(60, 60 * revision.minutes)))
        for slug in revision.activities:
            if slug in seen:
                continue
            seen.add(slug)
            activity = activities.get(slug)
            if slug == SUMMARY_SLUG:
                steps.append(SummaryStep(min_chars(course)))
            elif activity is None or activity.current_revision is None:
                continue
            elif activity.kind == SCENARIO:
                steps.append(_scenario_step(activity, rules.get("scenario_min_score") or 0))
            else:
                current = activity.current_revision
                steps.append(QuizStep(slug, activity.id, current.id, current.number, current.sha256,
                                      questions_of(current), Settings.of(current)))
    settings = {**DEFAULT_CERTIFICATE, **course.settings.get("certificate", {})}
    return Syllabus(course.id, course.slug, course.title, course.hours, course.due_days,
                    "default" if course.enrol_all_trainees else "assigned", settings.get("validity_months"),
                    settings, _template_dir(course, scratch), steps)


def _template_dir(course: Course, scratch: Path) -> str | None:
    """A course's own certificate template, written out of the database for the workers to read."""
    root = write_template(course, scratch)
    return str(root) if root is not None else None


def _scenario_step(activity: Activity, minimum: int) -> ScenarioStep:
    revision = activity.current_revision
    spec = spec_of(revision)
    passing, failing = _finished_plays(spec, minimum)
    if not passing:
        raise DemoError(f"no play of the scenario {activity.slug} passes: cannot complete its course")
    return ScenarioStep(activity.slug, activity.id, revision.id, revision.number, revision.sha256, spec,
                        passing, failing)


def _finished_plays(spec: engine.ScenarioSpec, minimum: int, limit: int = 64,
                    budget: int = 5000) -> tuple[list[engine.PlayState], list[engine.PlayState]]:
    """Plays through the scenario (no step visited twice), split into passing and failing ones."""
    passing: list[engine.PlayState] = []
    failing: list[engine.PlayState] = []

    def settle(state: engine.PlayState) -> None:
        result = engine.outcome(spec, state)
        found = passing if result.passed and result.percent >= minimum else failing
        if len(found) < limit:
            found.append(state)

    def walk(state: engine.PlayState, seen: frozenset[str]) -> None:
        nonlocal budget
        budget -= 1
        for index in range(len(spec.step(state.step_id).choices)):
            if budget <= 0:
                return
            after = engine.choose(spec, state, index)
            if after.finished:
                settle(after)
            elif after.step_id not in seen:
                walk(after, seen | {after.step_id})

    start = engine.start(spec)
    if start.finished:
        settle(start)
    else:
        walk(start, frozenset({start.step_id}))
    return passing, failing


# --- planning: the rows of a chunk of trainees -------------------------------------------------

@dataclass
class Batch:
    """Rows to insert; ``_user``, ``_enrolment`` … are indexes into the parent lists, replaced by
    ids once the parents are stored."""

    users: list[dict[str, Any]] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)
    enrolments: list[dict[str, Any]] = field(default_factory=list)
    progress: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    plays: list[dict[str, Any]] = field(default_factory=list)
    choices: list[dict[str, Any]] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    certificates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def jobs(self) -> list[tuple[dict[str, Any], str | None]]:
        return [(row["snapshot"], row["_template"]) for row in self.certificates]


@dataclass(frozen=True)
class Actor:
    id: int
    name: str


@dataclass
class Context:
    seed: int
    now: datetime
    zone: ZoneInfo
    trainer: Actor
    hr: Actor
    serial_prefix: str
    issuer: str
    serials: set[str]


def feasible(state: str, course: Syllabus) -> str:
    """The state, or the nearest one the course allows (no due date: nobody is overdue …)."""
    if not course.steps:
        return NOT_STARTED
    if state in (EXPIRING, EXPIRED) and not course.validity_months:
        return VALID
    if state == OVERDUE and not course.due_days:
        return IN_PROGRESS
    return state


def course_state(seed: int, number: int, course_index: int, course: Syllabus) -> str:
    return feasible(state_of(seed, number + 13 * course_index), course)


def plan(numbers: list[int], courses: list[Syllabus], context: Context) -> Batch:
    batch = Batch()
    for number in numbers:
        Trainee(batch, context, number).plan(courses)
    return batch


class Trainee:
    """One demo trainee: who they are, then their enrolments, each with what they have done."""

    def __init__(self, batch: Batch, context: Context, number: int):
        self.batch, self.context, self.number = batch, context, number
        self.rng = random.Random(f"{context.seed}:{number}")
        self.ability = self.rng.uniform(0.7, 0.97)  # the share of questions answered right

    def plan(self, courses: list[Syllabus]) -> None:
        rng, context = self.rng, self.context
        surname, surname_py = rng.choice(SURNAMES)
        given = rng.sample(GIVEN, rng.choice((1, 2, 2)))  # mostly two characters
        self.user = len(self.batch.users)
        row = {"username": employee_no(self.number).lower(),
               "display_name": surname + "".join(char for char, _ in given),
               "employee_no": employee_no(self.number),
               "department": rng.choices(DEPARTMENTS, DEPARTMENT_WEIGHTS)[0],
               "email": f"{surname_py}.{''.join(py for _, py in given)}.{self.number}@example.com",
               "cohort": None, "hire_date": None, "created_at": context.now}
        self.batch.users.append(row)
        self.batch.roles.append({"_user": self.user, "role": TRAINEE})
        for index, course in enumerate(courses):
            enrolled_at = self.enrol(course, course_state(context.seed, self.number, index, course))
            if index == 0:
                local = enrolled_at.astimezone(context.zone)
                row["cohort"] = f"{local:%Y-%m} 期"
                row["hire_date"] = self.hire_date(local.date())

    def hire_date(self, enrolled: date) -> date:
        if self.rng.random() < 0.75:  # most are new hires, trained in their first weeks
            return enrolled - timedelta(days=self.rng.randint(3, 60))
        return enrolled - timedelta(days=self.rng.randint(365, 10 * 365))

    # --- an enrolment's timeline

    def enrol(self, course: Syllabus, state: str) -> datetime:
        rng, now = self.rng, self.context.now
        due_days = course.due_days or 30
        steps = len(course.steps)
        issued_at = expires_at = None
        if state in CERTIFIED:
            issued_at, expires_at = self.issue_dates(course, state)
            enrolled_at = issued_at - DAY * rng.uniform(2, max(3, due_days - 1))
            end, done, partial = issued_at, steps, False
        elif state == OVERDUE:
            enrolled_at = now - DAY * (due_days + rng.uniform(1, 60))
            done, partial = rng.randrange(steps), rng.random() < 0.6
            end = enrolled_at + (now - enrolled_at) * rng.uniform(0.3, 0.95)
        else:
            earliest = 0.2 if state == NOT_STARTED else 1.0
            enrolled_at = now - DAY * rng.uniform(earliest, max(earliest + 0.5, due_days - 1))
            done = rng.randrange(steps) if state == IN_PROGRESS and steps else 0
            partial = state == IN_PROGRESS and (done == 0 or rng.random() < 0.6)
            end = enrolled_at + (now - enrolled_at) * rng.uniform(0.5, 0.98)
        self.enrolment = len(self.batch.enrolments)
        due_at = enrolled_at + DAY * course.due_days if course.due_days else None
        self.batch.enrolments.append({
            "_user": self.user, "course_id": course.course_id, "cycle": 1, "source": course.enrolment_source,
            "enrolled_at": enrolled_at, "due_at": due_at, "completed_at": issued_at, "is_archived": False})
        start = enrolled_at + rng.uniform(5, 120) * MINUTE
        times = sorted(start + (end - start) * rng.random() for _ in range(done + partial))
        if issued_at is not None:
            times[-1] = issued_at
        self.best: dict[int, float] = {}  # best graded score per quiz
        self.versions: dict[str, dict[str, Any]] = {"modules": {}, "activities": {}}
        before = start
        for index, moment in enumerate(times):
            self.step(course.steps[index], before, moment, finished=index < done)
            before = moment
        if issued_at is not None:
            self.certify(course, state, issued_at, expires_at)
        return enrolled_at

    def issue_dates(self, course: Syllabus, state: str) -> tuple[datetime, datetime | None]:
        rng, now, months = self.rng, self.context.now, course.validity_months
        if state in (VALID, REVOKED) or not months:
            valid_days = (add_months(now, months) - now).days if months else 730
            issued_at = now - DAY * rng.uniform(1, max(2, min(600, valid_days - 100)))
        elif state == EXPIRING:  # spread over the 30-, 60- and 90-day windows HR filters by
            issued_at = add_months(now + DAY * rng.uniform(3, 88), -months)
        else:
            issued_at = add_months(now - DAY * rng.uniform(2, 150), -months)
        return issued_at, add_months(issued_at, months) if months else None

    def step(self, step: Step, before: datetime, at: datetime, finished: bool) -> None:
        if isinstance(step, ModuleStep):
            self.read(step, before, at, finished)
        elif isinstance(step, QuizStep):
            self.take_quiz(step, before, at, finished)
        elif isinstance(step, ScenarioStep):
            self.play_scenario(step, before, at, finished)
        else:
            self.write_summary(step, before, at, finished)

    # --- the kinds of step

    def read(self, step: ModuleStep, before: datetime, at: datetime, finished: bool) -> None:
        share = self.rng.uniform(0.6, 1.6) if finished else self.rng.uniform(0.1, 0.6)
        seconds = int(step.seconds * share)
        opened = max(before, at - timedelta(seconds=seconds * self.rng.uniform(1.0, 1.4)))
        self.batch.progress.append({
            "_enrolment": self.enrolment, "module_id": step.module_id, "revision_id": step.revision_id,
            "first_opened_at": opened, "last_seen_at": at, "completed_at": at if finished else None,
            "seconds_spent": seconds})
        if finished:
            self.versions["modules"][step.slug] = {"revision": step.number, "sha256": step.sha256}

    def take_quiz(self, step: QuizStep, before: datetime, at: datetime, finished: bool) -> None:
        rng, settings = self.rng, step.settings
        has_essay = any(q.type == ESSAY for q in step.questions)
        number = 1
        wait = settings.wait or timedelta(0)
        retry_by = at - wait - HOUR
        if finished and settings.attempts != 1 and retry_by > before + HOUR and rng.random() < 0.25:
            first = before + (retry_by - before) * rng.uniform(0.2, 0.9)
            self.attempt(step, number, "fail", before, first)
            before = first
            number += 1
        outcome = "pass" if finished else "waiting" if has_essay and rng.random() < 0.5 else "fail"
        self.attempt(step, number, outcome, before, at)

    def attempt(self, step: QuizStep, number: int, outcome: str, before: datetime, at: datetime) -> None:
        """An attempt submitted after ``before`` and graded at ``at`` (or waiting for a trainer since)."""
        rng, settings = self.rng, step.settings
        layout = build_layout(step.questions, settings, rng)
        items = []  # [key, question, response, fraction], descriptions left out as grading does
        for entry in layout:
            question = step.questions[int(entry["key"][1:])]
            if question.type != DESCRIPTION:
                items.append([entry["key"], question, *answer(question, rng.random() < self.ability, rng)])
        self.adjust(items, settings.pass_mark, outcome)
        graded = outcome != "waiting"
        submitted = at
        if graded and any(question.type == ESSAY for _, question, _, _ in items):  # a trainer graded later
            submitted = max(before + (at - before) / 2, at - rng.uniform(2, 20) * HOUR)
        limit = settings.time_limit
        took = rng.uniform(3, 25) * MINUTE
        if limit:
            took = min(took, limit * 0.9)
        started = submitted - took
        score = score_percent([fraction or 0.0 for *_, fraction in items]) if graded else None
        passed = score >= settings.pass_mark if score is not None else None
        attempt = len(self.batch.attempts)
        self.batch.attempts.append({
            "_enrolment": self.enrolment, "activity_id": step.activity_id, "revision_id": step.revision_id,
            "number": number, "open_key": None, "state": GRADED if graded else AWAITING_GRADING,
            "layout": layout, "started_at": started,
            "deadline_at": started + limit if limit else None, "submitted_at": submitted,
            "graded_at": at if graded else None, "score": score, "is_passed": passed})
        for position, (key, question, value, fraction) in enumerate(items):
            essay = question.type == ESSAY
            self.batch.responses.append({
                "_attempt": attempt, "question_key": key, "response": {"value": value},
                "saved_at": started + took * (position + 1) / (len(items) + 1),
                "fraction": None if essay and not graded else fraction,
                "grader_id": self.context.trainer.id if essay and graded else None,
                "grader_comment": rng.choice(ESSAY_COMMENTS) if essay and graded else None,
                "graded_at": None if essay and not graded else at if essay else submitted})
        if score is not None:
            self.best[step.activity_id] = max(self.best.get(step.activity_id, 0.0), score)
        if passed:
            self.versions["activities"][step.slug] = {"revision": step.number, "sha256": step.sha256}

    def adjust(self, items: list[list[Any]], pass_mark: int, outcome: str) -> None:
        """Change answers until the attempt passes or fails as planned."""
        def score() -> float:
            return score_percent([fraction or 0.0 for *_, fraction in items])

        order = list(range(len(items)))
        self.rng.shuffle(order)
        for index in order:
            if outcome == "pass" and score() < pass_mark and items[index][3] < 1:
                items[index][2:] = answer(items[index][1], True, self.rng)
            elif outcome == "fail" and score() >= pass_mark and items[index][3] > 0:
                items[index][2:] = answer(items[index][1], False, self.rng)
                if items[index][3] > 0:
                    items[index][2:] = [None, 0.0]

    def play_scenario(self, step: ScenarioStep, before: datetime, at: datetime, finished: bool) -> None:
        rng = self.rng
        if finished and step.failing and rng.random() < 0.3:
            self.play(step, rng.choice(step.failing), before + (at - before) * rng.uniform(0.2, 0.8))
        if finished:
            self.play(step, rng.choice(step.passing), at)
        elif step.failing and rng.random() < 0.6:
            self.play(step, rng.choice(step.failing), at)
        else:  # left half-way through
            path = rng.choice(step.passing).path
            state = engine.start(step.spec)
            for _, index in path[:rng.randrange(max(1, len(path)))]:
                state = engine.choose(step.spec, state, index)
            self.play(step, state, at)

    def play(self, step: ScenarioStep, state: engine.PlayState, at: datetime) -> None:
        rng = self.rng
        gaps = [rng.uniform(0.3, 1.5) * MINUTE for _ in state.path]
        started = at - sum(gaps, timedelta(0)) - rng.uniform(0.2, 1) * MINUTE
        play = len(self.batch.plays)
        result = engine.outcome(step.spec, state) if state.finished else None
        self.batch.plays.append({
            "_enrolment": self.enrolment, "activity_id": step.activity_id, "revision_id": step.revision_id,
            "step_id": state.step_id, "points": state.score, "started_at": started,
            "finished_at": at if state.finished else None, "score": result.percent if result else None,
            "is_passed": result.passed if result else None, "failed_critically": state.failed_critically})
        moment = started
        for sequence, ((step_id, index), gap) in enumerate(zip(state.path, gaps, strict=True), start=1):
            moment += gap
            choice = step.spec.step(step_id).choices[index]
            self.batch.choices.append({
                "_play": play, "sequence": sequence, "step_id": step_id, "choice_index": index,
                "choice_text": choice.text, "points": choice.points,
                "violation_rule": choice.violation.rule if choice.violation else None,
                "violation_severity": choice.violation.severity if choice.violation else None,
                "chosen_at": moment})
        if result is not None and result.passed:
            self.versions["activities"][step.spec.slug] = {"revision": step.number, "sha256": step.sha256}

    def write_summary(self, step: SummaryStep, before: datetime, at: datetime, finished: bool) -> None:
        rng = self.rng
        body = summary_text(rng, step.min_chars)
        if finished:
            submitted = max(before, at - rng.uniform(1, 48) * HOUR)
            status, reviewed = APPROVED, at
        elif rng.random() < 0.5:
            submitted, status, reviewed = at, SUBMITTED, None
        else:
            body = body[:len(body) // 2]
            submitted, status, reviewed = None, DRAFT, None
        summary = len(self.batch.summaries)
        self.batch.summaries.append({
            "_enrolment": self.enrolment, "body": body, "status": status, "updated_at": submitted or at,
            "submitted_at": submitted, "reviewed_at": reviewed})
        # actor_id None: the trainee, whose id is known once the users are stored
        if submitted is not None:
            self.batch.events.append({"_summary": summary, "_user": self.user, "actor_id": None,
                                      "action": SUBMITTED, "body": body, "comment": "",
                                      "created_at": submitted})
        if reviewed is not None:
            self.batch.events.append({"_summary": summary, "_user": self.user,
                                      "actor_id": self.context.trainer.id, "action": APPROVED, "body": body,
                                      "comment": rng.choice(REVIEW_COMMENTS), "created_at": reviewed})

    # --- the certificate, as ``certificates.services._issue`` makes it

    def certify(self, course: Syllabus, state: str, issued_at: datetime, expires_at: datetime | None) -> None:
        context, user = self.context, self.batch.users[self.user]
        serial = new_serial(issued_at, context)
        score = round(sum(self.best.values()) / len(self.best), 1) if self.best else None
        settings = course.certificate
        snapshot = {
            "serial": serial, "holder_name": user["display_name"], "employee_no": user["employee_no"],
            "department": user["department"], "course_title": course.title, "hours": course.hours,
            "score": score, "issued_on": local_date(issued_at).isoformat(),
            "expires_on": local_date(expires_at).isoformat() if expires_at else None,
            "verify_url": verify_url(serial), "issuer": settings["issuer"] or context.issuer,
            "signatory_name": settings["signatory"], "signatory_title": settings["signatory_title"],
        }
        revoked_at = None
        if state == REVOKED:
            revoked_at = min(context.now - HOUR, issued_at + DAY * self.rng.uniform(5, 90))
        self.batch.certificates.append({
            "_enrolment": self.enrolment, "_user": self.user, "_template": course.template_dir,
            "_course": course.slug, "serial": serial, "course_id": course.course_id, "snapshot": snapshot,
            "course_versions": self.versions, "score": score, "issued_at": issued_at,
            "expires_at": expires_at, "revoked_at": revoked_at,
            "revoked_reason": self.rng.choice(REVOKE_REASONS) if revoked_at else None,
            "revoked_by_id": context.hr.id if revoked_at else None})


def answer(question: Question, right: bool, rng: random.Random) -> list[Any]:
    """[response, fraction]: an essay's fraction is the grade a trainer gives it."""
    if question.type == ESSAY:
        return [rng.choice(ESSAY_ANSWERS), rng.choice((0.8, 0.9, 1.0) if right else (0.2, 0.3, 0.4))]
    kind = QUESTION_TYPES[question.type]
    value = kind.correct_response(question) if right else wrong_response(question, rng)
    fraction = kind.grade(question, value).fraction
    if not right and fraction >= 0.999:  # the "wrong" answer happens to be right: leave it blank
        return [None, 0.0]
    return [value, fraction]


def wrong_response(question: Question, rng: random.Random) -> Any:
    answers = question.answers
    if question.type in (MULTICHOICE, TRUEFALSE):
        wrong = [i for i, a in enumerate(answers) if a.fraction < 1]
        return rng.choice(wrong) if wrong else None
    if question.type == MULTIRESPONSE:
        right = [i for i, a in enumerate(answers) if a.fraction > 0]
        wrong = [i for i, a in enumerate(answers) if a.fraction <= 0]
        return sorted(right[:-1] + ([rng.choice(wrong)] if wrong else [])) or None
    if question.type == MATCHING:
        matched = [pair.answer for pair in question.pairs]
        return {str(i): text for i, text in enumerate(matched[1:] + matched[:1])}
    if question.type == ORDERING:
        return list(reversed(range(len(answers))))
    if question.type == NUMERICAL:
        return "0"
    if question.type == SHORTANSWER:
        return "不清楚"
    return None


def summary_text(rng: random.Random, minimum: int) -> str:
    """Sentences in a random order, three to a paragraph, until the course's minimum is reached."""
    pool = list(SUMMARY_SENTENCES)
    rng.shuffle(pool)
    chosen: list[str] = []
    while counted_chars("".join(chosen)) < max(minimum, 120):
        chosen.append(pool[len(chosen) % len(pool)])
    return "\n\n".join("".join(chosen[i:i + 3]) for i in range(0, len(chosen), 3))


def new_serial(moment: datetime, context: Context) -> str:
    """As ``certificates.services.new_serial``, checked against the serials known in memory."""
    while True:
        code = "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(8))
        serial = f"{context.serial_prefix}-{moment.year}-{code[:4]}-{code[4:]}"
        if serial not in context.serials:
            context.serials.add(serial)
            return serial


# --- rendering ---------------------------------------------------------------------------------

def render_batch(snapshots: list[dict[str, Any]], template_dir: str | None = None) -> list[bytes]:
    """The PDFs of these snapshots: runs in a worker process, with no app."""
    from .certificates.render import render_certificate
    from .certificates.snapshot import CertificateSnapshot

    folder = Path(template_dir) if template_dir else None
    return [render_certificate(CertificateSnapshot.from_json(snapshot), folder) for snapshot in snapshots]


def _prepare_worker() -> None:
    """Load the fonts with one render, then freeze the heap: every render ends in a full
    ``gc.collect()``, which then need not walk WeasyPrint's caches each time (about a third faster)."""
    render_batch([WARM_UP_SNAPSHOT])
    gc.freeze()


class Renderer:
    """Turns certificate jobs into PDFs: in worker processes, or here when there are only a few."""

    def __init__(self, pool: ProcessPoolExecutor | None):
        self.pool = pool

    def submit(self, jobs: list[tuple[dict[str, Any], str | None]]) -> Callable[[], list[bytes]]:
        """Start rendering; the returned function waits for the PDFs, in the order of ``jobs``."""
        groups: list[tuple[list[dict[str, Any]], str | None]] = []
        for snapshot, template in jobs:  # runs of one template, at most RENDER_BATCH long
            if not groups or groups[-1][1] != template or len(groups[-1][0]) >= RENDER_BATCH:
                groups.append(([], template))
            groups[-1][0].append(snapshot)
        if self.pool is None:
            return lambda: [pdf for group in groups for pdf in render_batch(*group)]
        futures = [self.pool.submit(render_batch, snapshots, template) for snapshots, template in groups]
        return lambda: [pdf for future in futures for pdf in future.result()]


@contextmanager
def certificate_renderer(certificates: int) -> Iterator[Renderer]:
    """Worker processes (started with ``spawn``, so nothing of this process is inherited) for many
    certificates, shut down on the way out; this process alone for a few."""
    if certificates < POOL_FROM:
        yield Renderer(None)
        return
    pool = ProcessPoolExecutor(max_workers=os.cpu_count() or 1, initializer=_prepare_worker,
                               mp_context=multiprocessing.get_context("spawn"))
    try:
        yield Renderer(pool)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# --- writing -----------------------------------------------------------------------------------

def _insert(model: type, rows: list[dict[str, Any]], ids: bool = False) -> list[int]:
    """Bulk INSERT of every row as given (a Core insert: an explicit None stays NULL rather than
    becoming the column's default); with ``ids``, the new ids in the order of ``rows``."""
    if not rows:
        return []
    table = model.__table__
    if ids:
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(session.scalars(statement, rows))
    session.execute(insert(table), rows)
    return []


def _link(rows: list[dict[str, Any]], key: str, column: str, ids: list[int]) -> None:
    for row in rows:
        row[column] = ids[row.pop(key)]


def write_learning(batch: Batch) -> None:
    """Everything but the certificates, parents first."""
    users = _insert(User, batch.users, ids=True)
    _link(batch.roles, "_user", "user_id", users)
    _insert(UserRole, batch.roles)
    _link(batch.enrolments, "_user", "user_id", users)
    enrolments = _insert(Enrolment, batch.enrolments, ids=True)
    for rows in (batch.progress, batch.attempts, batch.plays, batch.summaries, batch.certificates):
        _link(rows, "_enrolment", "enrolment_id", enrolments)
    _insert(ModuleProgress, batch.progress)
    _link(batch.responses, "_attempt", "attempt_id", _insert(QuizAttempt, batch.attempts, ids=True))
    _insert(AttemptResponse, batch.responses)
    _link(batch.choices, "_play", "play_id", _insert(ScenarioPlay, batch.plays, ids=True))
    _insert(ScenarioChoice, batch.choices)
    _link(batch.events, "_summary", "summary_id", _insert(TrainingSummary, batch.summaries, ids=True))
    for event in batch.events:
        trainee = users[event.pop("_user")]
        event["actor_id"] = event["actor_id"] or trainee
    _insert(SummaryEvent, batch.events)
    _link(batch.certificates, "_user", "user_id", users)


def write_certificates(batch: Batch, pdfs: list[bytes], context: Context) -> None:
    """The certificates with their PDFs, and their audit entries continuing the hash chain."""
    entries = []
    for row, pdf in zip(batch.certificates, pdfs, strict=True):
        row.pop("_template")
        course = row.pop("_course")
        row["pdf"], row["sha256"] = pdf, hashlib.sha256(pdf).hexdigest()
        snapshot = row["snapshot"]
        entries.append((row["issued_at"], None, "certificate.issued", row["serial"],
                        {"holder": snapshot["holder_name"], "employee_no": snapshot["employee_no"],
                         "course": course, "sha256": row["sha256"]}))
        if row["revoked_at"] is not None:
            entries.append((row["revoked_at"], context.hr, "certificate.revoked", row["serial"],
                            {"reason": row["revoked_reason"]}))
    _insert(Certificate, batch.certificates)
    append_audit(sorted(entries, key=lambda entry: entry[0]))


def append_audit(entries: list[tuple[datetime, Actor | None, str, str, dict[str, Any]]]) -> None:
    """Audit entries in this order, each hashed on the one before, as ``audit.services.record`` does."""
    if not entries:
        return
    last = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1).with_for_update())
    previous = last or GENESIS
    rows = []
    for created_at, actor, action, subject, details in entries:
        actor_id, actor_name = (actor.id, actor.name) if actor else (None, "system")
        digest = entry_hash(previous, created_at, actor_id, actor_name, action, subject, details)
        rows.append({"created_at": created_at, "actor_id": actor_id, "actor_name": actor_name,
                     "action": action, "subject": subject, "details": details,
                     "prev_hash": previous, "hash": digest})
        previous = digest
    ids = _insert(AuditEntry, rows, ids=True)
    if ids != sorted(ids):
        raise DemoError("the database numbered the audit entries out of order")


# --- the whole run -------------------------------------------------------------------------------

@dataclass
class Result:
    created: int = 0
    skipped: int = 0
    certificates: int = 0
    seconds: float = 0.0


def _actor(username: str) -> Actor:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise DemoError(f"the demo account {username} is missing: run `lms demo` first")
    return Actor(user.id, user.display_name)


def has_courses() -> bool:
    return session.scalar(select(Course.id).where(Course.is_archived.is_(False)).limit(1)) is not None


def generate(count: int, seed: int = 1, echo: Callable[[str], Any] = print) -> Result:
    """Create trainees ``D00001`` … up to ``count`` (skipping those that exist), committing per chunk."""
    started = time.perf_counter()
    courses = list(session.scalars(select(Course).where(Course.is_archived.is_(False)).order_by(Course.id)))
    if not courses:
        raise DemoError("there is no course to enrol demo trainees in: run `lms import` first")
    taken = set(session.scalars(select(User.employee_no).where(User.employee_no.is_not(None))))
    taken |= {username.upper() for username in session.scalars(select(User.username))}
    numbers = [n for n in range(1, count + 1) if employee_no(n) not in taken]
    result = Result(skipped=count - len(numbers))
    if result.skipped:
        echo(f"{result.skipped} of {employee_no(1)}–{employee_no(count)} exist already and are skipped")
    if numbers:
        context = Context(seed=seed, now=utcnow(), zone=ZoneInfo(current_app.config["LMS_TIMEZONE"]),
                          trainer=_actor("trainer"), hr=_actor("hr"),
                          serial_prefix=current_app.config["LMS_CERTIFICATE_PREFIX"],
                          issuer=current_app.config["LMS_ISSUER"],
                          serials=set(session.scalars(select(Certificate.serial))))
        _generate(numbers, courses, context, result, echo, started)
    result.seconds = time.perf_counter() - started
    return result


def _generate(numbers: list[int], courses: list[Course], context: Context, result: Result,
              echo: Callable[[str], Any], started: float) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        plans = [syllabus(course, Path(scratch)) for course in courses]
        expected = sum(course_state(context.seed, n, i, c) in CERTIFIED
                       for n in numbers for i, c in enumerate(plans))
        echo(f"creating {len(numbers)} trainees in {len(plans)} course(s), {expected} with certificates")
        chunks = [numbers[i:i + CHUNK] for i in range(0, len(numbers), CHUNK)]

        def store(batch: Batch, pdfs: Callable[[], list[bytes]]) -> None:
            write_learning(batch)
            write_certificates(batch, pdfs(), context)
            session.commit()
            result.created += len(batch.users)
            result.certificates += len(batch.certificates)
            echo(f"{result.created:>7}/{len(numbers)} trainees, {result.certificates} certificates, "
                 f"{time.perf_counter() - started:.0f} s")

        queued: deque[tuple[Batch, Callable[[], list[bytes]]]] = deque()
        with certificate_renderer(expected) as renderer:
            for chunk in chunks:
                batch = plan(chunk, plans, context)
                queued.append((batch, renderer.submit(batch.jobs)))
                if len(queued) == 2:  # the next chunk is rendering before we wait for this one
                    store(*queued.popleft())
            while queued:
                store(*queued.popleft())
    record("demo.trainees_created", f"{result.created} demo trainees",
           details={"seed": context.seed, "first": employee_no(numbers[0]), "last": employee_no(numbers[-1]),
                    "created": result.created, "certificates": result.certificates})
    session.commit()
