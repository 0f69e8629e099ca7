"""A trainee signs in, reads a module to its end and sees their progress change."""

from __future__ import annotations

import pytest

from ..conftest import PASSWORD, let_time_pass

PHONE = {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def sign_in(page, live_server: str, username: str) -> None:
    page.goto(f"{live_server}/")
    assert "/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:not([name])")
    page.wait_for_url(f"{live_server}/")


@pytest.mark.parametrize(("device", "username"), [("phone", "wang"), ("desktop", "li")])
def test_trainee_reads_a_module_and_progress_changes(browser, live_server, live_app, artifacts, device,
                                                     username):
    context = browser.new_context(locale="zh-CN", **(PHONE if device == "phone" else DESKTOP))
    page = context.new_page()
    page.clock.install()  # the browser's clock, moved on below together with the server's
    sign_in(page, live_server, username)
    card = page.locator("[data-course=credit-card-collection]")
    before = card.locator("[data-testid=percent]").inner_text()
    page.screenshot(path=artifacts / f"dashboard-{device}.png", full_page=True)

    card.locator("a.next-step").click()
    page.wait_for_selector("article.module")
    content = page.locator(".module__content").inner_text()
    assert "了解客户情况" in content
    assert "不得利用暴力、威胁等手段进行催收" in page.content() or "暴力" in content
    page.screenshot(path=artifacts / f"module-{device}.png")
    assert "完成本单元还需有效学习 7 分钟" in page.locator("[data-reading-time]").inner_text()
    page.locator("[data-module-end]").scroll_into_view_if_needed()
    # at the end within seconds: not complete, and the page says how much time is still needed
    status = page.locator("[data-progress-status][data-state=time-needed]")
    assert "再学习 7 分钟" in status.inner_text()

    # seven minutes of reading: the trainee keeps scrolling; every half minute the page reports
    # the engaged time, and the server's clock has moved on as much
    for _ in range(16):
        if page.locator("[data-progress-status][data-state=completed]").count():
            break
        let_time_pass(live_app, "overview-and-process", 0.5)
        page.keyboard.press("ArrowUp")
        with page.expect_response(lambda r: r.url.endswith("/progress")):
            page.clock.run_for(30_000)
        remaining = page.locator("[data-reading-time]")
        assert remaining.is_hidden() or "还需有效学习" in remaining.inner_text()
    page.wait_for_selector("[data-progress-status][data-state=completed]", timeout=10_000)
    assert page.locator("[data-reading-time]").is_hidden()

    page.goto(f"{live_server}/")
    after = card.locator("[data-testid=percent]").inner_text()
    assert before != after
    context.close()


def test_trainee_switches_to_english_and_it_is_remembered(browser, live_server, artifacts):
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    sign_in(page, live_server, "zhao")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator(".site-nav").inner_text().strip().startswith("我的学习")
    page.click("button[name=locale][value=en]")
    page.wait_for_selector("html[lang=en]")
    assert "My training" in page.locator(".site-nav").inner_text()
    assert "Hello, 赵静" in page.locator("h1").inner_text()
    page.screenshot(path=artifacts / "dashboard-phone-en.png", full_page=True)
    page.goto(f"{live_server}/courses/credit-card-collection/")
    assert "Modules are taken in order" in page.content()
    context.close()

    context = browser.new_context(locale="zh-CN", **DESKTOP)  # a new browser session
    page = context.new_page()
    sign_in(page, live_server, "zhao")
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("button[name=locale][value=zh_CN]")
    page.wait_for_selector("html[lang=zh-CN]")
    context.close()


def test_read_aloud_reads_the_module_in_chinese(browser, live_server, artifacts):
    context = browser.new_context(locale="zh-CN", **DESKTOP)
    # Record what the page asks the speech engine to say (headless Chromium has no voices).
    context.add_init_script("""
        window.__spoken = [];
        const realSpeak = speechSynthesis.speak.bind(speechSynthesis);
        speechSynthesis.speak = (utterance) => {
          window.__spoken.push({text: utterance.text, lang: utterance.lang});
          if (window.__spoken.length < 20) {  // then "still speaking", so it can be stopped
            setTimeout(() => utterance.onend && utterance.onend(new Event('end')), 10);
          }
        };
    """)
    page = context.new_page()
    sign_in(page, live_server, "zhao")
    page.goto(f"{live_server}/courses/credit-card-collection/overview-and-process")
    button = page.locator("[data-read-aloud] [data-action=play]")
    assert button.is_visible()
    button.click()
    page.wait_for_function("() => window.__spoken.length === 20")  # a function: the CSP forbids eval
    spoken = page.evaluate("window.__spoken")
    assert spoken[0] == {"text": "催收概述与流程", "lang": "zh-CN"}
    assert any("了解客户情况" in item["text"] for item in spoken)
    assert page.locator(".reading-now").count() == 1
    # headless Chromium has no voices at all, so the trainee is told why it may stay silent
    assert page.locator("[data-no-chinese-voice]").is_visible()
    page.screenshot(path=artifacts / "module-read-aloud.png")
    page.locator("[data-read-aloud] [data-action=stop]").click()
    assert page.locator(".reading-now").count() == 0
    context.close()


def test_no_voice_hint_stays_hidden_when_a_chinese_voice_exists(browser, live_server):
    context = browser.new_context(locale="zh-CN", **PHONE)
    context.add_init_script("""
        speechSynthesis.getVoices = () => [{lang: "en-US", name: "English"}, {lang: "zh-CN", name: "婷婷"}];
        speechSynthesis.speak = () => {};
    """)
    page = context.new_page()
    sign_in(page, live_server, "zhao")
    page.goto(f"{live_server}/courses/credit-card-collection/overview-and-process")
    page.locator("[data-read-aloud] [data-action=play]").click()
    assert not page.locator("[data-no-chinese-voice]").is_visible()
    context.close()


def test_read_aloud_is_hidden_where_the_browser_cannot_speak(browser, live_server):
    context = browser.new_context(locale="zh-CN", **PHONE)
    context.add_init_script("delete window.speechSynthesis; delete window.SpeechSynthesisUtterance;")
    page = context.new_page()
    sign_in(page, live_server, "zhao")
    page.goto(f"{live_server}/courses/credit-card-collection/overview-and-process")
    page.wait_for_load_state("load")
    assert not page.locator("[data-read-aloud]").is_visible()
    context.close()


def test_the_phone_layout_does_not_scroll_sideways(browser, live_server):
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    sign_in(page, live_server, "zhao")
    for path in ["/", "/courses/credit-card-collection/",
                 "/courses/credit-card-collection/overview-and-process"]:
        page.goto(live_server + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width}px wide on a 375px screen"
    context.close()


def test_printing_a_module_hides_navigation(browser, live_server, artifacts):
    context = browser.new_context(locale="zh-CN", **DESKTOP)
    page = context.new_page()
    sign_in(page, live_server, "zhao")
    page.goto(f"{live_server}/courses/credit-card-collection/overview-and-process")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".pager").is_visible()
    assert page.locator(".module__content").is_visible()
    page.pdf(path=artifacts / "module-print.pdf", format="A4")
    context.close()
