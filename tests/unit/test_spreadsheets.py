"""HR spreadsheets: the employee list read from CSV or XLSX with every problem at its row,
and CSV/XLSX exports that Excel opens correctly and that cannot smuggle in formulas."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.reports.spreadsheets import (
    FILE,
    MAX_ROWS,
    EmployeeImport,
    EmployeeRow,
    RowError,
    parse_employees,
    sheet_title,
    write_csv,
    write_xlsx,
)

HEADER = "工号,姓名,部门,邮箱,入职日期,班组"


def csv_file(*lines: str, encoding: str = "utf-8-sig") -> bytes:
    return "\r\n".join(lines).encode(encoding)


def xlsx_file(*rows: list[object]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def errors_of(result: EmployeeImport) -> list[str]:
    return [str(error) for error in result.errors]


# Reading ------------------------------------------------------------------------------------

def test_csv_with_bom_is_read_and_normalised():
    result = parse_employees("员工.csv", csv_file(
        HEADER,
        " E1001 ,张三,催收一部, Zhang.San@Bank.COM ,2024-03-01,一期",
        "Ｅ１００２,李四,催收二部,,2024/3/1,",
        "E1003,王五,催收二部,wang@bank.cn,2024年3月1日,  ",
    ))
    assert result.ok and result.encoding == "utf-8"
    assert result.rows == (
        EmployeeRow(2, "E1001", "张三", "催收一部", "zhang.san@bank.com", date(2024, 3, 1), "一期"),
        EmployeeRow(3, "E1002", "李四", "催收二部", None, date(2024, 3, 1), None),
        EmployeeRow(4, "E1003", "王五", "催收二部", "wang@bank.cn", date(2024, 3, 1), None),
    )


def test_csv_without_bom_and_optional_columns_left_out():
    result = parse_employees("a.CSV", csv_file("工号,姓名,部门", "E1,张三,一部", encoding="utf-8"))
    assert result.ok and result.encoding == "utf-8"
    assert result.rows == (EmployeeRow(2, "E1", "张三", "一部", None, None, None),)


def test_gb18030_csv_as_saved_by_excel_in_china():
    data = csv_file(HEADER, "E1001,张三,催收一部,,2024/3/1,", encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = parse_employees("员工.csv", data)
    assert result.ok and result.encoding == "gb18030"
    assert result.rows[0].name == "张三" and result.rows[0].department == "催收一部"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimiters_are_recognised(delimiter):
    lines = [HEADER.replace(",", delimiter), delimiter.join(["E1", "张三", "一部", "", "", ""])]
    result = parse_employees("a.csv", csv_file(*lines))
    assert result.ok and result.rows[0].employee_no == "E1"


def test_quoted_cells_may_hold_commas_and_line_breaks():
    result = parse_employees("a.csv", csv_file("工号,姓名,部门", 'E1,"张,三",一部', 'E2,李四,"一部\n二组"',
                                               "E3,王五,一部"))
    assert [(row.row, row.name) for row in result.rows] == [(2, "张,三"), (4, "王五")]
    # a department is one line: the cell Alt+Enter split is named, not stored
    assert errors_of(result) == ["第 3 行「部门」：含有换行或制表符（U+000A）：此列只能是一行"]


def test_english_headers_in_any_order_and_case():
    result = parse_employees("a.csv", csv_file(
        " Name ,EMPLOYEE_NO,department,Hire Date,email,cohort",
        "张三,E1,一部,2024-03-01,a@b.cn,一期",
    ))
    assert result.ok
    assert result.rows[0] == EmployeeRow(2, "E1", "张三", "一部", "a@b.cn", date(2024, 3, 1), "一期")


def test_xlsx_with_number_employee_numbers_and_date_cells():
    data = xlsx_file(
        ["工号", "姓名", "部门", "入职日期", "邮箱"],
        [12345, "张三", "一部", datetime(2024, 3, 1), None],
        [12346.0, "李四", "一部", "2024/3/2", "li@bank.cn"],
        [None, None, None, None, None],
        [12347, " 王五 ", "二部", date(2024, 3, 3), None],
    )
    result = parse_employees("员工.xlsx", data)
    assert result.ok and result.encoding is None
    assert result.rows == (
        EmployeeRow(2, "12345", "张三", "一部", None, date(2024, 3, 1), None),
        EmployeeRow(3, "12346", "李四", "一部", "li@bank.cn", date(2024, 3, 2), None),
        EmployeeRow(5, "12347", "王五", "二部", None, date(2024, 3, 3), None),
    )


def test_xlsx_parts_openpyxl_drops_do_not_stop_the_import():
    """Excel templates often carry drop-down lists in an extension openpyxl warns about and drops."""
    original = xlsx_file(["工号", "姓名", "部门"], ["E1", "张三", "一部"])
    ext = '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}"/></extLst></worksheet>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"</worksheet>", ext.encode())
            target.writestr(item, content)
    with pytest.warns(UserWarning, match="extension is not supported"):  # what openpyxl does on its own
        list(openpyxl.load_workbook(io.BytesIO(buffer.getvalue()), read_only=True).active.values)

    result = parse_employees("a.xlsx", buffer.getvalue())
    assert result.ok and result.rows[0].employee_no == "E1"


def test_each_row_error_names_its_row_and_column():
    result = parse_employees("a.csv", csv_file(
        HEADER,
        ",张三,一部,,,",
        "E2,,一部,,,",
        "E3,王五,,,,",
        "E4,赵六,一部,abc,,",
        "E5,钱七,一部,,2024-13-01,",
        "E6,孙八,一部,,,,多出来",
        "E7,周九,一部,zhou@bank.cn,2024-3-1,",
    ))
    assert not result.ok
    assert errors_of(result) == [
        "第 2 行「工号」：缺少工号",
        "第 3 行「姓名」：缺少姓名",
        "第 4 行「部门」：缺少部门",
        "第 5 行「邮箱」：邮箱格式不正确：abc",
        "第 6 行「入职日期」：日期无法识别：2024-13-01",
        "第 7 行：本行有 7 个单元格，多于表头的 6 列",
    ]
    assert result.errors[1] == RowError(3, "姓名", "缺少姓名")
    assert [row.employee_no for row in result.rows] == ["E7"]


def test_error_column_is_the_heading_as_written_in_the_file():
    result = parse_employees("a.csv", csv_file("employee_no,name,department,email", "E1,张三,一部,a@@b.cn"))
    assert errors_of(result) == ["第 2 行「email」：邮箱格式不正确：a@@b.cn"]


def test_every_problem_in_a_row_is_reported():
    result = parse_employees("a.csv", csv_file(HEADER, "E1,,,bad,yesterday,"))
    assert [(error.row, error.column) for error in result.errors] == [
        (2, "姓名"), (2, "部门"), (2, "邮箱"), (2, "入职日期"),
    ]


def test_duplicate_employee_numbers_name_the_first_row():
    result = parse_employees("a.csv", csv_file(
        "工号,姓名,部门", "E1001,张三,一部", "E1002,李四,一部", "Ｅ１００１,王五,二部", "E1001,赵六,三部",
    ))
    assert errors_of(result) == [
        "第 4 行「工号」：工号 E1001 与第 2 行重复",
        "第 5 行「工号」：工号 E1001 与第 2 行重复",
    ]
    assert [row.name for row in result.rows] == ["张三", "李四"]


def test_unknown_columns_are_named_with_the_known_ones():
    result = parse_employees("a.csv", csv_file("工号,姓名,部门,手机,备注", "E1,张三,一部,138,"))
    assert errors_of(result) == [
        "第 1 行：无法识别的列：手机、备注（可用的列：工号/employee_no、姓名/name、部门/department、"
        "邮箱/email（选填）、入职日期/hire_date（选填）、班组/cohort（选填））"
    ]
    assert result.rows == ()


def test_missing_required_columns():
    result = parse_employees("a.csv", csv_file("工号,邮箱", "E1,a@b.cn"))
    assert errors_of(result) == ["第 1 行：缺少必填列：姓名/name、部门/department"]


def test_a_column_given_twice_or_without_heading():
    result = parse_employees("a.csv", csv_file("工号,姓名,部门,employee_no,,班组", "E1,张三,一部,E1,,"))
    assert errors_of(result) == [
        "第 1 行「employee_no」：与「工号」是同一列，只能出现一次",
        "第 1 行：第 5 列没有列名",
    ]


def test_blank_rows_are_skipped_but_still_counted():
    result = parse_employees("a.csv", csv_file(
        "", "工号,姓名,部门,班组", "E1,张三,一部,", "", " , ,　,", "E2,李四,一部,", ",,,", "",
    ))
    assert result.ok
    assert [(row.row, row.employee_no) for row in result.rows] == [(3, "E1"), (6, "E2")]


def test_trailing_empty_cells_are_not_too_many():
    result = parse_employees("a.csv", csv_file("工号,姓名,部门,,", "E1,张三,一部,,,,"))
    assert result.ok


def test_more_than_the_row_limit_is_refused_beyond_it():
    lines = ["工号,姓名,部门"] + [f"E{n},员工{n},一部" for n in range(MAX_ROWS + 1)]
    result = parse_employees("a.csv", csv_file(*lines))
    assert len(result.rows) == MAX_ROWS
    assert result.errors == (
        RowError(MAX_ROWS + 2, None, f"超过 {MAX_ROWS} 行的上限，本行及以后未读取：请拆分文件后分批导入"),
    )


@pytest.mark.parametrize(("filename", "data", "message"), [
    ("员工.xls", b"\xd0\xcf\x11\xe0", "不支持的文件类型“.xls”"),
    ("员工", b"", "不支持的文件类型“员工”"),
    ("a.csv", b"", "文件是空的"),
    ("a.csv", b"\r\n , \r\n", "文件是空的"),
    ("a.csv", xlsx_file(["工号"]), "这是 Excel 工作簿，不是 CSV"),
    ("a.csv", b"\x81\x30\xff\xfe\x80", "无法识别文件编码"),
    ("a.xlsx", "工号,姓名,部门".encode(), "无法读取 XLSX 文件"),
    ("a.xlsx", xlsx_file(), "文件是空的"),
])
def test_file_level_errors(filename, data, message):
    result = parse_employees(filename, data)
    assert len(result.errors) == 1 and result.errors[0].row == FILE
    assert str(result.errors[0]).startswith("文件：" + message)


def test_utf16_text_from_excel():
    data = "\ufeff工号\t姓名\t部门\r\nE1\t张三\t一部\r\n".encode("utf-16-le")
    result = parse_employees("a.csv", data)
    assert result.ok and result.encoding == "utf-16" and result.rows[0].name == "张三"


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-03-01", date(2024, 3, 1)),
    ("2024/3/1", date(2024, 3, 1)),
    ("2024.3.1", date(2024, 3, 1)),
    ("2024年3月1日", date(2024, 3, 1)),
    ("２０２４年３月１日", date(2024, 3, 1)),
    ("2024-03-01 00:00:00", date(2024, 3, 1)),
])
def test_hire_date_forms(text, expected):
    result = parse_employees("a.csv", csv_file("工号,姓名,部门,入职日期", f"E1,张三,一部,{text}"))
    assert result.rows[0].hire_date == expected


@pytest.mark.parametrize("text", ["2024-02-30", "2024-3/1", "3/1/2024", "45352", "明天", "2024-03"])
def test_bad_hire_dates(text):
    result = parse_employees("a.csv", csv_file("工号,姓名,部门,入职日期", f"E1,张三,一部,{text}"))
    assert errors_of(result) == [f"第 2 行「入职日期」：日期无法识别：{text}"]


@pytest.mark.parametrize("email", ["a@b.cn", "zhang.san+hr@bank-1.com.cn", "o'neil@bank.cn"])
def test_good_emails(email):
    result = parse_employees("a.csv", csv_file("工号,姓名,部门,邮箱", f"E1,张三,一部,{email}"))
    assert result.rows[0].email == email


@pytest.mark.parametrize("email", ["abc", "a@b", "a@@b.cn", "a b@c.cn", "a@b..cn", "@b.cn", "a@.cn",
                                   "a@b.cn;c@d.cn"])
def test_bad_emails(email):
    result = parse_employees("a.csv", csv_file("工号,姓名,部门,邮箱", f'E1,张三,一部,"{email}"'))
    assert [error.column for error in result.errors] == ["邮箱"]


def test_file_errors_print_without_a_row():
    assert str(RowError(FILE, None, "坏了")) == "文件：坏了"
    assert str(RowError(3, "邮箱", "邮箱格式不正确：abc")) == "第 3 行「邮箱」：邮箱格式不正确：abc"


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(["a.csv", "a.xlsx", "a.txt", ""]), data=st.binary(max_size=2000))
def test_any_bytes_give_errors_not_exceptions(name, data):
    result = parse_employees(name, data)
    assert result.ok or all(str(error) for error in result.errors)


@settings(max_examples=200, deadline=None)
@given(body=st.text(alphabet=st.sampled_from('E1张,;"\r\n\t @.-/年月日　Ｅ１\x00'), max_size=300))
def test_any_rows_under_a_good_header_give_errors_not_exceptions(body):
    result = parse_employees("a.csv", ("工号,姓名,部门,邮箱,入职日期\n" + body).encode())
    assert result.ok or result.errors
    assert all(row.row >= 2 for row in result.rows)


# Writing ------------------------------------------------------------------------------------

HEADERS = ["姓名", "成绩", "完成日期", "最后登录", "备注"]
ROWS = [
    ["张三", 92.50000000000001, date(2024, 3, 1), datetime(2024, 3, 1, 9, 30, 15), "=HYPERLINK(\"x\")"],
    ["李四", -5, None, None, "-5"],
    ["王五", 0.1 + 0.2, date(2024, 3, 2), None, "+1"],
    ["赵六", Decimal("88.50"), None, None, "@SUM(A1)"],
    ["钱七", True, None, None, "\t=1"],
]


def test_csv_for_excel():
    data = write_csv(HEADERS, ROWS)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == 6 and data.count(b"\n") == 6
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows == [
        HEADERS,
        ["张三", "92.5", "2024-03-01", "2024-03-01 09:30", "'=HYPERLINK(\"x\")"],
        ["李四", "-5", "", "", "'-5"],
        ["王五", "0.3", "2024-03-02", "", "'+1"],
        ["赵六", "88.50", "", "", "'@SUM(A1)"],
        ["钱七", "TRUE", "", "", "'\t=1"],
    ]


@pytest.mark.parametrize(("value", "text"), [
    (100.0, "100"), (-0.0, "0"), (1e-9, "0"), (0.0000014, "0.000001"), (float("nan"), ""), (12345, "12345"),
])
def test_csv_numbers(value, text):
    """Floats are rounded to 6 decimal places; Excel has no NaN or infinity."""
    assert write_csv(["x", "y"], [[value, 1]]).decode("utf-8-sig").split("\r\n")[1] == text + ",1"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(), min_size=1, max_size=5))
def test_csv_text_reads_back_defused(cells):
    rows = list(csv.reader(io.StringIO(write_csv(["a"], [cells]).decode("utf-8-sig"), newline="")))
    assert rows[1] == [("'" + cell if cell and cell[0] in "=+-@\t\r\n\0＝＋－＠" else cell) for cell in cells]


def read_xlsx(data: bytes) -> openpyxl.worksheet.worksheet.Worksheet:
    return openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]


def test_xlsx_for_excel():
    sheet = read_xlsx(write_xlsx("培训成绩", HEADERS, ROWS))
    assert sheet.title == "培训成绩"
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert all(cell.font.bold for cell in sheet[1])
    assert not sheet["A2"].font.bold
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:E6"

    assert sheet["B2"].data_type == "n" and sheet["B2"].value == 92.5
    assert sheet["B3"].value == -5 and sheet["B4"].value == 0.3 and sheet["B5"].value == 88.5
    assert sheet["B6"].value is True
    assert sheet["C2"].is_date and sheet["C2"].value == datetime(2024, 3, 1)
    assert sheet["C2"].number_format == "yyyy-mm-dd"
    assert sheet["D2"].is_date and sheet["D2"].value == datetime(2024, 3, 1, 9, 30, 15)
    assert sheet["D2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["C3"].value is None

    assert [sheet.cell(row, 5).value for row in range(2, 7)] == [
        "'=HYPERLINK(\"x\")", "'-5", "'+1", "'@SUM(A1)", "'\t=1",
    ]
    assert all(sheet.cell(row, 5).data_type == "s" for row in range(2, 7))


def test_xlsx_text_excel_cannot_hold_is_made_safe():
    sheet = read_xlsx(write_xlsx("x", ["a", "b", "c"], [["\x01=1+1", "a\x00b", 123456789012345678]]))
    assert sheet["A2"].value == "'=1+1"
    assert sheet["B2"].value == "ab"
    assert sheet["C2"].value == "123456789012345678"  # beyond Excel's 15 digits


def test_xlsx_column_widths_count_chinese_double():
    sheet = read_xlsx(write_xlsx("x", ["name", "姓名", "long"], [["abcd", "张三李四", "x" * 200]]))
    widths = [sheet.column_dimensions[letter].width for letter in "ABC"]
    assert widths == [6, 10, 60]


@pytest.mark.parametrize(("title", "expected"), [
    ("培训成绩", "培训成绩"),
    ("a/b\\c?d*e[f]g:h", "a_b_c_d_e_f_g_h"),
    ("'报表'", "报表"),
    ("x" * 40, "x" * 31),
    ("", "Sheet1"),
    ("history", "History_"),
])
def test_sheet_titles(title, expected):
    assert sheet_title(title) == expected


def test_xlsx_with_a_long_title_opens_cleanly():
    title = "2024 年第一季度信用卡催收员合规培训完成情况汇总（全部部门，含外包）"
    sheet = read_xlsx(write_xlsx(title, ["a"], []))
    assert len(sheet.title) == 31 and sheet.auto_filter.ref == "A1:A1"


def test_ten_thousand_rows_both_ways():
    rows = [[f"员工{n}", n, n / 3, date(2024, 3, 1), datetime(2024, 3, 1, 9, 30), "一部", None, True,
             "=x", "备注"] for n in range(10_000)]
    headers = [f"列{n}" for n in range(10)]
    assert write_csv(headers, rows).count(b"\r\n") == 10_001
    workbook = openpyxl.load_workbook(io.BytesIO(write_xlsx("x", headers, iter(rows))), read_only=True)
    assert sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True)) == 10_001
    workbook.close()


def test_names_no_certificate_can_hold_are_refused_by_row():
    result = parse_employees("a.csv", csv_file(
        HEADER,
        "E1,张🫠,一部,,,",
        "E2," + "王" * 61 + ",一部,,,",
        "E3,𪚥𠔻明,一部,,,",
    ))
    assert errors_of(result) == [
        "第 2 行「姓名」：证书无法打印姓名中的 🫠 U+1FAE0（没有字体包含这些字符）：请删除，或改用常见写法",
        f"第 3 行「姓名」：姓名超过 60 个字符，证书上放不下：{'王' * 40}…",
    ]
    assert [row.name for row in result.rows] == ["𪚥𠔻明"]


def test_blank_rows_and_errors_stop_reading_early():
    from lms.reports.spreadsheets import MAX_BLANK_ROWS, MAX_ERRORS

    blank = parse_employees("a.csv", csv_file("工号,姓名,部门", "E1,张三,一部", *[","] * (MAX_BLANK_ROWS + 5),
                                              "E2,李四,一部"))
    assert [row.employee_no for row in blank.rows] == ["E1"]
    assert errors_of(blank) == [
        f"第 {MAX_BLANK_ROWS + 3} 行：空行超过 {MAX_BLANK_ROWS} 行，本行及以后未读取：请删除空行后再上传"]
    wrong = parse_employees("a.csv", csv_file("工号,姓名,部门", *[f"E{n},张三," for n in range(1000)]))
    assert len(wrong.errors) == MAX_ERRORS + 1 and "本行以后未检查" in str(wrong.errors[-1])


def test_a_sheet_of_millions_of_empty_rows_stops_at_once():
    """A row numbered 5,000,000 would make openpyxl yield every missing row before it."""
    import time

    data = xlsx_file(["工号", "姓名", "部门"], ["E1", "张三", "一部"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as out:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"</sheetData>", b'<row r="5000000"><c r="XFD5000000" '
                                          b't="inlineStr"><is><t>x</t></is></c></row></sheetData>')
            out.writestr(info, content)
    started = time.perf_counter()
    result = parse_employees("a.xlsx", buffer.getvalue())
    assert time.perf_counter() - started < 5
    assert [row.employee_no for row in result.rows] == ["E1"] and "空行超过" in errors_of(result)[0]


def test_text_cells_follow_the_field_rules():
    result = parse_employees("a.csv", csv_file(
        "工号,姓名,部门,邮箱,入职日期,班组",
        "E1,张三,一部,,0001-01-01,",
        "E2,李\x07四,一部,,,",
        f"E3,王五,{'部' * 121},,,",
        f"E4,赵六,一部,,,{'班' * 121}",
        f"{'E' * 41},钱七,一部,,,",
        "E6,孙\u0065\u0301八,一部,,,"))
    assert errors_of(result) == [
        "第 2 行「入职日期」：入职日期应在 1950 年至 2100 年之间：0001-01-01",
        "第 3 行「姓名」：含有无法保存的控制字符 U+0007：请删除",
        f"第 4 行「部门」：超过 120 个字符的上限：{'部' * 40}…",
        f"第 5 行「班组」：超过 120 个字符的上限：{'班' * 40}…",
        f"第 6 行「工号」：超过 40 个字符的上限：{'E' * 40}…",
    ]
    assert [row.name for row in result.rows] == ["孙\u00e9八"]  # NFC


def test_a_csv_cell_beyond_the_csv_field_limit_stops_reading_at_its_row():
    result = parse_employees("a.csv", csv_file("工号,姓名,部门", "E1,张三,一部", "E2,李四," + "部" * 200_000,
                                               "E3,王五,一部"))
    assert [row.employee_no for row in result.rows] == ["E1"]
    assert errors_of(result) == ["第 3 行：无法按 CSV 读取此行：单元格过长，或引号不成对"]
