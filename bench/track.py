"""Benchmark for `fda track`: track wall time against decode-only wall time of the same clip.

For a 720p one-person clip, a 720p three-person clip and the same three people in an edited clip of
four shots joined by hard cuts (composed from public-domain photos, 10 s at 30 fps), per detector, in
one run on this machine:
  * decode-only: decord decoding the 16-fps frames at source size (what any pipeline must pay);
  * track: the whole per-video pipeline (decode, detect, embed, track, select, key frames);
  * ratio = track / decode-only (target for the default detector: <= 3x);
  * real-time factor = video seconds / track wall seconds (target: >= 2x);
  * peak RSS (VmHWM) of a fresh process doing the track (tracemalloc misses native buffers);
  * cut / no-cut = track time of the edited clip / of the three-person clip (target: <= 1.2).
Each timing is the median of --repeat runs after one warm-up run; decode-only and track runs
alternate so that both see the same load on these noisy machines.

    python bench/track.py                 # both detectors, both clips
    python bench/track.py --detectors yunet --embed-every 1 4 8
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from media import ONE_PERSON, THREE_PEOPLE, Person, Shot, compose, compose_shots  # noqa: E402

from fdacli.core.track.pipeline import FaceTrackingModule, TrackOptions  # noqa: E402
from fdacli.core.run.inputs import VideoItem  # noqa: E402
from fdacli.core.track.tracker import TrackerConfig  # noqa: E402
from fdacli.core.media.video import iter_frames, probe, resample_indices  # noqa: E402


def edited_three_people(path: Path, seconds: float) -> Path:
    """THREE_PEOPLE in four shots of a quarter each: new background, positions mirrored every other shot."""
    def mirrored(p: Person) -> Person:
        return Person(p.face, p.size, (1 - p.start[0], p.start[1]), (1 - p.end[0], p.end[1]), p.t_in, p.t_out)

    shots = [Shot(THREE_PEOPLE if k % 2 == 0 else [mirrored(p) for p in THREE_PEOPLE], seconds / 4, seed=10 + k) for k in range(4)]
    return compose_shots(path, shots, fps=30, size=(1280, 720))


def decode_only(path: Path) -> float:
    info = probe(path)
    idx = resample_indices(info, 16.0)
    t = time.perf_counter()
    for _ in iter_frames(path, idx):
        pass
    return time.perf_counter() - t


def track_once(module: FaceTrackingModule, path: Path) -> tuple[float, dict]:
    t = time.perf_counter()
    rec = module(VideoItem(id=path.stem, video=str(path)))
    return time.perf_counter() - t, rec


def peak_rss_mb(path: Path, detector: str, embed_every: int) -> float:
    code = (
        "import sys;sys.path.insert(0,%r);"
        "from fdacli.core.track.pipeline import FaceTrackingModule,TrackOptions;"
        "from fdacli.core.run.inputs import VideoItem;o=TrackOptions(detector=%r);o.tracker.embed_every=%d;"
        "FaceTrackingModule(o)(VideoItem('x',%r));"
        # VmHWM, not ru_maxrss: on Linux ru_maxrss carries the forked parent's peak across exec.
        "print([int(l.split()[1])/1024 for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    ) % (str(ROOT), detector, embed_every, str(path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--detectors", nargs="+", default=["yunet", "mtcnn"])
    ap.add_argument("--embed-every", nargs="+", type=int, default=[TrackerConfig().embed_every])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--json", type=Path, help="also write the rows here")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="fda-bench-"))
    clips = {
        "720p-1person": compose(tmp / "one.mp4", ONE_PERSON, seconds=args.seconds, fps=30, size=(1280, 720)),
        "720p-3people": compose(tmp / "three.mp4", THREE_PEOPLE, seconds=args.seconds, fps=30, size=(1280, 720)),
        "720p-3p-4shots": edited_three_people(tmp / "cuts.mp4", args.seconds),
    }
    rows = []
    print(f"{'clip':14} {'detector':8} {'embed':>5} {'decode s':>9} {'track s':>8} {'ratio':>6} {'x realtime':>10} {'peak MB':>8} {'shots':>5} {'tracks':>6} {'people':>6} {'main':>4}")
    for name, path in clips.items():
        video_s = probe(path).duration
        decode_only(path)  # warm the page cache
        for det in args.detectors:
            for ee in args.embed_every:
                opts = TrackOptions(detector=det)
                opts.tracker.embed_every = ee
                module = FaceTrackingModule(opts)
                track_once(module, path)  # warm-up: first inference allocates
                # Decode-only and track runs alternate, so both medians see the same machine load.
                decs, runs = [], []
                for _ in range(args.repeat):
                    decs.append(decode_only(path))
                    runs.append(track_once(module, path))
                dec = statistics.median(decs)
                tr = statistics.median(r[0] for r in runs)
                rec = runs[-1][1]
                row = {
                    "clip": name, "detector": det, "embed_every": ee, "decode_s": round(dec, 3), "track_s": round(tr, 3),
                    "ratio": round(tr / dec, 2), "realtime_x": round(video_s / tr, 2),
                    "peak_mb": round(peak_rss_mb(path, det, ee)), "shots": len(rec["shots"]), "tracks": len(rec["tracks"]),
                    "people": len(rec["identities"]), "main": len(rec["main_track_ids"]),
                }
                rows.append(row)
                print(f"{name:14} {det:8} {ee:>5} {dec:>9.3f} {tr:>8.3f} {row['ratio']:>6.2f} {row['realtime_x']:>10.2f} {row['peak_mb']:>8} "
                      f"{row['shots']:>5} {row['tracks']:>6} {row['people']:>6} {row['main']:>4}", flush=True)
    for det in args.detectors:
        for ee in args.embed_every:
            t = {r["clip"]: r["track_s"] for r in rows if r["detector"] == det and r["embed_every"] == ee}
            if "720p-3p-4shots" in t and "720p-3people" in t:
                print(f"cut / no-cut ({det}, embed every {ee}): {t['720p-3p-4shots'] / t['720p-3people']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
