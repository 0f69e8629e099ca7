"""In Chromium: a trainee fails a quiz, reviews it, passes it, plays a call simulation with a
minor violation (and still passes), and writes the training summary; a trainer returns the
summary with a comment."""

from __future__ import annotations

import re

from lms.accounts import services as accounts
from lms.accounts.services import find_user
from lms.assessments import quizzes
from lms.assessments.models import QuizAttempt, ScenarioPlay
from lms.content.scenario import load_scenario
from lms.db import session
from lms.paths import PROJECT_DIR

from ..answering import attempt_form, choice_token
from ..conftest import PASSWORD, complete_modules
from .conftest import TRAINER
from .test_trainee_journey import DESKTOP, PHONE, sign_in

COURSE = "/courses/credit-card-collection"
SCENARIO_FILE = PROJECT_DIR / "quizzes" / "credit-card-collection" / "scenario-refuses-to-pay.scenario.md"
SUMMARY = """## 培训目的
本次信用卡催收培训的目的是提高我们的业务能力和催收技巧，使我们能够在法律法规和银行制度允许的范围内更有效地开展催收工作。

## 理论学习收获
通过理论讲解，我系统学习了信用卡催收的五个步骤：了解客户情况、与借款人进行沟通、制定还款计划、跟进催收进度、选用适当的催收手段。
我也掌握了与借款人建立良好的关系、善于倾听、寻找还款动力、灵活应对和坚持原则这五项技巧，牢记保护客户隐私、遵守法律法规、注意语言措辞、及时反馈和报告这四项注意事项。
上门催收必须文明礼貌、法律合规、安全稳妥，不得利用暴力、威胁等手段进行催收。

## 实践操作体会
在实战模拟中，我面对拒绝还款的借款人，学会了先稳定情绪、了解原因，再提出合理的还款方案。有一次我用了过激的措辞，复盘时才意识到这会激化矛盾。
在案例分析中，我看到了向第三方透露欠款信息带来的严重后果，更加理解了隐私保护的重要性。

## 个人收获与不足
我在倾听和记录方面进步明显，但在灵活应对借款人各种情绪方面还需要加强练习。

## 今后改进计划
今后我会坚持每次通话后及时记录、定期复盘，持续学习相关法律法规和行业动态，主动向上级汇报工作进展，努力成为一名更专业、更合规的信用卡催收员，为银行创造更多的价值。
"""


def answer_correctly(page, live_app, attempt_id: int) -> None:
    """Fill in the attempt's form with the right answers, as a well-prepared trainee would: the
    page shows only tokens, so the answers are read from the attempt's layout on the server."""
    with live_app.app_context():
        attempt = session.get(QuizAttempt, attempt_id)
        form = attempt_form(attempt)
        kinds = {wire.field: question.type for wire, question in quizzes.wires_of(attempt)}
    for name, value in form.items():
        field = name.split("-", 1)[0]
        box = page.locator(f"fieldset[data-question={field}]")
        if kinds[field] in ("multichoice", "truefalse", "multiresponse"):
            for token in ([value] if isinstance(value, str) else value):
                box.locator(f"input[value='{token}']").check()
        elif kinds[field] in ("matching", "ordering"):
            box.locator(f"select[name={name}]").select_option(value)
        else:
            box.locator("input, textarea").first.fill(value)


def open_the_course(live_app, username: str) -> None:
    """Mark the first five modules read, so the course (taken in order) opens every activity."""
    with live_app.app_context():
        user_id = find_user(username).id
    complete_modules(live_app, user_id, "credit-card-collection", 5)


def test_quiz_fail_review_pass(browser, live_server, live_app, artifacts):
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server, "sun")
    page.goto(f"{live_server}{COURSE}/")
    page.click("[data-activity=process-quiz] a")
    page.click("button:has-text('开始作答')")
    page.wait_for_selector("[data-attempt-form]")
    page.screenshot(path=artifacts / "quiz-attempt-phone.png", full_page=True)

    # One answer, then a reload: it was saved on the server.
    first_radio = page.locator("fieldset.question--multichoice input[type=radio], "
                               "fieldset.question--truefalse input[type=radio]").first
    first_radio.check()
    page.wait_for_selector("[data-attempt-form][data-saved]")
    page.reload()
    assert page.locator("fieldset.question--multichoice input[type=radio], "
                        "fieldset.question--truefalse input[type=radio]").first.is_checked()

    page.click("button:has-text('提交答案')")
    page.wait_for_url(re.compile(r".*/review$"))
    assert "未通过" in page.locator("[data-testid=result]").inner_text()
    assert page.locator(".explanation").count() > 0  # explanations shown after the attempt
    page.screenshot(path=artifacts / "quiz-review-failed-phone.png", full_page=True)

    page.click("[data-testid=result-actions] button:has-text('再试一次')")  # the first action after failing
    page.wait_for_selector("[data-attempt-form]")
    attempt_id = int(page.url.rsplit("/", 1)[1])
    answer_correctly(page, live_app, attempt_id)
    page.click("button:has-text('提交答案')")
    page.wait_for_url(re.compile(r".*/review$"))
    assert "已通过" in page.locator("[data-testid=result]").inner_text()
    assert "100" in page.locator("[data-testid=result]").inner_text()
    assert page.locator("[data-testid=result-actions] a.next-step").is_visible()  # on to the next step
    context.close()


