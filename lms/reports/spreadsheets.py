"""Spreadsheets for HR: the employee list they upload, and the CSV/XLSX reports they download.

Everything here works on bytes and plain values; nothing needs Flask or the database.
Messages are in Chinese because HR reads them as they are.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import os
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import chain, islice, zip_longest

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .. import fields
from ..certificates.fonts import NAME_MAX_LENGTH, name_problem

MAX_ROWS = 20_000
#: blank rows are skipped, but a file of little else is refused once it has this many
MAX_BLANK_ROWS = 1_000
#: the largest upload read at all
MAX_FILE_BYTES = 10 * 1024 * 1024
#: the largest part of a workbook (a sheet, its shared strings) unpacked: a sheet of MAX_ROWS
#: employees is a few MB, and a cell of hundreds of MB would be held in memory whole
MAX_XLSX_PART_BYTES = 20 * 1024 * 1024
FIRST_HIRE_YEAR, LAST_HIRE_YEAR = 1950, 2100
#: columns of a workbook read at all (the list has six)
MAX_COLUMNS = 100
#: problems reported before reading stops: enough to see what is wrong with the file
MAX_ERRORS = 200
#: the row of errors about the file as a whole; errors about the header carry the header's row
FILE = 0

#: field, which is also the English heading -> (Chinese heading, required)
COLUMNS = {
    "employee_no": ("工号", True),
    "name": ("姓名", True),
    "department": ("部门", True),
    "email": ("邮箱", False),
    "hire_date": ("入职日期", False),
    "cohort": ("班组", False),
}
KNOWN_COLUMNS = "、".join(
    f"{chinese}/{field}" + ("" if required else "（选填）") for field, (chinese, required) in COLUMNS.items()
)

_EDGES = re.compile(r"^[\s\ufeff\u200b]+|[\s\ufeff\u200b]+$")
_EMAIL = re.compile(r"[^@\s,;:<>()\[\]\"]+@[\w-]+(?:\.[\w-]+)+")
_DATES = (
    re.compile(r"(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})"
               r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"),  # a time after the date is ignored
    re.compile(r"(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日?"),
)
_NOT_XLSX = "无法读取 XLSX 文件：文件已损坏，或不是 Excel 2007 及以后版本的 .xlsx 工作簿"


@dataclass(frozen=True)
class EmployeeRow:
    row: int
    employee_no: str
    name: str
    department: str
    email: str | None
    hire_date: date | None
    cohort: str | None


@dataclass(frozen=True)
class RowError:
    row: int  # as HR sees it in Excel: the header is row 1; FILE (0) for the file as a whole
    column: str | None  # the heading as written in the file
    message: str

    def __str__(self) -> str:
        where = "文件" if self.row == FILE else f"第 {self.row} 行"
        if self.column:
            where += f"「{self.column}」"
        return f"{where}：{self.message}"


@dataclass(frozen=True)
class EmployeeImport:
    rows: tuple[EmployeeRow, ...]  # only the rows without errors
    errors: tuple[RowError, ...]
    encoding: str | None  # "utf-8", "gb18030" or "utf-16" for CSV; None for XLSX

    @property
    def ok(self) -> bool:
        return not self.errors


class _Unreadable(Exception):
    """The file cannot be read any further."""

    def __init__(self, error: RowError):
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class _Header:
    width: int
    columns: dict[str, tuple[int, str]]  # field -> (column index, heading as written)


def parse_employees(filename: str, data: bytes) -> EmployeeImport:
    """Read HR's employee list (.csv or .xlsx); every problem is reported, nothing is raised."""
    extension = os.path.splitext(filename)[1].lower()
    if len(data) > MAX_FILE_BYTES:
        return _failed(f"文件超过 {MAX_FILE_BYTES // (1024 * 1024)} MB 的上限：请拆分文件后分批导入")
    if extension == ".csv":
        if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
            return _failed("这是 Excel 工作簿，不是 CSV：请上传 .xlsx 文件，或在 Excel 中另存为 CSV")
        decoded = _decode(data)
        if decoded is None:
            return _failed("无法识别文件编码：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后再上传")
        text, encoding = decoded
        return _read(_csv_rows(text), encoding)
    if extension == ".xlsx":
        with warnings.catch_warnings():
            # openpyxl warns about parts it drops (data validation, unknown styles); the cells are intact
            warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")
            return _read(_xlsx_rows(data), None)
    shown = extension or _shorten(filename)
    return _failed(f"不支持的文件类型“{shown}”：请上传 .xlsx 或 .csv 文件（.xls 请先另存为 .xlsx）")


