from lms.ordering import chinese_number, natural_key


def test_chinese_numerals():
    assert [chinese_number(t) for t in ("一", "十", "十二", "二十", "二十三", "一百零五", "两千")] == \
        [1, 10, 12, 20, 23, 105, 2000]


def test_departments_and_cohorts_sort_in_natural_order():
    departments = ["催收十部", "催收二部", "客服中心", "催收一部", "催收十一部", "催收三部"]
    assert sorted(departments, key=natural_key) == [
        "催收一部", "催收二部", "催收三部", "催收十部", "催收十一部", "客服中心"]
    assert sorted(["第10期", "第2期", "第1期"], key=natural_key) == ["第1期", "第2期", "第10期"]
    assert sorted(["2026-11 期", "2026-03 期", "2025-12 期"], key=natural_key) == [
        "2025-12 期", "2026-03 期", "2026-11 期"]
