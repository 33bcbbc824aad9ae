"""Benchmark for `fda actions`: what measuring the main face adds to tracking it.

On the 720p clips of bench/track.py (one person, three people; 10 s at 30 fps, composed from
public-domain photographs) and on carphone (real, 176x144), in one run on this machine:
  * track: the whole `fda track` pipeline for the clip (the baseline);
  * actions: `fda actions` on that tracks record (decoding the main face's frames again, 68 landmarks,
    signals, head pose, events);
  * two-pass = (track + actions) / track;
  * fused = `fda track --actions` (one decoding: every face tracking detects is fitted on tracking's own
    frames while it runs, the main people's fits are kept) / track  (issue 22 target: <= 1.3, moonshot 1.15);
  * the same two ratios in CPU seconds (all threads): far less disturbed by other programs on a shared machine;
  * fitted = faces fitted by the fused pass per main-face frame (the price of not knowing who is main until
    tracking ends), and refit = those fitted afterwards on frames decoded again (faces left for later, under
    half the area of the largest face on their frame, that turned out to be main); same = the fused pass wrote
    the very records the two passes wrote;
  * landmarks + signals per face in ms (the part that is not decoding).
Each timing is the median of --repeat runs after one warm-up; track and actions runs alternate so both
see the same load.  The 720p clips of bench/track.py's busy set are measured too.

    python bench/actions.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import footage  # noqa: E402
import media  # noqa: E402
from media import ONE_PERSON, THREE_PEOPLE, compose  # noqa: E402

from fdacli.core.actions.measure import ActionMeter, SeenFaces, items_from_tracks, main_face  # noqa: E402
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


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def fused(tracker: FaceTrackingModule, meter: ActionMeter, item: VideoItem) -> tuple[dict, dict, SeenFaces]:
    """`fda track --actions`: tracking with every face fitted on its frames, then the main people's records."""
    seen = SeenFaces(meter)
    rec = tracker(item, on_faces=seen)
    return rec, meter(items_from_tracks([rec])[0], seen=seen), seen


def _same(a: dict, b: dict) -> bool:
    return {k: v for k, v in a.items() if k != "seconds"} == {k: v for k, v in b.items() if k != "seconds"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fda-bench-actions-"))
    clips = {
        "1 person, 720p": compose(tmp / "one.mp4", ONE_PERSON, seconds=args.seconds, fps=30, size=(1280, 720)),
        "3 people, 720p": compose(tmp / "three.mp4", THREE_PEOPLE, seconds=args.seconds, fps=30, size=(1280, 720)),
        **{f"{name}, 720p": footage.write(tmp / f"{name}.mp4", scenes(args.seconds)) for name, scenes in footage.BUSY.items()},
        "edited (cutaway)": media.talking_with_cutaway(tmp / "cutaway.mp4"),
        "carphone (real)": media.carphone(),
    }
    tracker = FaceTrackingModule(TrackOptions())
    meter = ActionMeter()
    print(f"{'clip':24} {'track s':>8} {'actions s':>10} {'fused s':>8} {'two-pass':>9} {'fused':>6} {'cpu 2-pass':>10} "
          f"{'cpu fused':>9} {'fitted':>7} {'refit':>6} {'same':>5} {'faces':>6} {'ms/face':>8} {'events':>7}")
    for name, path in clips.items():
        item = VideoItem(path.stem, str(path))
        rec = tracker(item)
        meter(items_from_tracks([rec])[0])  # warm-up
        fused(tracker, meter, item)
        t_track, t_act, t_fused, c_track, c_act, c_fused = [], [], [], [], [], []
        for _ in range(args.repeat):
            t, c = time.perf_counter(), cpu_s()
            rec = tracker(item)
            t_track.append(time.perf_counter() - t), c_track.append(cpu_s() - c)
            t, c = time.perf_counter(), cpu_s()
            out = meter(items_from_tracks([rec])[0])
            t_act.append(time.perf_counter() - t), c_act.append(cpu_s() - c)
            t, c = time.perf_counter(), cpu_s()
            rec2, out2, seen = fused(tracker, meter, item)
            t_fused.append(time.perf_counter() - t), c_fused.append(cpu_s() - c)
        same = _same(rec, rec2) and _same(out, out2)
        main_frames = sum(len(p["frames"]) for p in [out, *out.get("others", [])]) or 1
        tr, ac, fu = statistics.median(t_track), statistics.median(t_act), statistics.median(t_fused)
        two = statistics.median((a + b) / a for a, b in zip(t_track, t_act))
        one = statistics.median(f / a for a, f in zip(t_track, t_fused))
        cpu_two = statistics.median((a + b) / a for a, b in zip(c_track, c_act))
        cpu_one = statistics.median(f / a for a, f in zip(c_track, c_fused))
        print(f"{name:24} {tr:8.3f} {ac:10.3f} {fu:8.3f} {two:9.2f} {one:6.2f} {cpu_two:10.2f} {cpu_one:9.2f} {(seen.fitted + seen.refitted) / main_frames:7.2f} {seen.refitted:6d} "
              f"{'yes' if same else 'NO':>5} {len(out['frames']):6d} {per_face_ms(meter, rec):8.2f} {len(out['events']):7d}", flush=True)


if __name__ == "__main__":
    main()
