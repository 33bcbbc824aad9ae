"""Benchmark for `fda review`.

1. Agreement and medoids of 1,000 clips × 3 annotators' versions with the offline judge (the step of
   `fda review pull` between the export and the file): the versions are real FEC-Bench references and their
   edits (one kept, one with clauses dropped, one another clip's), the judge cold. Baseline in the same run:
   ROUGE-L over the same pairs of facial changes. Target: under 10 s.
2. A push of 1,000 tasks to a real Label Studio server (started here, as the tests do), media export aside
   (the clips are already there, as on a repeated push): `fda review push` from the command line, against
   the baseline of one bare import request of the same 1,000 tasks. Target: under 60 s.

    python bench/review.py [--clips 1000] [--no-server]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
REFS = ROOT.parent / "shared" / "data" / "fec_bench_refs_dev.json"

from fdacli.core.review import labeling  # noqa: E402
from fdacli.core.review.agreement import Pairwise  # noqa: E402
from fdacli.core.review.drafts import split_draft  # noqa: E402
from fdacli.core.review.versions import Comparers, records  # noqa: E402
from fdacli.core.score import pairwise  # noqa: E402
from fdacli.core.score.judges.local import LocalJudge, caches_clear  # noqa: E402
from fdacli.core.score.metrics.ngram import rouge_l_f1  # noqa: E402


def _drop_clauses(text: str, rng: random.Random) -> str:
    parts = [p for p in text.split(", ") if rng.random() > 0.3]
    return ", ".join(parts) or text


def export_of(n: int, refs: list[str]) -> list[dict]:
    """A Label Studio export of ``n`` clips with three annotators each, as the API returns it."""
    rng = random.Random(0)
    tasks = []
    for k in range(n):
        draft = split_draft(refs[k % len(refs)])
        other = split_draft(refs[(k * 7 + 3) % len(refs)])
        versions = [draft, {**draft, "facial_changes": _drop_clauses(draft["facial_changes"], rng)},
                    {**draft, "facial_changes": other["facial_changes"], "summary": other["summary"] or "A person."}]
        tasks.append({"id": k, "data": {"fda_id": f"clip{k:04d}", "fda_stage": "annotate", "video": f"/v/{k}.mp4",
                                        **{f"draft_{p}": draft[p] for p in labeling.PARTS}},
                      "annotations": [{"id": 3 * k + j, "completed_by": j + 1, "result": labeling.result(v),
                                       "was_cancelled": False, "lead_time": 60.0, "created_at": f"2026-12-04T10:00:0{j}Z"}
                                      for j, v in enumerate(versions)]})
    return tasks


def bench_agreement(n: int, refs: list[str]) -> dict:
    tasks = export_of(n, refs)
    judge = LocalJudge()
    wrap = lambda rs: [Pairwise(m, notes, e) for m, notes, e in rs]  # noqa: E731
    comparers = Comparers(lambda g: wrap(pairwise.tem_agreement(judge, g)), lambda g: wrap(pairwise.rouge_agreement(g)), "local")
    fcs = [[labeling.read_result(a["result"])[0]["facial_changes"] for a in t["annotations"]] for t in tasks]
    t = time.perf_counter()
    for g in fcs:
        for i in range(3):
            for j in range(i + 1, 3):
                rouge_l_f1(g[i], g[j])
    t_rouge = time.perf_counter() - t
    caches_clear()
    t = time.perf_counter()
    recs = records(tasks, {1: "a", 2: "b", 3: "c"}, 3, comparers, None)
    t_all = time.perf_counter() - t
    assert len(recs) == n and all(r["medoid"]["facial_changes"] is not None for r in recs)
    mean_tem = sum(r["agreement"]["facial_changes"] for r in recs) / n
    return {"clips": n, "seconds": round(t_all, 2), "rouge_pass_s": round(t_rouge, 2), "ratio": round(t_all / t_rouge, 1),
            "mean_facial_changes_agreement": round(mean_tem, 3)}


def bench_push(n: int, refs: list[str]) -> dict:
    import labelstudio_server as lss

    from fdacli.core.review.labelstudio import LabelStudio

    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        srv = lss.start(d / "ls", annotators=0)
        try:
            media = srv.media_root / "clips"
            media.mkdir()
            src = ROOT / "fdacli" / "data" / "sample.mp4"
            tracks, pre, one = d / "tracks.jsonl", d / "pre.jsonl", d / "one.jsonl"
            subprocess.run([sys.executable, "-m", "fdacli.cli", "track", str(src), "-o", str(one), "-q"], check=True)
            real = json.loads(one.read_text())  # a real tracks record, copied under new ids
            with tracks.open("w") as ft, pre.open("w") as fp:
                for k in range(n):
                    rid = f"clip{k:04d}"
                    (media / f"{rid}.mp4").write_bytes(b"\0")  # media export aside: the clip is there already
                    ft.write(json.dumps({**real, "id": rid}) + "\n")
                    fp.write(json.dumps({"id": rid, "video": str(src), "status": "ok", "model": "m", "text": refs[k % len(refs)]}) + "\n")
            env = {**os.environ, **srv.env(), "COLUMNS": "150"}
            t = time.perf_counter()
            p = subprocess.run([sys.executable, "-m", "fdacli.cli", "review", "push", str(pre), "--tracks", str(tracks),
                                "--project", "bench", "--media", str(media), "-q"], env=env, capture_output=True, text=True)
            t_push = time.perf_counter() - t
            if p.returncode != 0:
                raise SystemExit(p.stderr)
            ls = LabelStudio(srv.url, srv.users["lead"].token)
            pid = ls.find_project("bench").id
            assert len(ls.task_keys(pid)) == n
            bare = ls.create_project("bare", labeling.annotate_config(), "")
            tasks = [{"data": {"fda_id": f"b{k}", "video": "/x.mp4", "timeline": ""}} for k in range(n)]
            t = time.perf_counter()
            ls.import_tasks(bare.id, tasks)
            t_bare = time.perf_counter() - t
        finally:
            srv.stop()
    return {"tasks": n, "push_s": round(t_push, 1), "bare_import_s": round(t_bare, 1), "ratio": round(t_push / t_bare, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=1000)
    ap.add_argument("--no-server", action="store_true", help="Only the agreement benchmark.")
    args = ap.parse_args()
    path = REFS if REFS.exists() else ROOT / "tests" / "data" / "fec_bench_refs_slice.json"
    refs = [r["caption"] for r in json.loads(path.read_text())]
    a = bench_agreement(args.clips, refs)
    print(f"agreement + medoid, {a['clips']} clips x 3 versions, local judge cold: {a['seconds']} s "
          f"(target < 10 s); ROUGE-L over the facial-change pairs alone {a['rouge_pass_s']} s; ratio {a['ratio']}x; "
          f"mean facial-changes agreement {a['mean_facial_changes_agreement']}")
    if not args.no_server:
        b = bench_push(args.clips, refs)
        print(f"push of {b['tasks']} tasks (media aside) through `fda review push`: {b['push_s']} s (target < 60 s); "
              f"one bare import request of {b['tasks']} tasks: {b['bare_import_s']} s; ratio {b['ratio']}x")


if __name__ == "__main__":
    main()
