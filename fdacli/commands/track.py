"""fda track — main-character face tracking over videos (paper §4.2.2)."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Optional

import typer

from fdacli.commands.batch import run_records
from fdacli.commands.display import console, fail, flag, say, table
from fdacli.commands.extras import require
from fdacli.core.track.config import FacenessConfig as F
from fdacli.core.track.config import ShotConfig as S
from fdacli.core.track.config import TrackerConfig as T
from fdacli.core.track.config import TrackOptions as O

DETECTOR_HELP = "Face detector backend: yunet (OpenCV, fast) or mtcnn (facenet-pytorch)."


def track(
    videos: list[Path] = typer.Argument(None, help="Video files, folders (searched recursively) or manifest .jsonl files."),
    output: Path = typer.Option(..., "--output", "-o", help="Output JSONL, one record per video; an existing file is resumed."),
    manifest: Optional[Path] = typer.Option(None, "--manifest", help="Manifest JSONL from `fda sample` (id, video, start, end)."),
    fps: float = typer.Option(O.fps, help="Analysis frame rate; the paper resamples to 16 fps (never upsamples)."),
    detector: str = typer.Option(O.detector, "--detector", "-d", help=DETECTOR_HELP),
    det_threshold: float = typer.Option(O.det_threshold, help="Minimum face detection score."),
    min_face: int = typer.Option(O.min_face, help="Ignore faces smaller than this many pixels (at analysis size)."),
    max_side: int = typer.Option(O.max_side, help="Decode for analysis with the long side at most this many pixels (0 = source size)."),
    key_frames: int = typer.Option(O.key_frames, "--key-frames", "-k", help="Number of key frames (16 in training)."),
    embed_every: int = typer.Option(T.embed_every, help="Identity features on every Nth frame plus whenever association is ambiguous; 1 = every face, every frame (StrongSORT as published)."),
    looks: int = typer.Option(T.looks, help="Looks (small face patches) per track that identity features vouched for; a face that looks like one of them needs no new feature. 0 = compare with the last frame only."),
    small_face: int = typer.Option(T.small_face, help="Faces smaller than this (pixels at analysis size) are background people: tracked and counted, refreshed only every --small-embed-every frames."),
    small_embed_every: int = typer.Option(T.small_embed_every, help="Scheduled identity features of faces under --small-face on every Nth frame."),
    max_cos_dist: float = typer.Option(T.max_cos_dist, help="Appearance gate: largest cosine distance to a track's EMA feature."),
    max_iou_dist: float = typer.Option(T.max_iou_dist, help="IoU matching gate for tentative and just-missed tracks."),
    max_age: int = typer.Option(T.max_age, help="Frames a confirmed track survives without a detection."),
    n_init: int = typer.Option(T.n_init, help="Consecutive detections that confirm a track."),
    ema_alpha: float = typer.Option(T.ema_alpha, help="Appearance EMA momentum."),
    lambda_: float = typer.Option(T.lambda_, "--lambda", help="Weight of appearance against motion in the matching cost."),
    gating_threshold: float = typer.Option(T.gating_threshold, help="Mahalanobis gate (chi-square, 4 dof, 95%)."),
    shots: bool = typer.Option(S.enabled, "--shots/--no-shots", help="Detect shot cuts; no track crosses one (StrongSORT per shot)."),
    shot_threshold: float = typer.Option(S.threshold, help="Content change (mean |ΔHSV| of 64x36 thumbnails, 0-255) that makes a hard cut."),
    min_identity_sim: float = typer.Option(T.min_identity_sim, help="Two fresh identity features in a row less similar than this to a track's history end the track (another person)."),
    link_sim: float = typer.Option(O.link_sim, help="Mean-feature similarity that links tracks into one person across shots and re-entries."),
    min_track_score: float = typer.Option(F.min_score, help="Drop tracks whose median detection score is lower (false detections); 0 keeps all."),
    crops: Optional[Path] = typer.Option(None, "--crops", help="Write the main character's face crops at the key frames under DIR/<id>/."),
    crop_margin: float = typer.Option(O.crop_margin, help="Margin around the face box, as a fraction of its size."),
    crop_size: int = typer.Option(O.crop_size, help="Crop side in pixels."),
    viz: Optional[Path] = typer.Option(None, "--viz", help="Write one contact-sheet PNG per video under DIR/."),
    actions_out: Optional[Path] = typer.Option(None, "--actions", help="Also measure every main person's facial actions on tracking's own decoding and write `fda actions` records to this JSONL (one pass over each video; the [actions] extra)."),
    workers: int = typer.Option(1, "--workers", "-w", help="Worker processes on this machine."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Start the output over instead of resuming."),
    retry_errors: bool = typer.Option(False, "--retry-errors", help="Run again the videos that failed in an earlier run."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Detect, track and pick the main character's face in each video; write one JSONL record per video.

    Under `accelerate launch` each process takes its shard of the videos and the first process merges the results into OUTPUT.
    """
    from fdacli.core.run import outputs, runner
    from fdacli.core.track.pipeline import FaceTrackingModule
    from fdacli.core.faces import DETECTORS
    from fdacli.core.run.inputs import collect_videos
    from fdacli.core.run.records import RecordError

    if detector.lower() not in DETECTORS:
        fail(f"unknown detector {detector!r}; choose one of: {', '.join(DETECTORS)}")
    if detector.lower() == "mtcnn":
        require("mtcnn", "fda track --detector mtcnn")
    if actions_out is not None:
        require("actions", "fda track --actions")
    if not videos and manifest is None:
        fail("give video files, folders or a --manifest")
    try:
        items = collect_videos(list(videos or []), manifest)
    except RecordError as exc:
        fail(str(exc))
    if not items:
        fail(f"no video files found in: {', '.join(map(str, videos or [manifest]))}")

    cfg = T(
        max_cos_dist=max_cos_dist, max_iou_dist=max_iou_dist, max_age=max_age, n_init=n_init, ema_alpha=ema_alpha,
        lambda_=lambda_, gating_threshold=gating_threshold, embed_every=embed_every, min_identity_sim=min_identity_sim,
        looks=looks, small_face=small_face, small_embed_every=small_embed_every,
    )
    # Share the cores among worker processes, and among the processes accelerate put on this machine.
    from fdacli.core.run import dist

    per_machine = workers * dist.current().local_world_size
    threads = max(1, (os.cpu_count() or 1) // per_machine) if per_machine > 1 else 0
    opts = O(
        fps=fps, detector=detector.lower(), det_threshold=det_threshold, min_face=min_face, max_side=max_side,
        key_frames=key_frames, tracker=cfg, crops_dir=str(crops) if crops else None, crop_margin=crop_margin,
        crop_size=crop_size, viz_dir=str(viz) if viz else None, threads=threads,
        shots=S(enabled=shots, threshold=shot_threshold), link_sim=link_sim,
        faceness=F(enabled=min_track_score > 0, min_score=min_track_score),
    )
    try:
        for folder in (crops, viz):
            if folder is not None:
                outputs.check(folder, folder=True)
        inputs = [*(videos or []), *([manifest] if manifest else [])]
        if actions_out is not None:  # refused before the tracks output is claimed
            if actions_out.resolve() == output.resolve():
                fail(f"--actions and -o name the same file ({output}): tracks and actions records go to two files")
            outputs.check(actions_out, [*inputs, output])
        plan = runner.plan(items, output, overwrite=overwrite, retry_errors=retry_errors, command="track",
                           inputs=inputs, settings=_settings(opts))
    except (RecordError, outputs.OutputError) as exc:
        fail(str(exc))
    beside = None
    if actions_out is not None:
        try:
            beside = (_actions_plan(items, actions_out, [*inputs, output], overwrite, retry_errors), actions_out)
        except (RecordError, outputs.OutputError) as exc:
            plan.writer.close()  # the tracks output is let go before saying why
            fail(str(exc))
    factory = partial(FaceTrackingModule, opts) if actions_out is None else partial(TrackAndMeasure, opts)
    done = run_records(plan, factory, {it.id for it in items}, output, workers=workers, verb="tracking", noun="video",
                       cannot_start="the tracker" if actions_out is None else "the tracker or the landmark model",
                       quiet=quiet, beside=beside)
    if done is None:
        return
    # the summary and the exit code cover the whole output: a rerun after failures still reports them
    records, show = done
    if show:
        if plan.skipped:
            say(f"{len(plan.new_ids)} video(s) tracked now, {plan.skipped} done before; the table covers the "
                f"{len(records)} video(s) asked for" + _others(output, len(records)))
        _summary(records, output)
    measured = runner.records_for(actions_out, {it.id for it in items}) if actions_out is not None else []
    if show and actions_out is not None:
        from fdacli.commands.actions import _summary as actions_summary

        actions_summary(measured, actions_out)
    if any(r.get("status") == "error" for r in [*records, *measured]):
        raise typer.Exit(1)


class TrackAndMeasure:
    """`fda track --actions`: each video tracked, and its main people measured on the frames tracking decodes —
    the two stages composed here, neither knowing the other (the tracker shows a face hook every detection as its
    record will hold it; the meter keeps the fits of the faces that turn out to be main)."""

    def __init__(self, opts) -> None:
        from fdacli.core.actions.measure import ActionMeter
        from fdacli.core.track.pipeline import FaceTrackingModule

        self.tracker, self.meter = FaceTrackingModule(opts), ActionMeter()

    def __call__(self, item) -> dict:
        from fdacli.core.actions.measure import ActionItem, SeenFaces

        seen = SeenFaces(self.meter)
        rec = self.tracker(item, on_faces=seen)
        measured = self.meter(ActionItem(item.id, item.video, rec), seen=seen)
        status = "ok" if rec["status"] == measured["status"] == "ok" else "error"
        return {"id": rec["id"], "status": status, "parts": [rec, measured]}


def _actions_plan(items: list, path: Path, inputs: list, overwrite: bool, retry_errors: bool):
    """The actions output planned as `fda actions` plans its own (same command, same settings: either resumes
    the other's file)."""
    from fdacli.core.actions.events import VERSION
    from fdacli.core.run import runner

    return runner.plan(items, path, overwrite=overwrite, retry_errors=retry_errors, command="actions", inputs=inputs,
                       settings={"version": VERSION})


def _summary(records: list[dict], output: Path) -> None:
    rows = []
    for status in ("ok", "error"):
        rs = [r for r in records if r.get("status") == status]
        if not rs and status == "error":
            continue
        rows.append((
            status, len(rs), sum(len(r.get("shots", [])) for r in rs), sum(r.get("faces", 0) for r in rs),
            sum(len(r.get("tracks", [])) for r in rs), sum(len(r.get("identities", [])) for r in rs),
            sum(len(r.get("main_track_ids", [])) for r in rs), f"{sum(r.get('seconds', 0) for r in rs):.1f}",
        ))
    cols = ["status", "videos", "shots", "faces", "tracks", "people", "main tracks", "seconds"]
    console.print(table(f"fda track → {output}", cols, rows))
    for r in [r for r in records if r.get("status") == "error"][:10]:
        flag("error", "red", f"{r['id']}: {r.get('error')}")


def _settings(opts) -> dict:
    """What shapes a tracks record (a rerun with other values would mix two kinds of record); where pictures go
    and how many threads work does not."""
    from dataclasses import asdict

    return {k: v for k, v in asdict(opts).items() if k not in ("crops_dir", "viz_dir", "threads", "detect_threads", "embed_threads")}


def _others(output: Path, asked: int) -> str:
    """What else the output holds: a table of this run's videos must not pass for the whole file."""
    from fdacli.core.run.records import ResumableWriter

    more = len(ResumableWriter.peek_ids(output)) - asked
    return f"; {output} holds {more} more from other runs" if more > 0 else f", all of {output}"
