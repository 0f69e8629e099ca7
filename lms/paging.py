"""A long list shown a page at a time: which rows, and which page links to offer."""

from __future__ import annotations

from dataclasses import dataclass

PAGE_SIZES = (25, 50, 100, 200)
PER_PAGE = 50


def page_size(asked: int | None) -> int:
    """The rows per page asked for, if it is one of PAGE_SIZES; else PER_PAGE."""
    return asked if asked in PAGE_SIZES else PER_PAGE


@dataclass(frozen=True)
class Pager:
    page: int  # from 1, within 1..pages
    per_page: int
    total: int  # rows in all pages

    @classmethod
    def of(cls, total: int, page: int, per_page: int) -> Pager:
        """Page ``page`` of ``total`` rows; a page past the last shows the last."""
        pages = max(1, -(-total // per_page))
        return cls(min(max(1, page), pages), per_page, total)

    sizes = PAGE_SIZES  # what "rows per page" offers

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def first(self) -> int:
        """The position of the page's first row (from 1); 0 when there are none."""
        return self.offset + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.offset + self.per_page, self.total)

    def numbers(self, around: int = 2) -> list[int | None]:
        """The page numbers to link: the first, the last and ``around`` either side of this one;
        None where pages are left out (1 … 4 5 6 7 8 … 200)."""
        shown = sorted(n for n in {1, self.pages, *range(self.page - around, self.page + around + 1)}
                       if 1 <= n <= self.pages)
        numbers: list[int | None] = []
        for number in shown:
            if numbers and number - (numbers[-1] or 0) > 1:
                numbers.append(None)
            numbers.append(number)
        return numbers
