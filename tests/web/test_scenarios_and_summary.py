"""Call simulations played step by step, and the training summary from draft to approval."""

from __future__ import annotations

import re

from lms.assessments.models import ScenarioChoice, ScenarioPlay, TrainingSummary
from lms.db import session

from ..answering import choice_token
from ..conftest import csrf_token

SCENARIO = "/courses/mini/scenarios/mini-scenario/"


def start_play(client):
    response = client.post(f"{SCENARIO}start", data={"csrf_token": csrf_token(client, SCENARIO)})
    assert response.status_code == 302
    return int(response.location.rsplit("/", 1)[1])


def token(app, play_id, index):
    """The token the play page shows now for choice ``index`` (as authored) of the current step."""
    with app.app_context():
        return choice_token(session.get(ScenarioPlay, play_id), index)


def choose(app, client, play_id, step, index):
    return post_choice(client, play_id, step, token(app, play_id, index))


def post_choice(client, play_id, step, choice_token):
    return client.post(f"/plays/{play_id}/choose",
                       data={"step": step, "choice": choice_token, "csrf_token": csrf_token(client, "/")})


def test_the_best_path_passes_and_every_choice_is_stored(app, client, trainee):
    play_id = start_play(client)
    page = client.get(f"/plays/{play_id}").get_data(as_text=True)
    assert "借款人：“没钱。”" in page and "询问原因。" in page
    assert "+10" not in page and "no-threats" not in page  # points and rules stay on the server
    choose(app, client, play_id, "start", 0)
    page = client.get(f"/plays/{play_id}").get_data(as_text=True)
    assert "很好。" in page and "商量方案" in page
    response = choose(app, client, play_id, "plan", 0)
    assert response.location == f"/plays/{play_id}/debrief"
    debrief = client.get(response.location).get_data(as_text=True)
    assert "得分：100%" in debrief and "已通过" in debrief and "没有违反任何规定" in debrief
    with app.app_context():
        play = session.get(ScenarioPlay, play_id)
        assert [(c.step_id, c.choice_index, c.points) for c in play.choices] == [
            ("start", 0, 10), ("plan", 0, 10)]
        assert play.is_passed and play.score == 100


def test_a_minor_violation_appears_in_the_debrief(app, client, trainee):
    play_id = start_play(client)
    choose(app, client, play_id, "start", 2)
    page = client.get(f"/plays/{play_id}").get_data(as_text=True)
    assert "违规：语言措辞文明" in page and "措辞过激。" in page
    choose(app, client, play_id, "plan", 0)
    debrief = client.get(f"/plays/{play_id}/debrief").get_data(as_text=True)
    assert "语言措辞文明" in debrief and "轻微" in debrief
    with app.app_context():
        play = session.get(ScenarioPlay, play_id)
        assert play.score == 25 and not play.is_passed


def test_a_critical_violation_ends_the_call_as_failed(app, client, trainee):
    play_id = start_play(client)
    response = choose(app, client, play_id, "start", 1)
    assert response.location == f"/plays/{play_id}/debrief"
    debrief = client.get(response.location).get_data(as_text=True)
    assert "因严重违规，通话立即结束" in debrief and "不得利用暴力、威胁等手段进行催收" in debrief
    assert "借款人投诉。" in debrief
    with app.app_context():
        play = session.get(ScenarioPlay, play_id)
        assert play.failed_critically and not play.is_passed
        assert session.query(ScenarioChoice).one().violation_severity == "critical"


def test_a_stale_choice_changes_nothing(app, client, trainee):
    play_id = start_play(client)
    other_tab = token(app, play_id, 1)
    choose(app, client, play_id, "start", 0)
    assert post_choice(client, play_id, "start", other_tab).location == f"/plays/{play_id}"
    assert post_choice(client, play_id, "plan", other_tab).location == f"/plays/{play_id}"
    for unknown in ("0", "1", "", "c0000000000000000"):  # indices and made-up tokens
        assert post_choice(client, play_id, "plan", unknown).location == f"/plays/{play_id}"
    with app.app_context():
        assert session.get(ScenarioPlay, play_id).step_id == "plan"
        assert session.query(ScenarioChoice).count() == 1


def test_a_trainer_sees_every_choice_and_others_cannot(app, client, trainee, make_user, login):
    play_id = start_play(client)
    choose(app, client, play_id, "start", 2)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user("trainee"))
    assert client.get(f"/plays/{play_id}").status_code == 404
    assert client.get(f"/review/plays/{play_id}").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user("trainer"))
    page = client.get(f"/review/plays/{play_id}").get_data(as_text=True)
    assert "你怎么这么不讲理" in page and "语言措辞文明" in page
    results = client.get("/review/courses/mini/").get_data(as_text=True)
    assert f"/review/plays/{play_id}" not in results  # an unfinished play has no result yet


# --- the training summary --------------------------------------------------------------------

def post_summary(client, body, action):
    return client.post("/courses/mini/summary", data={
        "body": body, "action": action, "csrf_token": csrf_token(client, "/courses/mini/summary")})


