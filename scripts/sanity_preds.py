"""Write the two prediction files of README's sanity-check leaderboard from a references file: the
references themselves (oracle.jsonl) and each clip given the next clip's reference (shuffled.jsonl).

    python scripts/sanity_preds.py tests/data/fec_bench_refs_slice.json
"""

import json
import sys
from pathlib import Path

refs = json.loads(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/fec_bench_refs_slice.json").read_text())
Path("oracle.jsonl").write_text("".join(json.dumps({"id": r["id"], "caption": r["caption"]}) + "\n" for r in refs))
Path("shuffled.jsonl").write_text("".join(json.dumps({"id": r["id"], "caption": refs[(k + 1) % len(refs)]["caption"]}) + "\n"
                                          for k, r in enumerate(refs)))
print(f"oracle.jsonl and shuffled.jsonl: {len(refs)} predictions each")
