"""fda track — main-character face tracking over videos (paper §4.2.2)."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Optional

import typer

from fdacli.commands.display import console, fail, flag, progress_bar, say, table
from fdacli.commands.extras import require

DETECTOR_HELP = "Face detector backend: yunet (OpenCV, fast) or mtcnn (facenet-pytorch)."


def track(
    videos: list[Path] = typer.Argument(None, help="Video files, folders (searched recursively) or manifest .jsonl files."),
    output: Path = typer.Option(..., "--output", "-o", help="Output JSONL, one record per video; an existing file is resumed."),
    manifest: Optional[Path] = typer.Option(None, "--manifest", "-m", help="Manifest JSONL from `fda sample` (id, video, start, end)."),
    fps: float = typer.Option(16.0, help="Analysis frame rate; the paper resamples to 16 fps (never upsamples)."),
    detector: str = typer.Option("yunet", "--detector", "-d", help=DETECTOR_HELP),
    det_threshold: float = typer.Option(0.7, help="Minimum face detection score."),
    min_face: int = typer.Option(16, help="Ignore faces smaller than this many pixels (at analysis size)."),
    max_side: int = typer.Option(512, help="Decode for analysis with the long side at most this many pixels (0 = source size)."),
    key_frames: int = typer.Option(16, "--key-frames", "-k", help="Number of key frames (16 in training)."),
    embed_every: int = typer.Option(16, help="Identity features on every Nth frame plus whenever association is ambiguous; 1 = every face, every frame (StrongSORT as published)."),
    max_cos_dist: float = typer.Option(0.4, help="Appearance gate: largest cosine distance to a track's EMA feature."),
    max_iou_dist: float = typer.Option(0.7, help="IoU matching gate for tentative and just-missed tracks."),
    max_age: int = typer.Option(30, help="Frames a confirmed track survives without a detection."),
    n_init: int = typer.Option(3, help="Consecutive detections that confirm a track."),
    ema_alpha: float = typer.Option(0.9, help="Appearance EMA momentum."),
    lambda_: float = typer.Option(0.98, "--lambda", help="Weight of appearance against motion in the matching cost."),
    gating_threshold: float = typer.Option(9.4877, help="Mahalanobis gate (chi-square, 4 dof, 95%)."),
    shots: bool = typer.Option(True, "--shots/--no-shots", help="Detect shot cuts; no track crosses one (StrongSORT per shot)."),
    shot_threshold: float = typer.Option(12.0, help="Content change (mean |ΔHSV| of 64x36 thumbnails, 0-255) that makes a hard cut."),
    min_identity_sim: float = typer.Option(0.25, help="A track whose fresh identity feature is less similar than this to its history ends there."),
    link_sim: float = typer.Option(0.4, help="Mean-feature similarity that links tracks into one person across shots and re-entries."),
    min_track_score: float = typer.Option(0.75, help="Drop tracks whose median detection score is lower (false detections); 0 keeps all."),
    crops: Optional[Path] = typer.Option(None, "--crops", help="Write the main character's face crops at the key frames under DIR/<id>/."),
    crop_margin: float = typer.Option(0.5, help="Margin around the face box, as a fraction of its size."),
    crop_size: int = typer.Option(224, help="Crop side in pixels."),
    viz: Optional[Path] = typer.Option(None, "--viz", help="Write one contact-sheet PNG per video under DIR/."),
    workers: int = typer.Option(1, "--workers", "-j", help="Worker processes on this machine."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Start the output over instead of resuming."),
    retry_errors: bool = typer.Option(False, "--retry-errors", help="Run again the videos that failed in an earlier run."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Detect, track and pick the main character's face in each video; write one JSONL record per video.

    Under `accelerate launch` each process takes its shard of the videos and the first process merges the results into OUTPUT.
    """
    from fdacli.core.run import runner
    from fdacli.core.track.pipeline import FaceTrackingModule, TrackOptions
    from fdacli.core.faces import DETECTORS
    from fdacli.core.run.inputs import collect_videos
    from fdacli.core.run.records import RecordError
    from fdacli.core.track.faceness import FacenessConfig
    from fdacli.core.track.shots import ShotConfig
    from fdacli.core.track.tracker import TrackerConfig

    if detector.lower() not in DETECTORS:
        fail(f"unknown detector {detector!r}; choose one of: {', '.join(DETECTORS)}")
    if detector.lower() == "mtcnn":
        require("mtcnn", "fda track --detector mtcnn")
    if not videos and manifest is None:
        fail("give video files, folders or a --manifest")
    try:
        items = collect_videos(list(videos or []), manifest)
    except RecordError as exc:
        fail(str(exc))
    if not items:
        fail(f"no video files found in: {', '.join(map(str, videos or [manifest]))}")

    cfg = TrackerConfig(
        max_cos_dist=max_cos_dist, max_iou_dist=max_iou_dist, max_age=max_age, n_init=n_init, ema_alpha=ema_alpha,
        lambda_=lambda_, gating_threshold=gating_threshold, embed_every=embed_every, min_identity_sim=min_identity_sim,
    )
    # Share the cores among worker processes, and among the processes accelerate put on this machine.
    per_machine = workers * max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1")))
    threads = max(1, (os.cpu_count() or 1) // per_machine) if per_machine > 1 else 0
    opts = TrackOptions(
        fps=fps, detector=detector.lower(), det_threshold=det_threshold, min_face=min_face, max_side=max_side,
        key_frames=key_frames, tracker=cfg, crops_dir=str(crops) if crops else None, crop_margin=crop_margin,
        crop_size=crop_size, viz_dir=str(viz) if viz else None, threads=threads,
        shots=ShotConfig(enabled=shots, threshold=shot_threshold), link_sim=link_sim,
        faceness=FacenessConfig(enabled=min_track_score > 0, min_score=min_track_score),
    )
    try:
        plan = runner.plan(items, output, overwrite=overwrite, retry_errors=retry_errors)
    except RecordError as exc:
        fail(str(exc))
    show = not quiet and plan.shard.is_main
    if show and plan.skipped:
        say(f"resuming {output}: {plan.skipped} video(s) already done, {len(plan.todo)} to go")
    try:
        with progress_bar(len(plan.todo), "tracking", quiet=not show) as bar:
            for rec in runner.run(plan.todo, partial(FaceTrackingModule, opts), plan.writer, workers=workers):
                bar.advance(f"{rec['id']}: {rec['status']}")
    except runner.WorkerStartError as exc:
        fail(f"cannot start the tracker: {exc}")
    finally:
        plan.writer.close()
    runner.finish(output, plan.shard)
    if not plan.shard.is_main:
        return
    records = runner.records_for(output, plan.new_ids)
    if show:
        _summary(records, output)
    if any(r.get("status") == "error" for r in records):
        raise typer.Exit(1)


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
