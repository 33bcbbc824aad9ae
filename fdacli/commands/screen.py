"""fda screen — the paper's clip filters measured from tracks and actions records, before anyone pays for a draft."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional

import typer

from fdacli.commands.display import console, fail, flag, progress_bar, say, table
from fdacli.core.screen.thresholds import Thresholds as T


def screen(
    tracks: Path = typer.Argument(..., help="tracks.jsonl from `fda track`."),
    output: Path = typer.Option(..., "--output", "-o", help="Screen JSONL, one record per clip with every verdict; an existing file is resumed."),
    actions: Optional[Path] = typer.Option(None, "--actions", help="actions.jsonl from `fda actions`: measure too few and too many facial changes (without it: \"not measured\")."),
    keep: Optional[Path] = typer.Option(None, "--keep", help="Write the kept clips' tracks records here: the input of `fda preannotate`."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Draw each measure's distribution over the clips with its threshold, one PNG per measure under DIR/."),
    min_face_area: float = typer.Option(T.min_face_area, "--min-face-area", help="Drop a clip whose main face covers no more than this share of the frame (median over its frames; the paper's 5 %)."),
    max_people_at_once: int = typer.Option(T.max_people_at_once, "--max-people-at-once", help="Drop a clip with more people (identities) on screen at the same time."),
    max_people: int = typer.Option(T.max_people, "--max-people", help="Drop a clip with more people (identities) in the whole clip."),
    max_cuts_per_second: float = typer.Option(T.max_cuts_per_second, "--max-cuts-per-second", help="Drop a clip with more shot cuts per second."),
    min_shot: float = typer.Option(T.min_shot, "--min-shot", help="Drop a clip with a shot between two cuts shorter than this many seconds."),
    still_picture: float = typer.Option(T.still_picture, "--still-picture", help="Picture change (mean per frame, 0-255) under which the picture is still."),
    still_face: float = typer.Option(T.still_face, "--still-face", help="Main-face movement (landmark spread, face widths) under which the face is still; static = both still."),
    min_changes: float = typer.Option(T.min_changes, "--min-changes", help="Facial changes per second under which a clip has too few (needs --actions)."),
    max_changes: float = typer.Option(T.max_changes, "--max-changes", help="Facial changes per second over which a clip has too many to annotate (needs --actions)."),
    min_strength: float = typer.Option(T.min_strength, "--min-strength", help="The strongest facial change must reach this many times its detection threshold (needs --actions)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Start the output over instead of resuming (to screen again with other thresholds)."),
    retry_errors: bool = typer.Option(False, "--retry-errors", help="Screen again the clips that failed before (after tracking or measuring them again)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Measure the paper's clip filters on every tracked clip: face size (the 5 % rule), too many people, frequent
    perspective switches, static scenes, too few or too many facial changes (with --actions); violent content is
    left to annotators.  Every verdict comes with its measured value, its threshold and a reason; --keep writes the
    kept clips for `fda preannotate`."""
    from fdacli.core.run import runner
    from fdacli.core.screen import thresholds

    t = thresholds.Thresholds(
        min_face_area=min_face_area, max_people_at_once=max_people_at_once, max_people=max_people,
        max_cuts_per_second=max_cuts_per_second, min_shot=min_shot, still_picture=still_picture, still_face=still_face,
        min_changes=min_changes, max_changes=max_changes, min_strength=min_strength,
    )
    if bad := thresholds.problems(t):
        fail(bad[0])
    acts, claims, items, plan = _prepare(tracks, actions, output, keep, plot, t, overwrite, retry_errors, quiet)
    try:
        for _ in runner.run(plan.todo, lambda: _written, plan.writer):
            pass
    finally:
        plan.writer.close()
    records = runner.records_for(output, {it.id for it in items})  # the whole output: earlier runs' verdicts too
    _outputs(records, items, tracks, keep, plot, quiet)
    for c in claims:
        c.release()
    if not quiet:
        _summary(records, output)
    if any(r.get("status") == "error" for r in records):
        raise typer.Exit(1)


def _prepare(tracks: Path, actions: Path | None, output: Path, keep: Path | None, plot: Path | None, t: Any,
             overwrite: bool, retry_errors: bool, quiet: bool) -> tuple[Any, list, list, Any]:
    """Everything that can refuse the run, before anything is written: the actions file, a resume with other
    settings, the outputs, every tracks record (screened as it is read), the output's plan."""
    from fdacli.core.run import outputs, readers, runner
    from fdacli.core.run.records import RecordError
    from fdacli.core.screen import screening

    inputs = [tracks, *([actions] if actions else [])]
    try:
        with _no_cycle_collection():
            acts = _read_actions(actions)
        shaped_by = screening.settings(t, acts)
        if not overwrite and (diffs := outputs.changed_settings(output, shaped_by)):
            fail(f"{output} was screened with other settings ({'; '.join(diffs)}): use --overwrite to screen again "
                 "(a quick pass), or choose another -o")
        claims = _hold_outputs(output, keep, plot, inputs)
        with _no_cycle_collection():
            items = _screen_all(tracks, acts, t, quiet)
        plan = runner.plan(items, output, overwrite=overwrite, retry_errors=retry_errors, command="screen",
                           inputs=inputs, settings=shaped_by, sync_every=1.0)
        if plan.skipped:  # the verdicts already there join the summary, --keep and --plot: checked like any input
            for _ in readers.read_screen(output):
                pass
    except (RecordError, outputs.OutputError) as exc:
        fail(str(exc))
    if not quiet:
        _notes(items, acts, plan, output)
    return acts, claims, items, plan


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused for a pass over records: JSON records are trees that reference counting
    frees, while the collector would rescan every screen record held so far at each of its full passes, which the
    millions of objects a tracks file decodes into keep triggering (a third of the time of 10,000 clips)."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _written(item: Any) -> dict:
    """The runner's worker: the clip was screened while the tracks file was read; this hands its record over."""
    return item.record