def _failed(message: str) -> EmployeeImport:
    return EmployeeImport((), (RowError(FILE, None, message),), None)


def _decode(data: bytes) -> tuple[str, str] | None:
    """UTF-8 (with or without BOM) first, then GB18030, which Excel in China uses for CSV."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text"
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding), encoding.removesuffix("-sig")
        except UnicodeDecodeError:
            continue
    return None


def _csv_rows(text: str) -> Generator[Sequence[object], None, None]:
    first_line = re.search(r"[^\r\n]+", text)
    header = first_line[0] if first_line else ""
    delimiter = max(",;\t", key=header.count)  # ties go to the comma
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    row = 0
    try:
        for cells in reader:
            row += 1
            yield cells
    except csv.Error:
        raise _Unreadable(RowError(row + 1, None, "无法按 CSV 读取此行：单元格过长，或引号不成对")) from None


def _oversized_part(data: bytes) -> bool:
    """Whether a part of the workbook unpacks to more than MAX_XLSX_PART_BYTES (said by the ZIP's
    directory, before anything is unpacked; unpacking stops at the size it declares)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(info.file_size > MAX_XLSX_PART_BYTES for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False  # not a ZIP: openpyxl says so in its own words below


def _xlsx_rows(data: bytes) -> Generator[Sequence[object], None, None]:
    if _oversized_part(data):
        limit = MAX_XLSX_PART_BYTES // (1024 * 1024)
        raise _Unreadable(RowError(FILE, None, f"工作簿的一部分解压后超过 {limit} MB，未读取：请删除多余的"
                                               "工作表、图片或过长的单元格，或另存为 CSV 后再上传"))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # damaged files fail in many ways: zipfile, XML parser, openpyxl itself
        raise _Unreadable(RowError(FILE, None, _NOT_XLSX)) from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some programs record a wrong size, which would cut rows off
        # cells past MAX_COLUMNS are never made: a cell in column XFD would widen every row
        yield from sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
    except Exception:
        raise _Unreadable(RowError(FILE, None, _NOT_XLSX)) from None
    finally:
        workbook.close()


def _read(rows: Generator[Sequence[object], None, None], encoding: str | None) -> EmployeeImport:
    """Check the header, then each row in turn; rows stream in and are never all held at once."""
    employees: list[EmployeeRow] = []
    errors: list[RowError] = []
    header: _Header | None = None
    first_rows: dict[str, int] = {}  # employee number -> row where it first appeared
    count = blank = 0
    try:
        for number, cells in enumerate(rows, start=1):
            if not any(_text(cell) for cell in cells):
                blank += 1
                if blank > MAX_BLANK_ROWS:
                    errors.append(RowError(number, None, f"空行超过 {MAX_BLANK_ROWS} 行，本行及以后未读取："
                                                         "请删除空行后再上传"))
                    break
                continue
            if header is None:
                header = _header(number, cells, errors)
                if header is None:
                    break
                continue
            count += 1
            if count > MAX_ROWS:
                message = f"超过 {MAX_ROWS} 行的上限，本行及以后未读取：请拆分文件后分批导入"
                errors.append(RowError(number, None, message))
                break
            employee = _employee(number, cells, header, first_rows, errors)
            if employee is not None:
                employees.append(employee)
            if len(errors) >= MAX_ERRORS:
                message = f"已有 {MAX_ERRORS} 处错误，本行以后未检查：请先改正以上错误"
                errors.append(RowError(number, None, message))
                break
    except _Unreadable as problem:
        errors.append(problem.error)
    finally:
        rows.close()
    if header is None and not errors:
        errors.append(RowError(FILE, None, f"文件是空的：第 1 行应为表头（{KNOWN_COLUMNS}）"))
    return EmployeeImport(tuple(employees), tuple(errors), encoding)


def _header(number: int, cells: Sequence[object], errors: list[RowError]) -> _Header | None:
    headings = [_text(cell) for cell in cells]
    while headings and not headings[-1]:
        headings.pop()
    before = len(errors)
    columns: dict[str, tuple[int, str]] = {}
    unknown: list[str] = []
    for index, heading in enumerate(headings):
        field = _FIELDS.get(_heading_key(heading))
        if not heading:
            errors.append(RowError(number, None, f"第 {index + 1} 列没有列名"))
        elif field is None:
            unknown.append(_shorten(heading))
        elif field in columns:
            errors.append(RowError(number, heading, f"与「{columns[field][1]}」是同一列，只能出现一次"))
        else:
            columns[field] = (index, heading)
    if unknown:
        shown = "、".join(unknown[:10]) + (f" 等 {len(unknown)} 列" if len(unknown) > 10 else "")
        errors.append(RowError(number, None, f"无法识别的列：{shown}（可用的列：{KNOWN_COLUMNS}）"))
    missing = [f"{chinese}/{field}" for field, (chinese, required) in COLUMNS.items()
               if required and field not in columns]
    if missing:
        errors.append(RowError(number, None, f"缺少必填列：{'、'.join(missing)}"))
    return _Header(len(headings), columns) if len(errors) == before else None


def _heading_key(heading: str) -> str:
    """Headings match ignoring case, full-width letters, and spaces or dashes for underscores."""
    return re.sub(r"[\s-]+", "_", unicodedata.normalize("NFKC", heading).casefold())


_FIELDS = {_heading_key(name): field for field, (chinese, _) in COLUMNS.items() for name in (field, chinese)}


def _employee(number: int, cells: Sequence[object], header: _Header, first_rows: dict[str, int],
              errors: list[RowError]) -> EmployeeRow | None:
    filled = [index for index in range(header.width, len(cells)) if _text(cells[index])]
    if filled:
        errors.append(RowError(number, None,
                               f"本行有 {filled[-1] + 1} 个单元格，多于表头的 {header.width} 列"))
        return None
    before = len(errors)
    values: dict[str, object] = dict.fromkeys(COLUMNS)
    for field, (index, heading) in header.columns.items():
        try:
            values[field] = _PARSERS[field](cells[index] if index < len(cells) else None)
        except ValueError as problem:
            errors.append(RowError(number, heading, str(problem)))
    employee_no = values["employee_no"]
    if isinstance(employee_no, str):
        first = first_rows.setdefault(employee_no, number)
        if first != number:
            errors.append(RowError(number, header.columns["employee_no"][1],
                                   f"工号 {employee_no} 与第 {first} 行重复"))
    if len(errors) > before:
        return None
    return EmployeeRow(number, **values)  # type: ignore[arg-type]


def _text(value: object) -> str:
    """A cell as text; whole numbers as Excel shows them (12345.0 -> "12345")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _EDGES.sub("", str(value))


def _normalised(value: object) -> str:
    """Text with full-width letters and digits made ordinary (Ｅ１００１ -> E1001)."""
    return _EDGES.sub("", unicodedata.normalize("NFKC", _text(value)))


def _required(text: str, label: str) -> str:
    if not text:
        raise ValueError(f"缺少{label}")
    return text


def _ruled(text: str, rule: fields.TextRule) -> str:
    """``text`` by the field's rule (NFC, no control characters, its length)."""
    text = fields.normalise(text, rule)
    problem = fields.text_problem(text, rule)
    if problem is not None and problem.kind == "too_long":
        raise ValueError(f"超过 {problem.limit} 个字符的上限：{_shorten(text)}")
    if problem is not None and problem.character in "\t\n\r":
        raise ValueError(f"含有换行或制表符（{problem.shown}）：此列只能是一行")
    if problem is not None:
        raise ValueError(f"含有无法保存的控制字符 {problem.shown}：请删除")
    return text


def _email(value: object) -> str | None:
    email = _ruled(_normalised(value), fields.EMAIL).lower()
    if not email:
        return None
    if not _EMAIL.fullmatch(email):
        raise ValueError(f"邮箱格式不正确：{_shorten(_text(value))}")
    return email


def _hire_date(value: object) -> date | None:
    day = _day(value)
    if day is not None and not FIRST_HIRE_YEAR <= day.year <= LAST_HIRE_YEAR:
        raise ValueError(f"入职日期应在 {FIRST_HIRE_YEAR} 年至 {LAST_HIRE_YEAR} 年之间：{day.isoformat()}")
    return day


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _normalised(value)
    if not text:
        return None
    for pattern in _DATES:
        match = pattern.fullmatch(text)
        if match:
            try:
                return date(int(match["year"]), int(match["month"]), int(match["day"]))
            except ValueError:
                break
    raise ValueError(f"日期无法识别：{_shorten(_text(value))}")


def _name(value: object) -> str:
    text = fields.normalise(_text(value), fields.DISPLAY_NAME)
    if len(text) > NAME_MAX_LENGTH:  # said before the rule's own limit, in the certificate's words
        raise ValueError(f"姓名超过 {NAME_MAX_LENGTH} 个字符，证书上放不下：{_shorten(text)}")
    name = _required(_ruled(text, fields.DISPLAY_NAME), "姓名")
    problem = name_problem(name)
    if problem is not None and problem.too_long:
        raise ValueError(f"姓名超过 {NAME_MAX_LENGTH} 个字符，证书上放不下：{_shorten(name)}")
    if problem is not None:
        raise ValueError(f"证书无法打印姓名中的 {problem.shown}（没有字体包含这些字符）：请删除，"
                         f"或改用常见写法")
    return name


_PARSERS = {
    "employee_no": lambda value: _required(_ruled(_normalised(value), fields.EMPLOYEE_NO), "工号"),
    "name": _name,
    "department": lambda value: _required(_ruled(_text(value), fields.DEPARTMENT), "部门"),
    "email": _email,
    "hire_date": _hire_date,
    "cohort": lambda value: _ruled(_text(value), fields.COHORT) or None,
}


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


# Exports ------------------------------------------------------------------------------------

#: a text cell starting with one of these may run as a formula (OWASP "CSV injection");
#: full-width signs are included because Chinese input methods type them
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "＝", "＋", "－", "＠")
SAMPLE_ROWS = 200  # rows looked at to size the XLSX columns
MAX_XLSX_TEXT = 32_767  # Excel's limit for one cell
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def write_csv(headers: list[str], rows: Iterable[Sequence[object]]) -> bytes:
    """CSV for Excel: UTF-8 with BOM so Chinese shows correctly, CRLF line ends."""
    return b"".join(csv_chunks(headers, rows))