def test_a_short_summary_is_refused_and_kept(client, trainee):
    response = post_summary(client, "太短了", "submit")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "至少需要 20 字" in page and "太短了" in page and 'aria-invalid="true"' in page


def test_drafts_save_as_you_type(app, client, trainee):
    response = client.post("/courses/mini/summary", headers={"Accept": "application/json"}, data={
        "body": "第一段草稿", "action": "draft", "csrf_token": csrf_token(client, "/courses/mini/summary")})
    assert response.json == {"saved": True, "count": 5}
    assert "第一段草稿" in client.get("/courses/mini/summary").get_data(as_text=True)


def test_submit_return_revise_and_approve(app, client, trainee, make_user, login):
    body = "## 培训目的\n本次培训让我系统掌握了信用卡催收的五个步骤和注意事项。"
    assert post_summary(client, body, "submit").status_code == 302
    assert "已提交，等待审核" in client.get("/courses/mini/summary").get_data(as_text=True)
    assert post_summary(client, body + "改", "draft").status_code == 400  # locked while in review
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    login(make_user("trainer"))
    with app.app_context():
        summary_id = session.query(TrainingSummary).one().id
    assert f"/review/summaries/{summary_id}" in client.get("/review/").get_data(as_text=True)
    url = f"/review/summaries/{summary_id}"
    refused = client.post(url, data={"decision": "return", "comment": " ",
                                     "csrf_token": csrf_token(client, url)})
    assert refused.status_code == 400 and 'id="comment-errors"' in refused.get_data(as_text=True)
    client.post(url, data={"decision": "return", "comment": "请补充实战模拟的体会。",
                           "csrf_token": csrf_token(client, url)})
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    login(trainee)
    page = client.get("/courses/mini/summary").get_data(as_text=True)
    assert "请补充实战模拟的体会。" in page and "已退回修改" in page
    post_summary(client, body + "\n## 实践体会\n通过实战模拟，我学会了冷静应对。", "submit")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    login(make_user("trainer"))
    client.post(url, data={"decision": "approve", "comment": "", "csrf_token": csrf_token(client, url)})
    with app.app_context():
        summary = session.get(TrainingSummary, summary_id)
        assert summary.status == "approved"
        assert [e.action for e in summary.events] == ["submitted", "returned", "submitted", "approved"]


def test_summaries_are_private_to_their_trainee_and_trainers(app, client, trainee, make_user, login):
    post_summary(client, "本次培训让我系统掌握了信用卡催收的五个步骤和注意事项。", "submit")
    with app.app_context():
        summary_id = session.query(TrainingSummary).one().id
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user("hr"))
    assert client.get(f"/review/summaries/{summary_id}").status_code == 403


def test_a_play_started_before_salts_shows_the_written_order(app, client, trainee):
    play_id = start_play(client)
    with app.app_context():
        session.get(ScenarioPlay, play_id).salt = ""
        session.commit()
    page = client.get(f"/plays/{play_id}").get_data(as_text=True)
    assert page.index('value="0"') < page.index('value="1"') < page.index('value="2"')
    assert post_choice(client, play_id, "start", "中文").location == f"/plays/{play_id}"
    post_choice(client, play_id, "start", "0")
    with app.app_context():
        assert [c.choice_index for c in session.get(ScenarioPlay, play_id).choices] == [0]


def test_each_play_has_its_own_order_and_tokens(app, client, trainee):
    from lms.assessments import scenarios

    def shown(play_id):
        with app.app_context():
            return scenarios.shown_choices(session.get(ScenarioPlay, play_id))

    first = start_play(client)
    before = shown(first)
    assert shown(first) == before  # a reload shows the same order under the same tokens
    choose(app, client, first, "start", 1)  # a critical violation: this play ends
    second = shown(start_play(client))
    tokens = [{token for token, _i, _c in s} for s in (before, second)]
    assert len(tokens[0]) == len(tokens[1]) == 3 and not tokens[0] & tokens[1]
    assert all(not t.isdigit() for t in tokens[0] | tokens[1])


def test_the_page_lists_the_latest_plays_and_all_on_request(app, client, trainee):
    """Plays are unlimited: the page lists the latest ten, numbered from the first, and all of
    them when asked."""
    for _ in range(12):
        choose(app, client, start_play(client), "start", 1)  # a critical violation ends it at once
    page = client.get(SCENARIO).get_data(as_text=True)
    numbers = re.findall(r'<td data-label="#">(\d+)</td>', page)
    assert numbers == [str(n) for n in range(3, 13)]
    assert "显示最近的 10 次，共 12 次。" in page and f"{SCENARIO}?history=all" in page
    everything = client.get(f"{SCENARIO}?history=all").get_data(as_text=True)
    assert re.findall(r'<td data-label="#">(\d+)</td>', everything) == [str(n) for n in range(1, 13)]
    assert 'data-testid="history-note"' not in everything
