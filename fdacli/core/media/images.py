"""Pictures written whole: encoded in memory, then written with the one atomic writer of the JSONL outputs.

A contact sheet, a crop, a plot or a frame grid is either the old file or the new one, never a truncated
image that a rerun would take for done because it exists.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from fdacli.core.run.records import atomic_write_bytes


def write_image(path: str | Path, rgb: Any, quality: int = 95) -> None:
    """An RGB array as JPEG or PNG (by the suffix); ``OSError`` when it cannot be encoded or written."""
    import cv2

    path = Path(path)
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if path.suffix.lower() in (".jpg", ".jpeg") else []
    ok, buf = cv2.imencode(path.suffix or ".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise OSError(f"could not encode {path}")
    atomic_write_bytes(path, buf.tobytes())


def figure_bytes(fig: Any, **kw: Any) -> bytes:
    """A matplotlib figure as PNG bytes, to be written with others (a report) or alone (``save_figure``)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", **kw)
    return buf.getvalue()


def save_figure(fig: Any, path: str | Path, **kw: Any) -> None:
    atomic_write_bytes(Path(path), figure_bytes(fig, **kw))