def _read_actions(path: Path | None) -> Any:
    from fdacli.core.screen.inputs import read_actions
    from fdacli.core.screen.screening import Actions

    return Actions(None) if path is None else Actions(read_actions(path), path)


def _hold_outputs(output: Path, keep: Path | None, plot: Path | None, inputs: list[Path]) -> list:
    """--keep is replaced whole and --plot's figures one by one: both checked and held before any work."""
    from fdacli.core.run import outputs

    outputs.check(output, inputs)  # before the screening pass, not after it
    if keep is not None:
        outputs.check(keep, [output])
        if keep.resolve() == output.resolve():
            raise outputs.OutputError(f"--keep {keep} is the screen output itself; choose another file")
    return outputs.hold("screen", files=[keep], folders=[plot], inputs=inputs)


def _screen_all(tracks: Path, acts: Any, t: Any, quiet: bool) -> list:
    """Every clip of the tracks file screened, reading it as a stream (only the small screen records are kept)."""
    from fdacli.core.screen.inputs import read_tracks
    from fdacli.core.screen.screening import ScreenItem, screen

    from fdacli.core.screen.screening import settings

    items, shaped_by = [], settings(t, acts)
    # live on a terminal only, and gone when done: the pass takes seconds, and a bad record's one-line error must
    # not follow a half-drawn bar
    with progress_bar(_count_lines(tracks), "screening", quiet=quiet or not console.is_terminal, transient=True) as bar:
        for line, rec in read_tracks(tracks):
            items.append(ScreenItem(rec["id"], screen(rec, acts, t, shaped_by), line))
            bar.advance(rec["id"])
    return items


def _count_lines(path: Path) -> int | None:
    try:
        with path.open("rb") as fh:
            return sum(1 for line in fh if line.strip())
    except OSError:
        return None  # read_tracks says what is wrong with it


def _notes(items: list, acts: Any, plan: Any, output: Path) -> None:
    if plan.skipped:
        say(f"resuming {output}: {plan.skipped} clip(s) already screened, {len(plan.todo)} to go")
    if acts.records is None:
        return
    ids = {it.id for it in items}
    missing = [i for i in sorted(ids) if i not in acts.records]
    if missing:
        flag("note:", "yellow", f"{len(missing)} clip(s) have no record in {acts.path} ({', '.join(missing[:5])}"
             f"{', …' if len(missing) > 5 else ''}): their facial change is not measured")
    if ids and len(missing) == len(ids):
        flag("warning:", "yellow", f"{acts.path} has no record for any clip of the tracks file: is it from another run?")


def _outputs(records: list[dict], items: list, tracks: Path, keep: Path | None, plot: Path | None, quiet: bool) -> None:
    """--keep from the whole output (a resumed run's earlier verdicts included) and --plot over every clip."""
    if keep is not None:
        from fdacli.core.screen.keep import write_keep

        kept = {r["id"] for r in records if r.get("status") == "ok" and r.get("keep")}
        n = write_keep(tracks, {it.line: it.record.get("video") for it in items if it.id in kept}, keep)
        if not quiet:
            say(f"{n} kept clip(s) → {keep} (tracks records: the input of fda preannotate)")
    if plot is not None:
        from fdacli.core.screen.plot import plot_measures

        paths = plot_measures(records, plot)
        if not quiet:
            say(f"{len(paths)} distribution plot(s) → {plot}/")


def _summary(records: list[dict], output: Path) -> None:
    from fdacli.core.screen import criteria as c

    ok = [r for r in records if r.get("status") == "ok"]
    errors = [r for r in records if r.get("status") != "ok"]
    kept = sum(1 for r in ok if r.get("keep"))
    console.print(table(f"fda screen → {output}", ["clips", "kept", "dropped", "failed"],
                        [[len(records), kept, len(ok) - kept, len(errors)]]))
    rows = []
    for name, label in c.CRITERIA.items():
        verdicts = [(r.get("criteria") or {}).get(name, {}) for r in ok]
        dropped = sum(1 for v in verdicts if v.get("verdict") == c.DROP)
        unmeasured = sum(1 for v in verdicts if v.get("verdict") in (c.NOT_MEASURED, c.ANNOTATORS))
        rows.append([label, _threshold_words(name, ok), dropped, unmeasured])
    console.print(table("criteria", ["criterion", "drops when", "dropped", "not measured"], rows))
    for r in errors[:10]:
        flag("error", "red", f"{r['id']}: {r.get('error')}")


def _threshold_words(name: str, records: list[dict]) -> str:
    """The rule of a criterion in words, with the thresholds the records were screened with."""
    t = next((r["settings"] for r in records if isinstance(r.get("settings"), dict)), None)
    if name == "violent_content":
        return "left to annotators"
    if t is None:
        return "–"
    return {
        "face_size": f"face ≤ {100 * t['min_face_area']:g} %",
        "people": f"> {t['max_people_at_once']} at once, > {t['max_people']} in all",
        "perspective_switches": f"> {t['max_cuts_per_second']:g} cuts/s, shot < {t['min_shot']:g} s",
        "static": f"picture < {t['still_picture']:g}, face < {t['still_face']:g}",
        "facial_change": (f"< {t['min_changes']:g} or > {t['max_changes']:g} /s, < {t['min_strength']:g}x"
                          if t.get("actions") else "needs --actions"),
    }[name]
