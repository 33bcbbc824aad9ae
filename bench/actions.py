"""Benchmark for `fda actions`: what measuring the main face adds to tracking it.

On the 720p clips of bench/track.py (one person, three people; 10 s at 30 fps, composed from
public-domain photographs) and on carphone (real, 176x144), in one run on this machine:
  * track: the whole `fda track` pipeline for the clip (the baseline);
  * actions: `fda actions` on that tracks record (decoding the main face's frames again, 68 landmarks,
    signals, head pose, events);
  * ratio = (track + actions) / track  (target: <= 1.3, i.e. actions add at most 30 %);
  * landmarks + signals per face in ms (the part that is not decoding).
Each timing is the median of --repeat runs after one warm-up; track and actions runs alternate so both
see the same load.

    python bench/actions.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import media  # noqa: E402
from media import ONE_PERSON, THREE_PEOPLE, compose  # noqa: E402

from fdacli.core.actions.measure import ActionMeter, items_from_tracks, main_face  # noqa: E402
from fdacli.core.actions.signals import frame_signals  # noqa: E402
from fdacli.core.media.video import read_frames  # noqa: E402
from fdacli.core.run.inputs import VideoItem  # noqa: E402
from fdacli.core.track.pipeline import FaceTrackingModule, TrackOptions  # noqa: E402


def per_face_ms(meter: ActionMeter, rec: dict, n: int = 40) -> float:
    """Landmarks + signals for one face, decoding excluded."""
    face = main_face(rec)[:n]
    frames = read_frames(rec["video"], [f for f, *_ in face])
    t = time.perf_counter()
    for img, (_, box, _, _) in zip(frames, face):
        frame_signals(meter.landmarker.fit(img, box), rec["width"], rec["height"])
    return 1000 * (time.perf_counter() - t) / max(1, len(face))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fda-bench-actions-"))
    clips = {
        "1 person, 720p": compose(tmp / "one.mp4", ONE_PERSON, seconds=10, fps=30, size=(1280, 720)),
        "3 people, 720p": compose(tmp / "three.mp4", THREE_PEOPLE, seconds=10, fps=30, size=(1280, 720)),
        "carphone (real)": media.carphone(),
    }
    tracker = FaceTrackingModule(TrackOptions())
    meter = ActionMeter()
    print(f"{'clip':18} {'track s':>8} {'actions s':>10} {'(track+actions)/track':>22} {'faces':>6} {'ms/face':>8} {'events':>7}")
    for name, path in clips.items():
        item = VideoItem(path.stem, str(path))
        rec = tracker(item)
        action_item = items_from_tracks([rec])[0]
        meter(action_item)  # warm-up
        t_track, t_act = [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            rec = tracker(item)
            t_track.append(time.perf_counter() - t)
            t = time.perf_counter()
            out = meter(items_from_tracks([rec])[0])
            t_act.append(time.perf_counter() - t)
        tr, ac = statistics.median(t_track), statistics.median(t_act)
        print(f"{name:18} {tr:8.3f} {ac:10.3f} {(tr + ac) / tr:22.2f} {len(out['frames']):6d} {per_face_ms(meter, rec):8.2f} "
              f"{len(out['events']):7d}")


if __name__ == "__main__":
    main()
