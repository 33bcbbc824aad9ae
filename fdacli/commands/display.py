"""Terminal display shared by every command: progress with ETA, summary tables, errors.

Everything goes to stderr so that stdout stays clean for data (a caption, a JSON path).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from rich.table import Column, Table
from rich.text import Text

console = Console(stderr=True)


@contextmanager
def progress_bar(total: int | None, description: str, quiet: bool = False, completed: int = 0,
                 transient: bool = False, status: Callable[[], str] | None = None) -> Iterator[Any]:
    """The one progress display of every command: a rich bar with count, elapsed time, ETA and a note.

    ``advance(note)`` per item (track, preannotate, caption), ``set(completed, note)`` for step counters
    (finetune), ``stage(description, total)`` to start the next stage on the same line (score; pass
    ``total=None``).  ``status`` is read at every refresh, so a line like an LLM client's calls in flight,
    retried and failed stays live while nothing completes.  Notes are shown literally: ids and reasons are
    never read as rich markup."""
    if quiet or total == 0:
        yield _NoBar()
        return
    extra = [_Status(status)] if status is not None else []
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("•"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[last]}", style="dim", markup=False, table_column=Column(no_wrap=True, overflow="ellipsis")),
        *extra,
        console=console,
        transient=transient,
    )
    with bar:
        task = bar.add_task(escape(description), total=total, completed=completed, last="") if total is not None else None
        yield _Bar(bar, task)


class _Status(ProgressColumn):
    def __init__(self, status: Callable[[], str]) -> None:
        super().__init__()
        self.status = status

    def render(self, task: Any) -> Any:  # every refresh (10 Hz): nothing to import here
        return Text(self.status(), style="cyan", no_wrap=True, overflow="ellipsis")  # one line, cut at narrow widths


class _Bar:
    def __init__(self, bar: Progress, task: Any) -> None:
        self.bar, self.task = bar, task

    def advance(self, note: str = "") -> None:
        if self.task is not None:
            self.bar.update(self.task, advance=1, last=note[:60])

    def set(self, completed: int, note: str = "") -> None:
        if self.task is not None:
            self.bar.update(self.task, completed=completed, last=note[:60])

    def stage(self, description: str, total: int) -> None:
        if self.task is not None:
            self.bar.remove_task(self.task)
        self.task = self.bar.add_task(escape(description), total=total or None, last="")

    def print(self, text: str) -> None:
        self.bar.console.print(text, highlight=False, markup=False)


class _NoBar:
    def advance(self, note: str = "") -> None:
        pass

    def set(self, completed: int, note: str = "") -> None:
        pass

    def stage(self, description: str, total: int) -> None:
        pass

    def print(self, text: str) -> None:
        pass


def flag(label: str, style: str, text: str) -> None:
    """One line: a coloured label, then data printed literally (reasons often contain [brackets])."""
    console.print(f"[{style}]{label}[/] {escape(text)}", highlight=False)


def say(text: str) -> None:
    """A line of plain data, never read as rich markup."""
    console.print(escape(text), highlight=False)


def table(title: str, columns: list[str], rows: Iterable[Iterable[Any]]) -> Any:
    """A summary table.  A title ``fda X → PATH`` too wide for the terminal puts the path on a line of its
    own above the table, whole, instead of breaking it inside the title."""
    from rich.console import Group

    head, _, path = title.partition(" → ")
    wide = len(title) > console.width - 2 and path
    t = Table(title=None if wide else escape(title), title_justify="left", header_style="bold")
    for i, c in enumerate(columns):
        t.add_column(c, justify="left" if i == 0 else "right")
    for r in rows:
        t.add_row(*(escape(str(v)) for v in r))
    if not wide:
        return t
    return Group(Text(f"{head} →", style="italic"), Text(path, style="italic", overflow="fold"), t)


def fail(message: str, code: int = 2) -> None:
    """Print a one-line error and exit; used for problems with the invocation itself."""
    import typer

    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)
