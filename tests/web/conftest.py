"""Fixtures shared by the web tests: a small course with one activity of each kind."""

from __future__ import annotations

import pytest

from ..conftest import import_content, write_content

COURSE_YML = """\
title: 迷你课程
sequential: false
modules: [intro]
enrolment:
  all_trainees: true
  due_days: 7
summary:
  min_chars: 20
reading:
  min_share: 0  # these tests are not about reading time
"""
MODULE = """\
---
title: 简介
activities: [mini-quiz, essay-quiz, timed-quiz, mini-scenario, training-summary]
---
## 正文
不得利用暴力、威胁等手段进行催收。
"""
QUIZ = """\
---
title: 迷你测验
pass_mark: 70
attempts: 2
reveal: after_attempt
---
## 催收流程的第一步是什么？
- [ ] 通知单位
  > 通知单位是最后的手段。
- [x] 理解客户情况
> 先了解情况，才能制定方案。

## 以下哪些属于注意事项？
- [x] 保护客户隐私
- [x] 遵守法律法规
- [ ] (-50%) 使用威胁性语言

## 上门催收可以采用暴力手段。
答案：错误

## 第一步叫什么？
= 理解客户情况
"""
ESSAY = """\
---
title: 问答
pass_mark: 60
reveal: never
---
## 借款人情绪激动时你会怎么做？
[问答]
> 参考：保持冷静，先倾听。

## 上门催收可以采用暴力手段。
答案：错误
"""
TIMED = """\
---
title: 限时测验
time_limit: 5m
---
## 上门催收可以采用暴力手段。
答案：错误
"""
SCENARIO = """\
---
title: 迷你模拟
rules:
  no-threats: 不得利用暴力、威胁等手段进行催收
  language: 语言措辞文明
---
## start: 接通
借款人：“没钱。”

- 询问原因。 -> plan (+10)
  > 很好。
- 说：“不还就去你单位闹。” -> complaint (-30) !no-threats critical
  > 这是威胁。
- 说：“你怎么这么不讲理？” -> plan (-5) !language minor
  > 措辞过激。

## plan: 商量方案
- 约定还款日期并记录。 -> good (+10)

## good: 结束 [end]
借款人同意还款。

## complaint: 投诉 [end]
借款人投诉。
"""


@pytest.fixture
def mini(app, tmp_path):
    """A course with one activity of each kind; call it to import."""
    courses, quizzes = write_content(
        tmp_path / "mini", "mini", {"course.yml": COURSE_YML, "01-intro.md": MODULE},
        {"mini-quiz.md": QUIZ, "essay-quiz.md": ESSAY, "timed-quiz.md": TIMED,
         "mini-scenario.scenario.md": SCENARIO})
    return lambda: import_content(app, courses, quizzes)


@pytest.fixture
def trainee(client, mini, make_user, login):
    user = make_user("trainee")
    mini()
    login(user)
    return user


TINY_COURSE = """\
title: 合规速成
hours: 2
modules: [rules]
enrolment:
  all_trainees: true
  due_days: 14
summary:
  min_chars: 10
reading:
  min_share: 0  # completed in a few requests: the tests using it are not about reading time
certificate:
  validity_months: 12
  signatory: 李培训
  signatory_title: 培训中心主任
"""
TINY_MODULE = """\
---
title: 催收红线
activities: [red-lines, training-summary]
---
## 红线
不得利用暴力、威胁等手段进行催收。
"""
TINY_QUIZ = """\
---
title: 红线测验
---
## 可以用威胁手段催收吗？
答案：错误
"""


TINY_FILES = {"course.yml": TINY_COURSE, "01-rules.md": TINY_MODULE}


@pytest.fixture
def tiny(app, tmp_path):
    """A course one can complete in a few requests: a module, a one-question quiz, a summary."""
    courses, quizzes = write_content(tmp_path / "tiny", "tiny", TINY_FILES, {"red-lines.md": TINY_QUIZ})
    return lambda: import_content(app, courses, quizzes)
