"""Sampling clips from emotion-video datasets and movies into a manifest (paper §3.1).

Dataset mode: clips listed by index files (CSV or JSONL with path, label, optional dataset and
duration) or found in folders whose sub-folder names are labels.  Per dataset, ``per_dataset`` clips are
drawn uniformly over its labels: each label gets an equal share, the remainder goes one each to labels
in seeded order, and a label with too few clips hands its shortfall to labels that have more.
Durations come from the container (no full decode).

Movie mode: random windows of ``clip_len`` seconds from long videos, kept only when the face detector
finds a face covering more than ``min_face_area`` of the frame on a few frames of the window.
"""

from __future__ import annotations

import csv
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fdacli.core.run.inputs import VIDEO_SUFFIXES, resolve_video
from fdacli.core.run.records import RecordError, read_jsonl
from fdacli.core.media.video import VideoError, probe


@dataclass
class Candidate:
    id: str
    video: str
    dataset: str
    label: str | None
    duration: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def read_index(path: Path) -> list[Candidate]:
    """Candidates from a CSV (header with path/video and label) or JSONL index; paths relative to it."""
    rows: list[tuple[str, dict]] = []
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as fh:  # -sig: spreadsheets write a byte-order mark
            reader = csv.DictReader(fh)
            for lineno, row in enumerate(reader, start=2):
                rows.append((f"{path}:{lineno}", {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}))
    else:
        from fdacli.core.run.contracts import check_index_row

        for n, rec in read_jsonl(path, require=()):
            check_index_row(rec, f"{path}:{n}:")
            rows.append((f"{path}:{n}", rec))
    out = []
    for where, rec in rows:
        video = rec.get("path") or rec.get("video")
        if not video:
            raise RecordError(f"{where}: missing 'path' (or 'video')")
        label = rec.get("label")
        if label in (None, ""):
            raise RecordError(f"{where}: missing 'label'")
        v = Path(resolve_video(video, [], listed_in=path))
        dataset = str(rec.get("dataset") or path.stem)
        dur = rec.get("duration")
        try:
            dur = float(dur) if dur not in (None, "") else None
        except ValueError:
            dur = math.nan
        if dur is not None and not (math.isfinite(dur) and dur >= 0):  # "nan", "inf", "-1" in a CSV cell
            raise RecordError(f"{where}: 'duration' must be a number of seconds (got {rec.get('duration')!r})")
        try:
            rel = v.resolve().relative_to(path.parent.resolve()).with_suffix("").as_posix()
        except ValueError:
            rel = v.with_suffix("").as_posix().lstrip("/")
        rid = str(rec.get("id") or f"{dataset}/{rel}")
        out.append(Candidate(rid, str(v), dataset, str(label), dur))
    return out


def read_folder(path: Path) -> list[Candidate]:
    """<dataset folder>/<label>/<clip>: sub-folder names are the labels."""
    _check_layout(path)
    out = []
    name = path.resolve().name  # `fda sample .` names the dataset after the folder, not ""
    for label_dir in sorted(p for p in path.iterdir() if p.is_dir()):
        for f in sorted(q for q in label_dir.rglob("*") if q.is_file() and q.suffix.lower() in VIDEO_SUFFIXES):
            rel = f.relative_to(label_dir).with_suffix("").as_posix()
            out.append(Candidate(f"{name}/{label_dir.name}/{rel}", str(f), name, label_dir.name))
    return out


def _videos_in(folder: Path) -> list[Path]:
    return [q for q in folder.iterdir() if q.is_file() and q.suffix.lower() in VIDEO_SUFFIXES]


def _check_layout(path: Path) -> None:
    """Refuse the layout that would sample nothing: videos right in the folder (no label folders).  A
    folder of datasets (labels one level further down) looks exactly like labels whose clips sit in
    subfolders (``<label>/<actor>/<clip>``), so it is only pointed out (``layout_note``)."""
    subdirs = [d for d in path.iterdir() if d.is_dir()]
    labelled = [d for d in subdirs if any(q.suffix.lower() in VIDEO_SUFFIXES for q in d.rglob("*") if q.is_file())]
    if not labelled:
        loose = _videos_in(path)
        if loose:
            raise RecordError(f"{path}: {len(loose)} video(s) sit directly in this folder; a dataset folder holds one folder "
                              f"per label (<dataset>/<label>/<clip>), or give an index file (CSV/JSONL with path,label)")
        raise RecordError(f"{path}: no video files under this folder (expected <dataset>/<label>/<clip>)")


def layout_note(path: Path) -> str | None:
    """A note when every label folder holds only folders of clips: either clips grouped in subfolders
    (fine) or a folder of datasets passed one level too high (labels would be the dataset names)."""
    labelled = [d for d in path.iterdir() if d.is_dir() and any(q.suffix.lower() in VIDEO_SUFFIXES for q in d.rglob("*") if q.is_file())]
    nested = [d for d in labelled if not _videos_in(d) and any(_videos_in(e) for e in d.iterdir() if e.is_dir())]
    if labelled and len(nested) == len(labelled):
        names = ", ".join(d.name for d in sorted(nested)[:3])
        return (f"{path}: the label folders ({names}) hold only subfolders of clips; if they are datasets, not labels, "
                f"pass each dataset folder instead (e.g. {path / sorted(nested)[0].name})")
    return None


def collect(sources: list[Path]) -> list[Candidate]:
    cands: list[Candidate] = []
    for s in sources:
        if s.is_dir():
            cands += read_folder(s)
        elif s.is_file():
            cands += read_index(s)
        else:
            raise RecordError(f"{s}: no such file or folder")
    return cands


