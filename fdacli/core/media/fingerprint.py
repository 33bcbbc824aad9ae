"""Whether a video is still the one `fda track` analysed.

A tracks record names its video by path, and later stages (actions, preannotate, review push, training, local
captioning) read the frames again through that path, against the record's key frames and boxes.  A file
replaced, re-encoded, trimmed or mirrored under the same name in between would be measured or described as
if it were the tracked one, silently.  So tracking records a cheap fingerprint of the file, and each later
stage checks it first and refuses a changed video with a reason.  Apart from decoding: it reads bytes, not
frames, and needs neither decoder.
"""

from __future__ import annotations

import os
from pathlib import Path

FINGERPRINT_BYTES = 1 << 20


def fingerprint(path: str | Path) -> str:
    """A cheap identity of a video file: its size and a hash of its first and last MiB (two reads whatever its
    length).  A later stage that reads the video through an earlier record checks it is the video that was
    analysed: a re-encoded, trimmed, mirrored or replaced file under the same name has another fingerprint."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        h.update(str(size).encode())
        h.update(fh.read(FINGERPRINT_BYTES))
        if size > FINGERPRINT_BYTES:
            fh.seek(max(FINGERPRINT_BYTES, size - FINGERPRINT_BYTES))
            h.update(fh.read(FINGERPRINT_BYTES))
    return f"{size}:{h.hexdigest()[:24]}"


def changed_since(rec: dict, path: str | Path) -> str | None:
    """Why ``path`` is not the video an earlier record (`fda track`'s) analysed, or None when it is (or the
    record is too old to say: it has no fingerprint)."""
    recorded = rec.get("video_fingerprint")
    if not recorded or not Path(path).is_file():
        return None
    now = fingerprint(path)
    if now == recorded:
        return None
    old_size, new_size = str(recorded).split(":")[0], now.split(":")[0]
    what = f"{old_size} bytes then, {new_size} now" if old_size != new_size else "same size, other content"
    return (f"{Path(path).name} is not the video fda track analysed ({what}): it was replaced or re-encoded since; "
            "track it again")
