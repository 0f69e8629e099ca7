"""Call simulations (实战模拟): ``<slug>.scenario.md`` parsed into steps, and played as pure functions.

A play is an immutable :class:`PlayState`; :func:`start` and :func:`choose` return new states, so a
view can keep the state in the database between requests.

Scoring: a play's score is the sum of the points of the choices made. The best score is the most
points of any path from the start to an ending that makes no critical choice and visits no step
twice; for it, every branch target counts as reachable whatever its condition. The percent is the
score (below 0 counted as 0) out of the best score, at most 100; a play passes when it is finished,
reaches ``pass_score``, made no critical choice and did not end on a ``fail`` ending.

An ending declares its outcome in its heading, ``[end pass]`` or ``[end fail]``; a plain ``[end]``
(outcome not declared) is still accepted. Paths to a ``fail`` ending do not count for the best score.
"""

from __future__ import annotations

import hashlib
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from .errors import ContentError, ContentErrors
from .frontmatter import YamlDocument, split_front_matter
from .validation import SLUG, Collector, read_text, text_field, unknown_keys

SUFFIX = ".scenario.md"
SCENARIO_KEYS = {"title", "pass_score", "rules", "shuffle"}
SEVERITIES = ("minor", "major", "critical")
CRITICAL = "critical"
END_MARK = "[end]"
PASS, FAIL = "pass", "fail"
END_MARKS = (f"[end {PASS}]", f"[end {FAIL}]", END_MARK)
END_HEADING = re.compile(r"\[end(?:\s+(?P<outcome>[^\]]*))?\]$")
OTHERWISE = "otherwise"
OPERATORS: dict[str, Callable[[int, int], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq,
}

HEADING = re.compile(r"^##(?:\s+(?P<rest>.*))?$")  # '##' alone or '## …'; '###' is text
STEP_HEADING = re.compile(r"^(?P<id>[^:：]*)[:：]\s*(?P<title>.*)$")
CHOICE = re.compile(r"^[-*+]\s+(?P<text>.*?)\s*->\s*(?P<rest>[^>]*)$")
CHOICE_END = re.compile(r"^(?P<target>[^\s(（!]+)\s*(?:[(（](?P<points>[^)）]*)[)）])?\s*"
                        r"(?:!(?P<rule>\S+)(?:\s+(?P<severity>\S+))?)?$")
POINTS = re.compile(r"^[+-]?\d{1,6}$")
FEEDBACK = re.compile(r"^\s+>\s?(?P<text>.*)$")
BRANCH = re.compile(r"^\?\s*(?P<condition>.*?)\s*->\s*(?P<target>\S+)\s*$")
CONDITION = re.compile(r"^score\s*(?P<op>>=|<=|==|>|<)\s*(?P<value>[+-]?\d{1,6})$")

Section = tuple[int, str, list[tuple[int, str]]]  # heading line, heading text, numbered lines


@dataclass(frozen=True)
class Violation:
    rule: str
    rule_text: str
    severity: str  # minor, major or critical


@dataclass(frozen=True)
class Choice:
    index: int  # 0-based position among the step's choices
    text: str
    target: str
    points: int
    feedback: str
    violation: Violation | None
    line: int

    @property
    def is_critical(self) -> bool:
        return self.violation is not None and self.violation.severity == CRITICAL


@dataclass(frozen=True)
class Branch:
    op: str  # one of OPERATORS, or OTHERWISE
    value: int | None
    target: str
    line: int

    def matches(self, score: int) -> bool:
        return self.op == OTHERWISE or (self.value is not None and OPERATORS[self.op](score, self.value))


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    text: str  # the situation, Markdown source
    choices: tuple[Choice, ...]
    branches: tuple[Branch, ...]
    is_end: bool
    line: int
    outcome: str | None = None  # of an ending: PASS, FAIL, or None when not declared

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(item.target for item in (*self.choices, *self.branches))


@dataclass(frozen=True)
class ScenarioSpec:
    slug: str
    path: str
    source: str
    title: str
    pass_score: int
    rules: dict[str, str]
    steps: tuple[Step, ...]
    shuffle: bool = True  # each play shows each step's choices in its own order

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    @property
    def start(self) -> Step:
        return self.steps[0]

    @cached_property
    def _by_id(self) -> dict[str, Step]:
        return {step.id: step for step in self.steps}

    def step(self, step_id: str) -> Step:
        """The step with ``step_id``; raises ``KeyError`` when there is none."""
        return self._by_id[step_id]

    @cached_property
    def best_score(self) -> int:
        """The most points of a path from the start to an ending other than a ``fail`` ending, with
        no critical choice and no step visited twice, taking every branch; 0 when there is none."""

        def best_from(step: Step, seen: frozenset[str]) -> int | None:
            if step.is_end:
                return None if step.outcome == FAIL else 0
            seen = seen | {step.id}
            moves = [(c.points, c.target) for c in step.choices if not c.is_critical]
            moves += [(0, branch.target) for branch in step.branches]
            totals = [points + rest for points, target in moves
                      if target not in seen and (rest := best_from(self.step(target), seen)) is not None]
            return max(totals, default=None)

        moves_of = {step.id: [c.target for c in step.choices if not c.is_critical]
                    + [b.target for b in step.branches] for step in self.steps}
        if _closure_has_cycle(self.start.id, moves_of):
            best = best_from(self.start, frozenset())
        else:  # no step can come twice: the best from a step does not depend on the way there
            memo: dict[str, int | None] = {}
            for step_id in reversed(_topological(self.start.id, moves_of)):
                step = self.step(step_id)
                if step.is_end:
                    memo[step.id] = None if step.outcome == FAIL else 0
                    continue
                moves = [(c.points, c.target) for c in step.choices if not c.is_critical]
                moves += [(0, branch.target) for branch in step.branches]
                totals = [points + memo[target] for points, target in moves if memo[target] is not None]
                memo[step.id] = max(totals, default=None)
            best = memo[self.start.id]
        return 0 if best is None else best

    def percent(self, score: int) -> int:
        """``score`` as a percent of the best score, from 0 to 100."""
        best = self.best_score
        if best <= 0:  # nothing to earn: any score as good as the best is full marks
            return 100 if score >= best else 0
        return min(100, round(100 * max(score, 0) / best))


def load_scenario(path: Path) -> ScenarioSpec:
    """Read and parse ``<slug>.scenario.md``; raises :class:`ContentErrors` listing every problem."""
    errors = Collector()
    text = read_text(path, errors)
    if text is None:
        raise ContentErrors(errors.errors)
    return parse_scenario(text, str(path), path.name.removesuffix(SUFFIX))


def parse_scenario(text: str, path: str, slug: str) -> ScenarioSpec:
    """Parse a call simulation; raises :class:`ContentErrors` listing every problem."""
    spec, problems = read_scenario(text, path, slug)
    if problems:
        raise ContentErrors(problems)
    return spec


def read_scenario(text: str, path: str, slug: str) -> tuple[ScenarioSpec, list[ContentError]]:
    """A call simulation as far as it can be read, and every problem :func:`parse_scenario` raises.

    For drawing a draft: steps whose heading cannot be read are left out, a bad choice keeps its
    line with an empty target, and the spec may have no steps. Raises :class:`ContentErrors` only
    when the front matter cannot be read."""
    try:
        parsed = split_front_matter(text, path)
    except ContentError as exc:
        raise ContentErrors([exc]) from None
    errors = Collector()
    if not SLUG.match(slug):
        errors.add(path, 1, f"the file name must be <slug>{SUFFIX}, the slug made of lowercase "
                   "letters, digits and '-'")
    meta = parsed.meta
    unknown_keys(meta, SCENARIO_KEYS, path, errors)
    title = text_field(meta, "title", path, errors, required=True)
    pass_score = meta.data.get("pass_score", 70)
    if not isinstance(pass_score, int) or isinstance(pass_score, bool) or not 0 <= pass_score <= 100:
        errors.add(path, meta.line_of("pass_score"), "'pass_score' must be a whole number from 0 to 100")
        pass_score = 70
    rules = _parse_rules(meta, path, errors)
    shuffle = meta.data.get("shuffle", True)
    if not isinstance(shuffle, bool):
        errors.add(path, meta.line_of("shuffle"), "'shuffle' must be true or false")
        shuffle = True

    steps = []
    for line, heading, lines in _sections(parsed.body, parsed.body_line, path, errors):
        step = _parse_step(line, heading, lines, rules, path, errors)
        if step is not None:
            _check_step(step, path, errors)
            steps.append(step)
    _check_graph(steps, parsed.body_line, path, errors)
    return ScenarioSpec(slug=slug, path=path, source=text, title=title, pass_score=pass_score,
                        rules=rules, steps=tuple(steps), shuffle=shuffle), errors.errors


def _parse_rules(meta: YamlDocument, path: str, errors: Collector) -> dict[str, str]:
    value = meta.data.get("rules")
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.add(path, meta.line_of("rules"), "'rules' must be a mapping of rule keys to their text")
        return {}
    rules = {}
    for key, rule_text in value.items():
        line = meta.key_lines.get(f"rules.{key}", meta.line_of("rules"))
        if not isinstance(key, str) or not SLUG.match(key):
            errors.add(path, line, f"rule key '{key}' must be lowercase letters, digits and '-'")
        elif not isinstance(rule_text, str) or not rule_text.strip():
            errors.add(path, line, f"rule '{key}' must have its text")
        else:
            rules[key] = rule_text.strip()
    return rules


def _sections(body: str, first_line: int, path: str, errors: Collector) -> list[Section]:
    """The body cut at each ``##`` heading; text before the first heading is an error."""
    sections: list[Section] = []
    preamble = False
    for number, line in enumerate(body.splitlines(), start=first_line):
        heading = HEADING.match(line.rstrip())
        if heading:
            sections.append((number, (heading["rest"] or "").strip(), []))
        elif sections:
            sections[-1][2].append((number, line.rstrip()))
        elif line.strip() and not preamble:
            preamble = True
            errors.add(path, number, "text before the first step: a step starts with '## id: title'")
    return sections


def _parse_step(line: int, heading: str, lines: list[tuple[int, str]], rules: dict[str, str],
                path: str, errors: Collector) -> Step | None:
    outcome = None
    end = END_HEADING.search(heading)
    is_end = end is not None
    if end is not None:
        heading = heading[: end.start()].rstrip()
        outcome = end["outcome"].strip() if end["outcome"] is not None else None
        if outcome not in (PASS, FAIL, None):
            errors.add(path, line, f"'{end[0]}' is not an ending mark: write "
                       f"{', '.join(repr(mark) for mark in END_MARKS)}")
            outcome = None
    match = STEP_HEADING.match(heading)
    if match is None:
        errors.add(path, line, f"a step heading must be '## id: title', not '## {heading}'")
        return None
    step_id, title = match["id"].strip(), match["title"].strip()
    if not SLUG.match(step_id):
        errors.add(path, line, f"step id '{step_id}' must be lowercase letters, digits and '-'")
    if not title:
        errors.add(path, line, f"step '{step_id}' has no title")

    text: list[str] = []
    choices: list[Choice] = []
    branches: list[Branch] = []
    stray = False
    for number, raw in lines:
        if raw.startswith("?"):
            branches.append(_parse_branch(number, raw, path, errors))
        elif choice := CHOICE.match(raw):
            choices.append(_parse_choice(len(choices), number, choice, rules, path, errors))
        elif (feedback := FEEDBACK.match(raw)) and choices and not branches:
            joined = f"{choices[-1].feedback}\n{feedback['text']}".strip()
            choices[-1] = replace(choices[-1], feedback=joined)
        elif not choices and not branches:
            text.append(raw)
        elif raw.strip() and not stray:
            stray = True
            errors.add(path, number, "text after the choices or branches: the situation goes under "
                       "the heading, and a choice's feedback on the next line as '  > …'")
    return Step(id=step_id, title=title, text="\n".join(text).strip(), choices=tuple(choices),
                branches=tuple(branches), is_end=is_end, line=line, outcome=outcome)


def _parse_choice(index: int, line: int, match: re.Match[str], rules: dict[str, str],
                  path: str, errors: Collector) -> Choice:
    text = match["text"].strip()
    if not text:
        errors.add(path, line, "the choice has no text")
    end = CHOICE_END.match(match["rest"].strip())
    if end is None:
        errors.add(path, line, "a choice must be '- text -> target (points) !rule severity'")
        return Choice(index, text, "", 0, "", None, line)
    points = 0
    if end["points"] is not None:
        if POINTS.match(end["points"].strip()):
            points = int(end["points"])
        else:
            errors.add(path, line, f"points '({end['points']})' must be a whole number, e.g. (+10) or (-5)")
    violation = None
    rule, severity = end["rule"], end["severity"]
    if rule is not None:
        if rule not in rules:
            known = ", ".join(rules) or "none are set under 'rules' in the front matter"
            errors.add(path, line, f"unknown rule '{rule}' (rules: {known})")
        if severity not in SEVERITIES:
            errors.add(path, line, f"the severity of '!{rule}' must be one of {', '.join(SEVERITIES)}"
                       + (f", not '{severity}'" if severity else ""))
        else:
            violation = Violation(rule, rules.get(rule, ""), severity)
    return Choice(index, text, end["target"], points, "", violation, line)


def _parse_branch(line: int, raw: str, path: str, errors: Collector) -> Branch:
    match = BRANCH.match(raw.strip())
    if match and match["condition"] == OTHERWISE:
        return Branch(OTHERWISE, None, match["target"], line)
    condition = CONDITION.match(match["condition"]) if match else None
    if match is None or condition is None:
        errors.add(path, line, "a branch must be '? score >= N -> target' (or >, <=, <, ==) "
                   "or '? otherwise -> target'")
        return Branch("", None, "", line)
    return Branch(condition["op"], int(condition["value"]), match["target"], line)


def _check_step(step: Step, path: str, errors: Collector) -> None:
    if step.is_end and (step.choices or step.branches):
        errors.add(path, step.line, f"ending '{step.id}' must not have choices or branches")
    elif not step.is_end and not step.choices and not step.branches:
        errors.add(path, step.line, f"step '{step.id}' needs choices or branches "
                   f"(or '[end pass]' or '[end fail]' at the end of its heading if it is an ending)")
    elif step.choices and step.branches:
        errors.add(path, step.line, f"step '{step.id}' has both choices and branches: use one or the other")
    if not step.branches:
        return
    for branch in step.branches[:-1]:
        if branch.op == OTHERWISE:
            errors.add(path, branch.line, "'? otherwise' must be the last branch")
    if step.branches[-1].op != OTHERWISE:
        errors.add(path, step.line, f"the branches of step '{step.id}' must end with '? otherwise -> target'")


def _topological(start: str, moves: dict[str, list[str]]) -> list[str]:
    """The steps reachable from ``start``, each before the steps it leads to (no cycle)."""
    order: list[str] = []
    seen = {start}
    stack = [(start, iter(moves[start]))]
    while stack:
        step_id, following = stack[-1]
        target = next(following, None)
        if target is None:
            stack.pop()
            order.append(step_id)
        elif target not in seen:
            seen.add(target)
            stack.append((target, iter(moves[target])))
    return order[::-1]


def _closure_has_cycle(start: str, moves: dict[str, list[str]]) -> bool:
    """Whether some step reachable from ``start`` can lead back to itself."""
    state: dict[str, int] = {start: 1}
    stack = [(start, iter(moves[start]))]
    while stack:
        step_id, following = stack[-1]
        target = next(following, None)
        if target is None:
            stack.pop()
            state[step_id] = 2
        elif state.get(target) == 1:
            return True
        elif target not in state:
            state[target] = 1
            stack.append((target, iter(moves[target])))
    return False


def reachable(starts: Iterable[str], successors: Callable[[str], Iterable[str]]) -> set[str]:
    """Every id reachable from ``starts`` (included) by following ``successors``."""
    seen = set(starts)
    todo = list(seen)
    while todo:
        for following in successors(todo.pop()):
            if following not in seen:
                seen.add(following)
                todo.append(following)
    return seen


def _check_graph(steps: list[Step], body_line: int, path: str, errors: Collector) -> None:
    """Targets, duplicate ids, and that every step is reached and can reach an ending."""
    if not steps:
        errors.add(path, body_line, "the scenario has no steps: a step starts with '## id: title'")
        return
    by_id: dict[str, Step] = {}
    for step in steps:
        if step.id in by_id:
            first = by_id[step.id].line
            errors.add(path, step.line, f"step '{step.id}' is defined twice (first on line {first})")
        else:
            by_id[step.id] = step
    for step in steps:
        for item in (*step.choices, *step.branches):
            if item.target and item.target not in by_id:
                errors.add(path, item.line, f"unknown target step '{item.target}'")

    def successors(step_id: str, critical: bool = True) -> list[str]:
        step = by_id[step_id]
        targets = [c.target for c in step.choices if critical or not c.is_critical]
        return [t for t in targets + [b.target for b in step.branches] if t in by_id]

    def branch_successors(step_id: str) -> list[str]:
        return [t for t in successors(step_id) if by_id[t].branches] if by_id[step_id].branches else []

    start = steps[0]
    reached = reachable([start.id], successors)
    for step in by_id.values():
        if step.id not in reached:
            errors.add(path, step.line, f"unreachable step '{step.id}': no path from the start leads to it")
        if step.branches and step.id in reachable(branch_successors(step.id), branch_successors):
            errors.add(path, step.line, f"the branches of step '{step.id}' loop back to it without a choice")

    endings = [step.id for step in by_id.values() if step.is_end]
    if not endings:
        errors.add(path, start.line, "the scenario has no ending: mark one with '[end pass]' or "
                   "'[end fail]' in its heading")
        return
    # A step with a bad target, already reported, is taken to lead to an ending.
    ends = {step.id for step in by_id.values() if step.is_end or not set(step.targets) <= by_id.keys()}
    leads_to: dict[str, list[str]] = {step_id: [] for step_id in by_id}
    for step_id in by_id:
        for target in successors(step_id):
            leads_to[target].append(step_id)
    can_end = reachable(ends, leads_to.__getitem__)
    for step in by_id.values():
        if step.id in reached and step.id not in can_end:
            errors.add(path, step.line, f"no ending can be reached from step '{step.id}': its paths loop")
    clean = reachable([start.id], lambda step_id: successors(step_id, critical=False))
    passable = {step_id for step_id in ends if by_id[step_id].outcome != FAIL}
    if reached <= can_end and not clean & passable:
        errors.add(path, start.line, "every path to an ending has a critical violation: no play can pass"
                   if not clean & ends else "every ending reached without a critical violation is "
                   "'[end fail]': no play can pass; make one of them '[end pass]'")


@dataclass(frozen=True)
class PlayState:
    step_id: str  # the step shown; after a critical choice, the step it led to
    score: int = 0
    path: tuple[tuple[str, int], ...] = ()  # (step id, choice index) of each choice made
    violations: tuple[Violation, ...] = ()
    finished: bool = False
    failed_critically: bool = False


@dataclass(frozen=True)
class Outcome:
    score: int
    best: int
    percent: int
    passed: bool
    violations: tuple[Violation, ...]


def start(spec: ScenarioSpec) -> PlayState:
    """A new play at the start step, having followed any branches there."""
    return _settle(spec, PlayState(step_id=spec.start.id))


def choose(spec: ScenarioSpec, state: PlayState, choice_index: int) -> PlayState:
    """The play after choice ``choice_index`` (0-based) of the current step.

    A critical violation finishes the play at once as failed; otherwise the play moves on to the
    target, follows branch steps on the score so far, and finishes on reaching an ending."""
    if state.finished:
        raise ValueError("the play is finished")
    choices = spec.step(state.step_id).choices
    if not 0 <= choice_index < len(choices):
        raise ValueError(f"step '{state.step_id}' has no choice {choice_index}")
    choice = choices[choice_index]
    state = replace(
        state,
        step_id=choice.target,
        score=state.score + choice.points,
        path=(*state.path, (state.step_id, choice_index)),
        violations=(*state.violations, choice.violation) if choice.violation else state.violations,
    )
    if choice.is_critical:
        return replace(state, finished=True, failed_critically=True)
    return _settle(spec, state)


def _settle(spec: ScenarioSpec, state: PlayState) -> PlayState:
    """Follow branch steps on the score so far until a step with choices or an ending."""
    step = spec.step(state.step_id)
    while step.branches:
        step = spec.step(next(branch.target for branch in step.branches if branch.matches(state.score)))
    return replace(state, step_id=step.id, finished=step.is_end)


def outcome(spec: ScenarioSpec, state: PlayState) -> Outcome:
    """The score of a play; only a finished play without a critical violation that did not end on
    a ``fail`` ending can pass."""
    percent = spec.percent(state.score)
    passed = (state.finished and not state.failed_critically and percent >= spec.pass_score
              and spec.step(state.step_id).outcome != FAIL)
    return Outcome(score=state.score, best=spec.best_score, percent=percent, passed=passed,
                   violations=state.violations)
