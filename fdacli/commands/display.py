"""Terminal display shared by every command: progress with ETA, summary tables, errors.

Everything goes to stderr so that stdout stays clean for data (a caption, a JSON path).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

console = Console(stderr=True)


@contextmanager
def progress_bar(total: int, description: str, quiet: bool = False) -> Iterator[Any]:
    """A rich progress bar over ``total`` items; ``advance()`` on the yielded object per item."""
    if quiet or total == 0:
        yield _NoBar()
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("•"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[last]}", style="dim"),
        console=console,
        transient=False,
    )
    with bar:
        task = bar.add_task(description, total=total, last="")
        yield _Bar(bar, task)


class _Bar:
    def __init__(self, bar: Progress, task: Any) -> None:
        self.bar, self.task = bar, task

    def advance(self, note: str = "") -> None:
        self.bar.update(self.task, advance=1, last=note[:40])


class _NoBar:
    def advance(self, note: str = "") -> None:
        pass


def flag(label: str, style: str, text: str) -> None:
    """One line: a coloured label, then data printed literally (reasons often contain [brackets])."""
    console.print(f"[{style}]{label}[/] {escape(text)}", highlight=False)


def say(text: str) -> None:
    """A line of plain data, never read as rich markup."""
    console.print(escape(text), highlight=False)


def table(title: str, columns: list[str], rows: Iterable[Iterable[Any]]) -> Table:
    t = Table(title=title, title_justify="left", header_style="bold")
    for i, c in enumerate(columns):
        t.add_column(c, justify="left" if i == 0 else "right")
    for r in rows:
        t.add_row(*(escape(str(v)) for v in r))
    return t


def fail(message: str, code: int = 2) -> None:
    """Print a one-line error and exit; used for problems with the invocation itself."""
    import typer

    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)
