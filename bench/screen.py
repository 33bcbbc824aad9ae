"""Benchmark for `fda screen`: 10,000 clips screened in under 10 s (issue 21).

The records are real: the screen clips of tests/test_screen.py (scripts/screen_clips.py: a crowd, cuts, a still
photograph, a small face, carphone at twice his speed, a tilting head, carphone) are tracked and measured once
with the `fda track` and `fda actions` modules, then copied round-robin under new ids into a tracks file and an
actions file of --clips records each.  In one run on this machine:
  * read: plain `json.loads` of every line of both files (the baseline: the least any pass over them costs);
  * screen: `fda screen TRACKS --actions ACTIONS -o OUT -q` as a user runs it (a fresh process: start-up, reading
    and checking every record, screening, writing every record), and the same with --keep;
  * ratio = screen / read.
Each timing is the median of --repeat runs; read and screen runs alternate so both see the same load.

    python bench/screen.py [--clips 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import media  # noqa: E402


def real_records(folder: Path) -> tuple[list[dict], list[dict]]:
    """The screen clips' tracks and actions records, made by the stages' own modules."""
    from fdacli.core.actions.measure import ActionMeter, items_from_tracks
    from fdacli.core.run.inputs import VideoItem
    from fdacli.core.track.pipeline import FaceTrackingModule, TrackOptions

    clips = media.screen_clips(folder)
    tracker = FaceTrackingModule(TrackOptions())
    tracks = [tracker(VideoItem(name, str(path))) for name, path in clips.items()]
    meter = ActionMeter()
    return tracks, [meter(item) for item in items_from_tracks(tracks)]


def synthesise(tracks: list[dict], actions: list[dict], n: int, folder: Path) -> tuple[Path, Path]:
    """``n`` clips: the real records copied round-robin, each copy under a new id."""
    tp, ap = folder / "tracks.jsonl", folder / "actions.jsonl"
    with tp.open("w") as ft, ap.open("w") as fa:
        for k in range(n):
            t, a = tracks[k % len(tracks)], actions[k % len(actions)]
            rid = f"{t['id']}-{k:05d}"
            ft.write(json.dumps({**t, "id": rid}) + "\n")
            fa.write(json.dumps({**a, "id": rid}) + "\n")
    return tp, ap


def read_all(*paths: Path) -> float:
    t = time.perf_counter()
    for p in paths:
        with p.open("rb") as fh:
            for line in fh:
                json.loads(line)
    return time.perf_counter() - t


def screen(tracks: Path, actions: Path, out: Path, keep: Path | None) -> float:
    for p in (out, keep):
        if p is not None and p.exists():
            p.unlink()
    cmd = [sys.executable, "-m", "fdacli.cli", "screen", str(tracks), "--actions", str(actions), "-o", str(out), "-q",
           *(["--keep", str(keep)] if keep else [])]
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    took = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"fda screen failed:\n{p.stderr[-3000:]}")
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fda-bench-screen-"))
    tracks, actions = real_records(tmp / "clips")
    tp, acp = synthesise(tracks, actions, args.clips, tmp)
    mb = (tp.stat().st_size + acp.stat().st_size) / 1e6
    reads, plain, kept = [], [], []
    for _ in range(args.repeat):
        reads.append(read_all(tp, acp))
        plain.append(screen(tp, acp, tmp / "screen.jsonl", None))
        kept.append(screen(tp, acp, tmp / "screen.jsonl", tmp / "keep.jsonl"))
    r, s, k = (statistics.median(x) for x in (reads, plain, kept))
    n_keep = sum(1 for _ in (tmp / "keep.jsonl").open())
    print(f"{args.clips} clips ({len(tracks)} real records copied), {mb:.0f} MB of tracks + actions records")
    print(f"read (json.loads of every line): {r:.2f} s")
    print(f"fda screen:                      {s:.2f} s   ratio {s / r:.2f}   {args.clips / s:,.0f} clips/s")
    print(f"fda screen --keep:               {k:.2f} s   ratio {k / r:.2f}   ({n_keep} kept)")
    print(f"target: 10,000 clips in under 10 s — {'met' if s * 10000 / args.clips < 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
