"""Progress of long command-line work: a bar on a terminal, plain lines in logs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import click


class Progress(Protocol):
    def advance(self, steps: int, line: str | None = None) -> None: ...


class _Bar:
    def __init__(self, bar: Any):
        self.bar = bar

    def advance(self, steps: int, line: str | None = None) -> None:
        self.bar.update(steps)


class _Lines:
    def __init__(self, echo: Callable[[str], Any]):
        self.echo = echo

    def advance(self, steps: int, line: str | None = None) -> None:
        if line:
            self.echo(line)


class _Silent:
    def advance(self, steps: int, line: str | None = None) -> None:
        pass


SILENT: Progress = _Silent()


def is_terminal() -> bool:
    return sys.stdout.isatty()


@contextmanager
def progress(length: int, label: str, echo: Callable[[str], Any] = click.echo) -> Iterator[Progress]:
    """``click.progressbar`` when stdout is a terminal; otherwise each step's ``line`` (if any) is
    echoed, so cron mail and logs get lines rather than carriage returns."""
    if not is_terminal() or length <= 0:
        yield _Lines(echo)
        return
    with click.progressbar(length=length, label=label, file=sys.stdout, show_pos=True,
                           show_eta=True) as bar:
        yield _Bar(bar)
