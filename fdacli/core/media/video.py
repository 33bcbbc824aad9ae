"""Video decoding: probing, streaming frames in order, random access (which frames: schedule.py).

Two FFmpeg-based decoders, each where it is right:
* streaming (``iter_frames``: tracking, measuring, sampling) reads forward with OpenCV, on demand.  decord's
  reader keeps decoding ahead in a thread of its own while the caller works on the frames it has, and keeps
  what it decoded: behind a tracker its memory grew with the video's length (1.0 GB for an 8-minute 320×240
  clip with nothing else held; 2.9 GB in the whole tracker) and its CPU went to frames nobody asked for yet.
  OpenCV decodes only when asked, so memory is flat in the video's length, and on the benchmark clips it
  used 20-45 % less CPU than decord for the same frames.  One seek takes it to a clip's first frame.
* random access (``probe``, ``read_frames``: key frames, crops, grids) uses decord, whose index is exact and
  whose batch seeks to the nearest key frame; such a reader lives for one batch.
Either decoder stands in for the other when it fails on a file, and the record says so (``Decoding``).
Frames are RGB uint8, at the analysis size when one is asked for.
"""

from __future__ import annotations

import math
import os
import queue
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


class VideoError(RuntimeError):
    """A video that cannot be analysed, with a reason a person can act on."""


@dataclass(frozen=True)
class VideoInfo:
    fps: float
    num_frames: int
    width: int
    height: int

    @property
    def duration(self) -> float:
        return self.num_frames / self.fps if self.fps > 0 else 0.0


_DECORD = None
_DECORD_LOCK = threading.Lock()


def import_decord():
    """Import decord without its CUDA preloader.

    decord2 dlopens every library under site-packages/nvidia/*/lib with RTLD_GLOBAL (for its CUDA
    build).  With torch's CUDA wheels installed that includes NVBLAS, which then interposes the BLAS
    symbols and makes the next torch matrix multiply segfault.  We decode on the CPU, so the
    preloader is shown no `nvidia` package while decord imports (this also cuts the import 6x).
    """
    global _DECORD
    if _DECORD is not None:
        return _DECORD
    with _DECORD_LOCK:  # threads (preannotate, caption) must not see a half-imported module
        if _DECORD is None:
            import importlib.util

            find_spec = importlib.util.find_spec

            def hide_nvidia(name, *args, **kwargs):
                return None if name == "nvidia" else find_spec(name, *args, **kwargs)

            importlib.util.find_spec = hide_nvidia
            try:
                import decord
            finally:
                importlib.util.find_spec = find_spec
            decord.logging.set_level(decord.logging.QUIET)  # failures surface as VideoError reasons instead
            _DECORD = decord
    return _DECORD


def _check_file(path: str | Path) -> None:
    """A missing, folder or empty path said plainly, before a decoder's own message."""
    p = Path(path)
    if not p.exists():
        raise VideoError(f"file not found: {p}")
    if p.is_dir():
        raise VideoError(f"is a folder, not a video: {p}")
    if p.stat().st_size == 0:
        raise VideoError(f"empty file (0 bytes): {p}")


def _reader(path: str | Path, width: int = -1, height: int = -1):  # -> decord.VideoReader
    decord = import_decord()

    _check_file(path)
    p = Path(path)
    try:
        with _quiet_native_stderr():
            return decord.VideoReader(str(p), ctx=decord.cpu(0), width=width, height=height, num_threads=0)
    except Exception as exc:  # decord raises its own DECORDError / RuntimeError with C++ traces
        raise VideoError(f"cannot decode {p.name}: {_first_line(exc)}") from None


_STDERR_LOCK = threading.Lock()


@contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Silence what decord's C++ code prints straight to file descriptor 2 while a file is opened
    (``video_reader.cc:86: ERROR opening: ...`` before the progress bar): the reason reaches the record
    through the exception.  Only the opening is covered, under a lock; what another thread writes to
    stderr in those milliseconds is lost (at worst one refresh of the progress bar)."""
    import sys

    fd = 2  # where decord's C++ logging writes, whatever sys.stderr is
    try:
        os.fstat(fd)
    except OSError:  # no file descriptor 2: nothing to silence
        yield
        return
    with _STDERR_LOCK:
        sys.stderr.flush()
        saved = os.dup(fd)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), fd)
            yield
        finally:
            os.dup2(saved, fd)
            os.close(saved)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    msg = next((ln.strip() for ln in text if ln.strip() and "Stack trace" not in ln), type(exc).__name__)
    msg = re.sub(r"^\[[\d:]+\] \S+:\d+: ", "", msg)  # decord's "[08:00:44] /project/src/x.cc:171: " prefix
    return msg[:300]


def probe(path: str | Path) -> VideoInfo:
    """Frame rate, frame count and size from the container, without decoding the whole stream."""
    vr = _reader(path)
    try:
        n = len(vr)
        fps = float(vr.get_avg_fps())
        if n <= 0:
            raise VideoError(f"no video frames in {Path(path).name} (zero-length clip)")
        if not math.isfinite(fps) or fps <= 0:
            raise VideoError(f"cannot determine the frame rate of {Path(path).name}")
        h, w = vr[0].shape[:2]
        return VideoInfo(fps=fps, num_frames=n, width=int(w), height=int(h))
    except VideoError:
        raise
    except Exception as exc:
        raise VideoError(f"cannot decode {Path(path).name}: {_first_line(exc)}") from None
    finally:
        del vr


class Decoding:
    """Which decoder served a video: OpenCV reading forward, or decord where OpenCV failed on it (``fallback``
    says why).  decord2 on some machines returns 4-channel frames for some small videos and then fails to copy
    them (``Check failed: from_size == to_size``): it stands in only after OpenCV failed, and is checked."""

    def __init__(self) -> None:
        self.fallback: str | None = None

    @property
    def decoder(self) -> str:
        return "decord" if self.fallback else "opencv"


PIECE = 8  # frames OpenCV's reader hands over at a time


def iter_frames(
    path: str | Path, indices: list[int], size: tuple[int, int] | None = None, chunk: int = 32,
    decoding: Decoding | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(source_index, RGB frame)`` for sorted ``indices``, decoding forward in a thread.

    Decoding runs about ``chunk`` frames ahead of the caller so that it overlaps with the caller's work, and no
    further: the frames held are about a chunk whatever the video's length.  OpenCV hands frames over
    ``PIECE`` at a time, so the caller starts after a few frames, not after a whole chunk (a 56-frame first
    chunk kept one of two cores waiting for a third of a second on a 10-s 720p clip); decord, which keeps
    decoding while it waits for the next request, is asked for whole chunks.  A piece OpenCV cannot deliver is
    read with decord instead, and so is the rest of the video; ``decoding`` (when given) records that.
    """
    _check_file(path)
    piece = max(1, min(PIECE, chunk))
    pieces = [indices[i : i + piece] for i in range(0, len(indices), piece)]
    position = {f: k for k, f in enumerate(indices)}
    state = decoding or Decoding()
    readers: dict[str, Any] = {}  # opened in the decoding thread, on first use
    window: dict[int, np.ndarray] = {}  # frames decord decoded for the pieces to come

    def decode(batch: list[int]) -> list[np.ndarray] | np.ndarray:
        if state.fallback is None:
            try:
                if "opencv" not in readers:
                    readers["opencv"] = _ForwardReader(path, start=batch[0])
                return readers["opencv"].read(batch, size)
            except VideoError as exc:
                state.fallback = f"OpenCV failed near frame {batch[0]} ({exc})"
                if "opencv" in readers:
                    readers.pop("opencv").close()
        if "decord" not in readers:
            w, h = size if size else (-1, -1)
            readers["decord"] = _reader(path, width=w, height=h)
        if not all(i in window for i in batch):  # one request for the next chunk of frames
            window.clear()
            ask = indices[position[batch[0]] : position[batch[0]] + max(chunk, len(batch))]
            try:
                window.update(zip(ask, _checked(readers["decord"].get_batch(ask).asnumpy(), len(ask), size)))
            except Exception as exc:
                raise VideoError(f"cannot decode {Path(path).name} near frame {batch[0]}: {state.fallback}; "
                                 f"decord: {_first_line(exc)}") from None
        return [window.pop(i) for i in batch]

    ahead = _prefetch(decode, pieces, depth=max(1, chunk // piece))
    try:
        for batch, frames in zip(pieces, ahead):
            yield from zip(batch, frames)
    finally:
        ahead.close()  # stops and joins the decoding thread; the readers go with this generator
        if "opencv" in readers:
            readers["opencv"].close()
        readers.clear()
        window.clear()


def read_frames(path: str | Path, indices: list[int]) -> np.ndarray:
    """The frames at ``indices`` at source resolution, as one (N, H, W, 3) RGB array."""
    if not indices:
        return np.zeros((0, 0, 0, 3), np.uint8)
    vr = _reader(path)
    order = sorted(set(indices))
    try:
        frames = _checked(vr.get_batch(order).asnumpy(), len(order), None)
    except Exception:
        frames = _opencv_frames(path, order, None)  # decord's failure is in the copy, not the file
    finally:
        del vr
    pos = {f: i for i, f in enumerate(order)}
    return frames[[pos[i] for i in indices]]


def _checked(frames: np.ndarray, n: int, size: tuple[int, int] | None) -> np.ndarray:
    if frames.ndim != 4 or frames.shape[0] != n or frames.shape[3] != 3:
        raise ValueError(f"decord returned frames of shape {tuple(frames.shape)}")
    if size and (frames.shape[2], frames.shape[1]) != tuple(size):
        raise ValueError(f"decord returned {frames.shape[2]}x{frames.shape[1]} frames, not {size[0]}x{size[1]}")
    return frames


SEEK_FROM = 96  # frames: a clip starting later than this is reached by one seek, not by decoding up to it


class _ForwardReader:
    """OpenCV reading forward through a video (grab to skip, retrieve to keep): one pass however many chunks
    ask for frames, decoding only what is asked (its memory does not grow with the video).  A clip that starts
    late in a long film is reached by one seek: OpenCV seeks to the key frame before it and decodes forward
    to the exact frame (tests/test_video.py compares it with decord's frames on H.264 and MPEG-4)."""

    def __init__(self, path: str | Path, start: int = 0, check: bool = True) -> None:
        import cv2

        self.path, self.cv2 = Path(path), cv2
        self.cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
        self.pos = 0  # index of the next frame grab() returns
        self.check_at: int | None = None  # the frame a seek landed on, compared with decord's once it is read
        self._decoded = self._resized = None  # reused buffers (read)
        if not self.cap.isOpened():
            raise VideoError(f"OpenCV cannot open {self.path.name}")
        # decord (probe, read_frames) does not apply a phone's rotation flag: frames and boxes must agree
        self.cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)
        if start > SEEK_FROM and self.cap.set(cv2.CAP_PROP_POS_FRAMES, start):
            self.pos = int(round(self.cap.get(cv2.CAP_PROP_POS_FRAMES)))
            if self.pos > start:  # past it: read from the beginning instead
                self._reopen()
            elif check:  # not when decord, the judge of a seek, is what failed (read_frames' fallback)
                self.check_at = self.pos

    def _reopen(self) -> None:
        self.cap.release()
        self.__init__(self.path)

    def read(self, indices: list[int], size: tuple[int, int] | None) -> list[np.ndarray]:
        """The frames at sorted ``indices``, one RGB array each.

        The decoded picture and its resized copy go into buffers this reader keeps, and only the RGB frame
        handed out is new: no fresh source-size array per frame (2.7 MB at 720p) and no stacked array per
        request (56 MB at 512×288), whose fresh pages `perf` showed the kernel zeroing (issue 24; the CPU this
        saves was within the noise of whole runs)."""
        cv2, out = self.cv2, []
        for want in indices:
            if want < self.pos:  # asked to go back: start over (never happens for sorted chunks)
                self._reopen()
            while self.pos <= want:
                if not self.cap.grab():
                    raise VideoError(f"decoding stopped at frame {self.pos} of {self.path.name}")
                self.pos += 1
            ok, bgr = self.cap.retrieve(self._decoded)
            if not ok or bgr is None or bgr.ndim not in (2, 3):
                raise VideoError(f"decoding failed at frame {want} of {self.path.name}")
            if self.check_at is not None and want >= self.check_at:
                self._check_seek(want, bgr)
            self._decoded = bgr
            if size and (bgr.shape[1], bgr.shape[0]) != tuple(size):  # resize first: converting fewer pixels
                bgr = self._resized = cv2.resize(bgr, tuple(size), dst=self._resized, interpolation=cv2.INTER_AREA)
            out.append(cv2.cvtColor(bgr, cv2.COLOR_GRAY2RGB if bgr.ndim == 2 else cv2.COLOR_BGR2RGB))
        return out

    def _check_seek(self, index: int, bgr: np.ndarray) -> None:
        """The first frame after a seek, against decord's exact index: a container whose timestamps mislead
        OpenCV's seek would shift every time after it, silently.  A mismatch hands the clip to decord."""
        self.check_at = None
        try:
            want = read_frames(self.path, [index])[0]
        except Exception:  # decord cannot read it: nothing to compare with, the frame stands
            return
        rgb = self.cv2.cvtColor(bgr, self.cv2.COLOR_GRAY2RGB if bgr.ndim == 2 else self.cv2.COLOR_BGR2RGB)
        if rgb.shape != want.shape or float(np.abs(rgb.astype(np.int16) - want.astype(np.int16)).mean()) > 1.0:
            raise VideoError(f"OpenCV's seek to frame {index} of {self.path.name} landed on another frame")

    def close(self) -> None:
        self.cap.release()


def _opencv_frames(path: str | Path, indices: list[int], size: tuple[int, int] | None) -> np.ndarray:
    """The frames at sorted ``indices``, read forward with OpenCV."""
    reader = _ForwardReader(path, start=indices[0] if indices else 0, check=False)
    try:
        return np.stack(reader.read(indices, size))
    finally:
        reader.close()


def _prefetch(fn, items: list, depth: int = 1) -> Iterator:
    """Map ``fn`` over ``items`` in a background thread, ``depth`` results ahead; errors re-raise in order."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        for it in items:
            if stop.is_set():
                return
            try:
                q.put((True, fn(it)))
            except BaseException as exc:  # handed to the consumer, raised there
                q.put((False, exc))
                return

    t = threading.Thread(target=work, daemon=True)
    t.start()
    try:
        for _ in items:
            ok, val = q.get()
            if not ok:
                raise val
            yield val
    finally:
        stop.set()
        while t.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                pass
            t.join(timeout=0.05)
