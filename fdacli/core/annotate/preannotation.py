"""Pre-annotation with a multimodal LLM (paper §3.2, supplement Fig. 5).

For each tracked clip: decode its key frames, stitch every four into a 2x2 grid (black padding), optionally
add the main character's face crops in the same layout, and send the grids as JPEG data URLs with the
supplement's prompt to an OpenAI-compatible vision endpoint.  One record per clip; the shared LLM client
supplies the cache, retries and key handling.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from fdacli.core.llm import prompts, replies
from fdacli.core.text import timeline
from fdacli.core.media.clips import ClipSpec, spec_from_record
from fdacli.core.run.inputs import safe_relpath
from fdacli.core.media.grids import clip_grids, jpeg_data_url
from fdacli.core.media.images import write_image
from fdacli.core.llm.client import LLMClient, LLMError
from fdacli.core.run.records import Record, error_record
from fdacli.core.run.runner import StopRun
from fdacli.core.media.video import VideoError




@dataclass
class PreannotateOptions:
    cell: int = 384
    face_crops: bool = False
    crop_margin: float = 0.5
    crop_size: int = 224
    save_grids: str | None = None
    jpeg_quality: int = 90
    hints: dict[str, str] | None = None  # id -> measured timeline in words (--hints); None: the paper's prompt only


def items_from_tracks(records: list[Record], base: Path | None = None) -> list[ClipSpec]:
    """Clips from tracks records; a relative video path that does not exist from here is tried
    relative to the tracks file's folder (``base``)."""
    return [spec_from_record(r, None, [base] if base is not None else []) for r in records]


class Preannotator:
    def __init__(self, client: LLMClient, opts: PreannotateOptions) -> None:
        self.client, self.opts = client, opts

    def __call__(self, item: ClipSpec) -> Record:
        t0 = time.perf_counter()
        try:
            o = self.opts
            item.check_video()
            grids = clip_grids(item, o.cell, o.face_crops, o.crop_margin, o.crop_size)
            paths = self._save(item, grids) if self.opts.save_grids else None
            text = prompts.PREANNOTATE_PROMPT + (prompts.FACE_CROPS_NOTE if self.opts.face_crops else "")
            hint = (self.opts.hints or {}).get(item.id)
            version = prompts.PREANNOTATE_VERSION
            if hint is not None:
                text += prompts.HINTS_NOTE.format(timeline=hint)
                version += "+" + timeline.HINTS_VERSION
            content = [{"type": "text", "text": text}] + [
                {"type": "image_url", "image_url": {"url": jpeg_data_url(g, self.opts.jpeg_quality)}} for g in grids
            ]
            reply, usage = self.client.complete_with_usage(
                [{"role": "user", "content": content}], purpose="preannotate", prompt_version=version,
                max_tokens=replies.budget("preannotate"),
            )
        except StopRun:
            raise  # every clip would fail the same way (credentials refused, endpoint failing): the command stops
        except (VideoError, LLMError, OSError, ValueError) as exc:
            return error_record(item.id, str(exc) if isinstance(exc, (VideoError, LLMError)) else exc, video=item.video,
                                model=self.client.cfg.model, seconds=round(time.perf_counter() - t0, 3))
        rec: Record = {
            "id": item.id, "video": item.video, "status": "ok", "error": None, "model": self.client.cfg.model,
            "prompt_version": version, "text": reply.strip(), "usage": usage, "hints": hint is not None,
            "key_frames": list(item.key_frames), "images": len(grids), "seconds": round(time.perf_counter() - t0, 3),
        }
        if paths:
            rec["grids"] = paths
        return rec

    def _save(self, item: ClipSpec, grids: list) -> list[str]:
        out = Path(self.opts.save_grids) / safe_relpath(item.id)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for k, g in enumerate(grids):
            p = out / f"grid{k:02d}.jpg"
            write_image(p, g, self.opts.jpeg_quality)
            paths.append(str(p))
        return paths
