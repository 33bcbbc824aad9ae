"""The run of a command that turns each input into one record with worker processes (track, actions):
resume notice, progress bar, the writer closed whatever happens, shards merged, and the whole output read
back so the summary and the exit code cover earlier runs too."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from fdacli.commands.display import fail, progress_bar, say


def run_records(plan: Any, factory: Callable[[], Any], ids: set[str], output: Path, *, workers: int, verb: str,
                noun: str, cannot_start: str, quiet: bool, beside: tuple[Any, Path] | None = None
                ) -> tuple[list[dict], bool] | None:
    """Process ``plan.todo``; return every record of ``ids`` in the output and whether to show a summary, or None
    on a shard that is not the first (it has nothing to report).

    ``beside``: the plan and path of a second output the worker's records carry a part for (PairedWriter); an
    item is done when both outputs have it."""
    from fdacli.core.run import runner
    from fdacli.core.run.records import PairedWriter

    todo, writer, skipped = plan.todo, plan.writer, plan.skipped
    if beside is not None:
        first = {str(it.id) for it in plan.todo}
        todo = [*plan.todo, *(it for it in beside[0].todo if str(it.id) not in first)]
        writer, skipped = PairedWriter(plan.writer, beside[0].writer), plan.skipped + len(plan.todo) - len(todo)
    show = not quiet and plan.shard.is_main
    if show and skipped:
        say(f"resuming {output}: {skipped} {noun}(s) already done, {len(todo)} to go")
    try:
        with progress_bar(len(todo), verb, quiet=not show) as bar:
            for rec in runner.run(todo, factory, writer, workers=workers):
                bar.advance(f"{rec['id']}: {rec['status']}")
    except runner.WorkerStartError as exc:
        fail(f"cannot start {cannot_start}: {exc}")
    finally:
        writer.close()
    for path in [output, *([beside[1]] if beside else [])]:
        runner.finish(path, plan.shard)
    if not plan.shard.is_main:
        return None
    return runner.records_for(output, ids), show