def with_durations(cands: list[Candidate]) -> tuple[list[Candidate], list[tuple[Candidate, str]]]:
    """Fill missing durations from the container; unreadable videos come back with their reason."""
    ok, bad = [], []
    for c in cands:
        if c.duration is None:
            try:
                c.duration = probe(c.video).duration
            except VideoError as exc:
                bad.append((c, str(exc)))
                continue
        ok.append(c)
    return ok, bad


def quotas(available: dict[str, int], total: int, rng: random.Random) -> dict[str, int]:
    """Equal shares per label, the remainder one each in seeded order, shortfalls handed on."""
    labels = sorted(available)
    q = {lab: 0 for lab in labels}
    left = min(total, sum(available.values()))
    while left > 0:
        open_ = [lab for lab in labels if q[lab] < available[lab]]
        share, rem = divmod(left, len(open_))
        order = open_[:]
        rng.shuffle(order)
        for i, lab in enumerate(order):
            take = min(available[lab] - q[lab], share + (1 if i < rem else 0))
            q[lab] += take
            left -= take
    return q


def sample_datasets(cands: list[Candidate], per_dataset: int | None, seed: int) -> list[Candidate]:
    by_ds: dict[str, dict[str, list[Candidate]]] = defaultdict(lambda: defaultdict(list))
    for c in cands:
        by_ds[c.dataset][c.label or ""].append(c)
    chosen = []
    for ds in sorted(by_ds):
        labels = by_ds[ds]
        rng = random.Random(f"{seed}:{ds}")
        if per_dataset is None:
            chosen += [c for lab in sorted(labels) for c in labels[lab]]
            continue
        q = quotas({lab: len(v) for lab, v in labels.items()}, per_dataset, rng)
        for lab in sorted(labels):
            pool = sorted(labels[lab], key=lambda c: c.id)
            chosen += sorted(rng.sample(pool, q[lab]), key=lambda c: c.id)
    return chosen


def count_table(records: list[dict]) -> list[list[Any]]:
    counts = Counter((r["dataset"], r.get("label") or "–") for r in records)
    return [[ds, lab, n] for (ds, lab), n in sorted(counts.items())]


# ---------------------------------------------------------------- movie mode
def face_share(detector, frames) -> float:
    """Largest face box area / frame area over the frames given (0 when no face)."""
    best = 0.0
    for f in frames:
        h, w = f.shape[:2]
        for face in detector.detect(f):
            best = max(best, face.area / float(w * h))
    return best


def movie_clips(
    videos: list[Path], clip_len: float, count: int, min_face_area: float, seed: int, check_frames: int = 3,
    max_side: int = 512, detector_name: str = "yunet",
) -> tuple[list[Candidate], list[tuple[str, str]]]:
    """Random windows with a large enough face; returns kept clips and (source, reason) for rejects."""
    from fdacli.core.faces import make_detector
    from fdacli.core.media.schedule import analysis_size
    from fdacli.core.media.video import iter_frames

    detector = make_detector(detector_name)
    rng = random.Random(seed)
    infos, rejected = {}, []
    for v in videos:
        try:
            info = probe(v)
        except VideoError as exc:
            rejected.append((str(v), str(exc)))
            continue
        if info.duration >= clip_len:
            infos[str(v)] = info
        else:
            rejected.append((str(v), f"shorter than --clip-len ({info.duration:.1f} s)"))
    kept: list[Candidate] = []
    taken: dict[str, list[tuple[float, float]]] = defaultdict(list)
    attempts = 0
    while infos and len(kept) < count and attempts < count * 20:
        attempts += 1
        src = rng.choice(sorted(infos))
        info = infos[src]
        start = round(rng.uniform(0, info.duration - clip_len), 3)
        end = start + clip_len
        if any(start < e and s < end for s, e in taken[src]):
            continue  # no overlapping clips from one source
        idx = sorted({min(info.num_frames - 1, int((start + (k + 0.5) * clip_len / check_frames) * info.fps)) for k in range(check_frames)})
        try:
            frames = [f for _, f in iter_frames(src, idx, size=analysis_size(info, max_side))]
        except VideoError as exc:
            rejected.append((src, str(exc)))
            del infos[src]  # an unreadable source is dropped, the others go on
            continue
        share = face_share(detector, frames)
        if share <= min_face_area:
            rejected.append((f"{src}@{start:.2f}s", f"largest face covers {share:.1%} of the frame (need > {min_face_area:.0%})"))
            continue
        taken[src].append((start, end))
        stem = Path(src).stem
        kept.append(Candidate(f"movie/{stem}/{int(start * 1000):08d}", src, "movie", None, clip_len,
                              {"start": start, "end": end, "face_share": round(share, 4)}))
    return sorted(kept, key=lambda c: c.id), rejected


def export_clip(src: str, start: float, end: float, out: Path) -> None:
    """Write [start, end) of ``src`` as its own MPEG-4 file at the source frame rate."""
    import cv2

    from fdacli.core.media.video import iter_frames

    info = probe(src)
    # half-up, as the tracker's resampling rounds: an exported clip holds the frames a trimmed one is analysed on
    first, last = int(math.floor(start * info.fps + 0.5)), min(info.num_frames, int(math.ceil(end * info.fps - 1e-6)))
    if last <= first:
        raise VideoError(f"nothing to export: [{start:.2f}, {end:.2f}) s is past the end ({info.duration:.2f} s)")
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), info.fps, (info.width, info.height))
    if not writer.isOpened():
        raise OSError(f"cannot write {out}")
    written = 0
    try:
        for _, frame in iter_frames(src, list(range(first, last))):
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
            written += 1
    finally:
        writer.release()
        if not written:
            out.unlink(missing_ok=True)
    if not written:
        raise VideoError(f"no frames could be exported from {Path(src).name}")
