"""Rebuild fdacli/data/sample.mp4, the bundled demo clip (public-domain photos, see tests/data/faces).

A large face (the main character) drifting in the centre, and a smaller one walking across behind
it, 640x360, 4 s at 25 fps.  `python scripts/make_sample.py`
"""

from pathlib import Path
import sys

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from media import Person, compose  # noqa: E402

SCENE = [
    Person("hopper", 84, (0.12, 0.28), (0.88, 0.30)),
    Person("obama", 180, (0.45, 0.56), (0.55, 0.54)),
]

if __name__ == "__main__":
    out = compose(ROOT / "fdacli" / "data" / "sample.mp4", SCENE, seconds=4.0, fps=25, seed=3)
    print(out, out.stat().st_size, "bytes")
