"""The run of a command that turns each input into one record with worker processes (track, actions):
resume notice, progress bar, the writer closed whatever happens, shards merged, and the whole output read
back so the summary and the exit code cover earlier runs too."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from fdacli.commands.display import fail, progress_bar, say


def run_records(plan: Any, factory: Callable[[], Any], ids: set[str], output: Path, *, workers: int, verb: str,
                noun: str, cannot_start: str, quiet: bool) -> tuple[list[dict], bool] | None:
    """Process ``plan.todo``; return every record of ``ids`` in the output and whether to show a summary, or None
    on a shard that is not the first (it has nothing to report)."""
    from fdacli.core.run import runner

    show = not quiet and plan.shard.is_main
    if show and plan.skipped:
        say(f"resuming {output}: {plan.skipped} {noun}(s) already done, {len(plan.todo)} to go")
    try:
        with progress_bar(len(plan.todo), verb, quiet=not show) as bar:
            for rec in runner.run(plan.todo, factory, plan.writer, workers=workers):
                bar.advance(f"{rec['id']}: {rec['status']}")
    except runner.WorkerStartError as exc:
        fail(f"cannot start {cannot_start}: {exc}")
    finally:
        plan.writer.close()
    runner.finish(output, plan.shard)
    if not plan.shard.is_main:
        return None
    return runner.records_for(output, ids), show
