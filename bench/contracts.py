"""Benchmark: reading 10,000 records of each kind a command reads, with its contract checked (issue 25).

Every reader goes through core/run/readers.py; this measures what that costs against plain ``json.loads`` of
every line (the least any reader pays).  The files are made from the real FEC-Bench references in
../shared/data (or tests/data's slice), copied round-robin under new ids:
  * predictions and references: what `fda score` reads (``load_captions``);
  * manifest: what `fda track --manifest` and `fda caption` read (``read_manifest``);
  * annotations: what `fda build-instructions` reads (``build``, which also makes the conversations);
  * drafts: what `fda review push` reads of `fda preannotate`'s output (``read_drafts``, when present);
  * versions: what `fda review consolidate` reads of `fda review pull`'s output (``read_versions``), three annotators;
  * screen: what `fda review push --screen` reads of `fda screen`'s output (``read_screen``), six criteria each;
  * training: what `fda finetune` reads of `fda build-instructions`' output with 16 key frames and boxes
    (``load_samples``, which also checks each conversation and makes each clip's spec).
Each timing is the best of --repeat runs.

    python bench/contracts.py [--records 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REFS = [ROOT.parent / "shared" / "data" / "fec_bench_refs_dev.json", ROOT / "tests" / "data" / "fec_bench_refs_slice.json"]


def best(fn, repeat: int) -> float:
    out = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - t)
    return out


def files(d: Path, n: int) -> dict[str, Path]:
    refs = json.loads(next(p for p in REFS if p.is_file()).read_text())
    rows = [refs[k % len(refs)] for k in range(n)]
    out = {}

    def write(name: str, recs) -> None:
        out[name] = d / f"{name}.jsonl"
        out[name].write_text("".join(json.dumps(r) + "\n" for r in recs))

    write("predictions", ({"id": f"c{k}", "video": r["video"], "caption": r["caption"], "model": "bench", "status": "ok",
                           "error": None} for k, r in enumerate(rows)))
    (d / "references.json").write_text(json.dumps([{"id": f"c{k}", "video": r["video"], "caption": r["caption"]}
                                                   for k, r in enumerate(rows)]))
    out["references"] = d / "references.json"
    write("manifest", ({"id": f"c{k}", "video": r["video"], "dataset": "DFEW", "label": "happy", "start": 0.5, "end": 3.0,
                        "duration": 2.5} for k, r in enumerate(rows)))
    write("annotations", ({"id": f"c{k}", "record": "fda-review-annotation", "video": r["video"], "status": "ok", "error": None,
                           "attributes": r["caption"].split("\n")[0], "facial_changes": "\n".join(r["caption"].split("\n")[1:]),
                           "summary": "He seems calm.", "drop": [], "flags": []} for k, r in enumerate(rows)))
    write("drafts", ({"id": f"c{k}", "video": r["video"], "status": "ok", "error": None, "text": r["caption"], "model": "bench",
                      "prompt_version": "fda-preannotate-v1"} for k, r in enumerate(rows)))
    parts = ("attributes", "facial_changes", "summary")
    version = {"annotation": 1, "created_at": "2026-01-05T10:00:00Z", "updated_at": None, "lead_time": 31.5, "drop": [],
               "changed": dict.fromkeys(parts, True), "draft_unchanged": False, "drop_as_suggested": False, "brackets_ok": True}
    write("versions", ({"id": f"c{k}", "record": "fda-review-versions", "version": "versions-v1", "video": r["video"],
                        "status": "ok", "error": None, "project": 5, "task": k, "media": f"/data/local-files/?d=c/{k}.mp4",
                        "versions_wanted": 3, "draft": dict.fromkeys(parts, r["caption"]), "draft_model": "bench",
                        "versions": [{**version, "annotator": f"{w}@x", **dict.fromkeys(parts, r["caption"])} for w in "abc"],
                        "cancelled": [], "agreement": {**dict.fromkeys(parts, 0.8), "overall": 0.8}, "judge": "local",
                        "pairs": [{"a": a, "b": b, **dict.fromkeys(parts, 0.8), "differences": "none"} for a, b in ((0, 1), (0, 2), (1, 2))],
                        "medoid": dict.fromkeys(parts, 0), "drop_votes": {}, "drop_majority": []} for k, r in enumerate(rows)))
    criterion = {"value": {"picture_change": 3.2, "face_motion": 0.12}, "threshold": {"picture_change": 0.1, "face_motion": 0.01},
                 "verdict": "pass", "reason": "picture change 3.200 (moving under 0.1)"}
    write("screen", ({"id": f"c{k}", "video": r["video"], "version": "screen-v1", "status": "ok", "error": None, "keep": True,
                      "drop_reasons": [], "settings": {"min_face_area": 0.05, "max_people": 5, "actions": True},
                      "criteria": {c: criterion for c in ("face_size", "people", "perspective_switches", "static",
                                                          "facial_change", "violent_content")}} for k, r in enumerate(rows)))
    write("training", ({"id": f"c{k}", "version": "training-v1", "video": r["video"], "instruction_index": k % 20,
                        "conversations": [{"from": "human", "value": "<video>\nDescribe the facial changes."},
                                          {"from": "gpt", "value": r["caption"]}],
                        "key_frames": list(range(0, 64, 4)), "key_frame_boxes": [[101.5, 80.2, 260.7, 240.1]] * 16,
                        "main_track_ids": [1], "fps": 25.0} for k, r in enumerate(rows)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from fdacli.core.dataset.build import BuildOptions, build
    from fdacli.core.run.inputs import read_manifest
    from fdacli.core.score.scoring import load_captions

    try:
        from fdacli.core.run.readers import read_drafts
    except ImportError:  # before the drafts contract
        read_drafts = None

    with tempfile.TemporaryDirectory() as tmp:
        f = files(Path(tmp), args.records)
        readers = {
            "predictions": lambda: load_captions(f["predictions"]),
            "references": lambda: load_captions(f["references"]),
            "manifest": lambda: read_manifest(f["manifest"]),
            "annotations": lambda: build([f["annotations"]], None, BuildOptions()),
        }
        if read_drafts is not None:
            readers["drafts"] = lambda: list(read_drafts(f["drafts"]))
        try:
            from fdacli.core.run.readers import read_screen, read_versions
            from fdacli.core.train.samples import load_samples
        except ImportError:  # before the versions, screen and training contracts
            pass
        else:
            readers["versions"] = lambda: list(read_versions(f["versions"]))
            readers["screen"] = lambda: list(read_screen(f["screen"]))
            readers["training"] = lambda: load_samples(f["training"], None, [])
        print(f"{args.records} records, best of {args.repeat}")
        print(f"{'kind':<12} {'json.loads':>10} {'reader':>10} {'ratio':>6}")
        for name, fn in readers.items():
            path = f[name]
            if path.suffix == ".json":
                base = best(lambda: json.loads(path.read_text()), args.repeat)
            else:
                base = best(lambda: [json.loads(x) for x in path.open("rb")], args.repeat)
            t = best(fn, args.repeat)
            print(f"{name:<12} {base * 1000:>8.1f}ms {t * 1000:>8.1f}ms {t / base:>6.2f}")


if __name__ == "__main__":
    main()