def csv_chunks(headers: list[str], rows: Iterable[Sequence[object]], lines: int = 500) -> Iterator[bytes]:
    """``write_csv``'s bytes, ``lines`` rows at a time, as the rows come: a download streamed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_text(heading) for heading in headers])
    first = True
    for count, row in enumerate(rows, start=1):
        writer.writerow([_csv_text(value) for value in row])
        if count % lines == 0:
            yield buffer.getvalue().encode("utf-8-sig" if first else "utf-8")
            buffer.seek(0)
            buffer.truncate()
            first = False
    yield buffer.getvalue().encode("utf-8-sig" if first else "utf-8")


def write_xlsx(title: str, headers: list[str], rows: Iterable[Sequence[object]]) -> bytes:
    """One sheet: bold, frozen header with a filter; real numbers and dates; columns sized to fit."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(title))
    rows = iter(rows)
    sample = list(islice(rows, SAMPLE_ROWS))  # a write-only sheet needs its column widths first
    for index, width in enumerate(_column_widths(headers, sample), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_header_cell(sheet, heading, bold) for heading in headers])
    count = 0
    for row in chain(sample, rows):
        sheet.append([_xlsx_value(sheet, value) for value in row])
        count += 1
    if headers:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_title(title: str) -> str:
    """A name Excel accepts for a sheet: at most 31 characters, none of \\ / ? * [ ] :."""
    title = re.sub(r"[\\/?*\[\]:]", "_", ILLEGAL_CHARACTERS_RE.sub("", title))
    title = title[:31].strip().strip("'")  # Excel rejects a name starting or ending with '
    if title.casefold() == "history":  # reserved by Excel
        title = "History_"
    return title or "Sheet1"


