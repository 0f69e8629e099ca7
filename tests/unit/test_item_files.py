"""How an item's text is cut into its files (a quiz's GIFT and settings) as the trainer edits."""

from __future__ import annotations

import random

import pytest

from lms.authoring.items import refit_files, split_files

GIFT = "::问题一:: 催收员可以做什么？ {=核实情况 ~威胁}\n\n::问题二:: 以下哪项正确？ {=T}\n"
YML = "title: 结业考试\npass_mark: 80\n"
FILES = [["final-exam.gift", len(GIFT)], ["final-exam.yml", len(YML)]]


def sizes_fit(files, source):
    return all(size >= 0 for _, size in files) and sum(size for _, size in files) == len(source)


def test_an_edit_in_either_file_moves_the_border_with_it():
    new = GIFT.replace("问题二", "第二题") + YML.replace("80", "85\nshuffle: true")
    files = refit_files(FILES, new, GIFT + YML)
    assert split_files(new, files) == {"final-exam.gift": GIFT.replace("问题二", "第二题"),
                                       "final-exam.yml": YML.replace("80", "85\nshuffle: true")}


@pytest.mark.parametrize("new", [
    GIFT + YML[:5],  # deleting past where the settings begin
    GIFT[:20],  # and past the settings' start into the questions
    GIFT[:10] + YML[12:],  # across the border, from the middle of a line
    "",
    "x",
])
def test_deleting_across_the_border_never_fails(new):
    for old in (GIFT + YML, None):
        files = refit_files(FILES, new, old)
        assert [name for name, _ in files] == ["final-exam.gift", "final-exam.yml"] and sizes_fit(files, new)


def test_without_the_old_text_the_later_files_keep_their_length_from_the_end():
    assert refit_files(FILES, "abc") == [["final-exam.gift", 0], ["final-exam.yml", 3]]
    assert refit_files(FILES, "a" * (len(YML) + 4)) == [["final-exam.gift", 4], ["final-exam.yml", len(YML)]]


def test_a_file_without_a_final_newline_keeps_its_border_inside_the_line():
    gift = GIFT.rstrip("\n")
    files = [["q.gift", len(gift)], ["q.yml", len(YML)]]
    new = "新增一行\n" + gift + YML
    expected = {"q.gift": "新增一行\n" + gift, "q.yml": YML}
    assert split_files(new, refit_files(files, new, gift + YML)) == expected
    shorter = gift + YML[:4]
    assert sizes_fit(refit_files(files, shorter, gift + YML), shorter)


def test_random_edits_always_give_files_that_fit():
    rng = random.Random(11)
    old = GIFT + YML
    for _ in range(300):
        a, b = sorted(rng.sample(range(len(old) + 1), 2))
        new = old[:a] + rng.choice(["", "\n", "新文字", "x\ny\n"]) + old[b:]
        assert sizes_fit(refit_files(FILES, new, old), new), (a, b)
