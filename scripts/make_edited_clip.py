"""Write an edited demo clip: three shots joined by hard cuts, composed from public-domain photos.

Shot 1: a close-up of A (obama).  Shot 2: B (biden) exactly where A's face was, a bystander (hopper)
behind.  Shot 3: A again, smaller and elsewhere.  640x360, 25 fps, 4.5 s.  The clip `fda track`'s shot
detection, identity guard and identity linking are shown on in README:

    python scripts/make_edited_clip.py edited.mp4
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from media import Person, Shot, compose_shots  # noqa: E402

SHOTS = [
    Shot([Person("obama", 190, (0.46, 0.52), (0.50, 0.52))], 1.5, seed=1),
    Shot([Person("hopper", 90, (0.85, 0.25), (0.82, 0.25)), Person("biden", 130, (0.46, 0.52), (0.50, 0.52))], 1.5, seed=2),
    Shot([Person("obama", 120, (0.30, 0.45), (0.34, 0.45))], 1.5, seed=3),
]

if __name__ == "__main__":
    out = compose_shots(Path(sys.argv[1] if len(sys.argv) > 1 else "edited.mp4"), SHOTS, fps=25)
    print(out, out.stat().st_size, "bytes")