def test_scenario_with_a_violation_shows_it_in_the_debrief(browser, live_server, live_app, artifacts):
    spec = load_scenario(SCENARIO_FILE)
    open_the_course(live_app, "sun")
    context = browser.new_context(locale="zh-CN", **DESKTOP)
    page = context.new_page()
    sign_in(page, live_server, "sun")
    page.goto(f"{live_server}{COURSE}/scenarios/scenario-refuses-to-pay/")
    page.click("button:has-text('开始通话')")
    violated, score = None, 0
    while "/debrief" not in page.url:
        step = spec.step(page.locator("[data-step]").get_attribute("data-step"))
        minor = [c for c in step.choices if c.violation and c.violation.severity == "minor"]
        if violated is None and minor:
            choice = minor[0]
            violated = choice
        else:
            choice = max((c for c in step.choices if not c.violation), key=lambda c: c.points)
        score += choice.points
        with live_app.app_context():
            token = choice_token(session.get(ScenarioPlay, int(page.url.rsplit("/", 1)[1])), choice.index)
        page.locator(f"button.step-choice[value='{token}']").click()
        page.wait_for_load_state("load")
    assert violated is not None, "the scenario offers no minor violation"
    violations = page.locator("[data-testid=violations]").inner_text()
    assert spec.rules[violated.violation.rule] in violations
    # one minor slip and the best practice everywhere else still passes
    result = page.locator("[data-testid=result]").inner_text()
    assert "已通过" in result and f"{spec.percent(score)}%" in result, result
    page.screenshot(path=artifacts / "scenario-debrief.png", full_page=True)
    context.close()


def test_summary_submitted_then_returned_with_a_comment(browser, live_server, live_app, artifacts):
    open_the_course(live_app, "sun")
    trainee = browser.new_context(locale="zh-CN", **PHONE)
    page = trainee.new_page()
    sign_in(page, live_server, "sun")
    page.goto(f"{live_server}{COURSE}/summary")
    page.fill("textarea[name=body]", SUMMARY)
    page.wait_for_selector("[data-summary-form][data-saved]")  # the draft saved as typed
    page.screenshot(path=artifacts / "summary-editor-phone.png", full_page=True)
    page.click("button[value=submit]")
    page.wait_for_selector("[data-testid=summary-status]:has-text('已提交')")

    trainer = browser.new_context(locale="zh-CN", **DESKTOP)
    review = trainer.new_page()
    sign_in(review, live_server, TRAINER)
    review.goto(f"{live_server}/review/")
    review.click("[data-testid=pending-summaries] a:has-text('孙丽')")
    review.fill("textarea[name=comment]", "请补充你在案例分析中的具体体会。")
    review.click("button[value=return]")
    review.wait_for_url(f"{live_server}/review/")

    page.reload()
    assert "请补充你在案例分析中的具体体会。" in page.locator("[data-testid=trainer-comment]").inner_text()
    assert "已退回修改" in page.locator("[data-testid=summary-status]").inner_text()
    page.screenshot(path=artifacts / "summary-returned-phone.png", full_page=True)
    trainee.close()
    trainer.close()


def test_the_exam_countdown_stays_in_view_while_scrolling(browser, live_server, live_app, artifacts):
    with live_app.app_context():  # a trainee of its own: the other journeys expect modules unread
        user_id = accounts.create_user("qian", PASSWORD, ["trainee"], accounts.UserDetails(
            display_name="钱多多", employee_no="E1099", department="信用卡催收一部")).id
        session.commit()
    complete_modules(live_app, user_id, "credit-card-collection")  # the exam waits for every module
    for name, device in (("phone", PHONE), ("desktop", DESKTOP)):
        context = browser.new_context(locale="zh-CN", **device)
        page = context.new_page()
        sign_in(page, live_server, "qian")
        page.goto(f"{live_server}{COURSE}/quizzes/final-exam/")
        start = page.locator("form[action$='/start'] button")
        if start.count():
            start.click()
        else:
            page.locator("a[href*='/attempts/']").first.click()
        timer = page.locator(".timer")
        assert timer.is_visible()
        page.mouse.wheel(0, 6000)
        page.wait_for_timeout(300)
        assert page.evaluate("window.scrollY") > 1000
        box = timer.bounding_box()
        assert box is not None and 0 <= box["y"] <= 40, (name, box)
        page.screenshot(path=artifacts / f"exam-countdown-{name}.png")
        context.close()