def _defuse(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _number(value: float) -> float | None:
    """Round away binary noise (0.1 + 0.2 -> 0.3); None for NaN and infinity, which Excel lacks."""
    if not math.isfinite(value):
        return None
    return round(value, 6) + 0.0  # + 0.0 turns -0.0 into 0.0


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        number = _number(value)
        return "" if number is None else f"{number:.6f}".rstrip("0").rstrip(".")
    if isinstance(value, datetime):
        return f"{value.date().isoformat()} {value:%H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return _defuse(str(value))


def _xlsx_text(value: object) -> str:
    # characters Excel forbids go first, so that what is left is what gets checked
    return _defuse(ILLEGAL_CHARACTERS_RE.sub("", str(value)))[:MAX_XLSX_TEXT]


def _xlsx_value(sheet: object, value: object) -> object:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        # Excel keeps 15 significant digits: longer numbers (ID or card numbers) stay exact as text
        return value if abs(value) < 10**15 else str(value)
    if isinstance(value, float | Decimal):
        return _number(float(value))
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value.replace(tzinfo=None))  # Excel has no time zones
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        return value  # openpyxl formats dates as yyyy-mm-dd
    return _xlsx_text(value)


def _header_cell(sheet: object, heading: str, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, _xlsx_text(heading))
    cell.font = font
    return cell


def _column_widths(headers: list[str], sample: list[Sequence[object]]) -> list[int]:
    """Characters wide, CJK counting double, between 6 and 60."""
    columns = zip_longest(headers, *sample)
    return [max(6, min(60, max(map(_display_width, column)) + 2)) for column in columns]


def _display_width(value: object) -> int:
    lines = _csv_text(value).splitlines() or [""]
    return max(sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in line)
               for line in lines)
