"""From annotations to instruction data: one conversation per usable clip, a deterministic train/test split,
and the statistics — with a reason, and its ``file:line``, for every record left out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fdacli.core.dataset import instructions as ins
from fdacli.core.dataset.statistics import Stats, source_of
from fdacli.core.model.instructions import choose_instruction
from fdacli.core.run.readers import read_annotations, read_tracks


@dataclass
class BuildOptions:
    test_size: float = 0.0  # scikit-learn's convention: in (0, 1) a fraction of the ids, ≥ 1 a count
    seed: int = 0
    keep_inferences: bool = False
    with_summary: bool = False
    video_root: Path | None = None


@dataclass
class BuildResult:
    train: list[dict[str, Any]] = field(default_factory=list)
    test: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # (file:line, id, reason)
    stats: Stats = field(default_factory=Stats)


def build(annotations: list[Path], tracks: Path | None, opts: BuildOptions) -> BuildResult:
    """Raises ``RecordError`` for malformed input files (with ``file:line``): every annotation is checked by the
    annotations contract (core/run/contracts.py).  One id twice keeps the first record, within a file and across
    files; each later one is left out, naming the first."""
    track_info = {rec["id"]: rec for _, rec in read_tracks(tracks) if rec.get("status") == "ok"} if tracks else {}
    out, seen = BuildResult(), {}
    for path in annotations:
        twice: list = []
        for lineno, rec in read_annotations(path, twice):
            where, rid = f"{path}:{lineno}", rec["id"]
            if rid in seen:
                out.skipped.append((where, rid, f"duplicate id (the first, {seen[rid]}, kept)"))
                continue
            seen[rid] = where
            sample, why = _sample(rec, track_info.get(rid), opts)
            if sample is None:
                out.skipped.append((where, rid, why))
                continue
            out.stats.add(source_of(sample["video"]), sample["conversations"][1]["value"], _duration(rec, track_info.get(rid)))
            out.train.append(sample)
        out.skipped += [(t.where, t.id, f"duplicate id (the first, {t.first}, kept)") for t in twice]
    if opts.test_size:
        test = ins.test_ids([s["id"] for s in out.train], opts.seed, opts.test_size)
        out.test = [s for s in out.train if s["id"] in test]
        out.train = [s for s in out.train if s["id"] not in test]
    return out


def _sample(rec: dict[str, Any], tr: dict[str, Any] | None, opts: BuildOptions) -> tuple[dict[str, Any] | None, str]:
    rid = rec["id"]
    if rec.get("status") in ("dropped", "error"):  # `fda review pull` keeps the reviewer's drops, with reasons
        return None, f"{rec['status']}: {', '.join(map(str, rec.get('drop') or [])) or rec.get('error') or 'no reason given'}"
    cap = ins.caption_of(rec, opts.with_summary)
    if not cap or not cap.strip():
        return None, "no caption"
    video = rec.get("video")
    if not isinstance(video, str) or not video:
        return None, "no video path"
    text = cap.strip() if opts.keep_inferences else ins.strip_inferences(cap)
    if not text:
        return None, "nothing left after removing [inferences]"
    if opts.video_root is not None:
        try:
            video = str(Path(video).resolve().relative_to(opts.video_root.resolve()))
        except ValueError:
            pass
    sample = ins.conversation(rid, video, text, choose_instruction(rid, opts.seed))
    if tr is not None:
        sample.update(key_frames=tr.get("key_frames") or [], key_frame_boxes=tr.get("key_frame_boxes") or [],
                      main_track_ids=tr.get("main_track_ids") or [], fps=tr.get("fps"),
                      **({"video_fingerprint": tr["video_fingerprint"]} if tr.get("video_fingerprint") else {}))
    return sample, ""


def _duration(rec: dict[str, Any], tr: dict[str, Any] | None) -> float | None:
    """The analysed clip's length: [start, end) of the source when the manifest trimmed it."""
    duration = rec.get("duration")
    if tr is not None and tr.get("fps") and tr.get("num_frames"):
        end = tr.get("end") if tr.get("end") is not None else tr["num_frames"] / tr["fps"]
        duration = end - (tr.get("start") or 0.0)
    return duration if isinstance(duration, (int, float)) else None
