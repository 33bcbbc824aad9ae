"""Captioning clips: with a FaceTrack-MM checkpoint (batched generation), or through any
OpenAI-compatible vision endpoint with the same frame grids as pre-annotation (how the paper benchmarks
GPT-4o and open VLMs).  Clips without a tracks record are tracked first, so the main character's face
crops are always the ones the model was trained on."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fdacli.core.caption.options import CaptionOptions
from fdacli.core.media.clips import ClipSpec, clip_pixels, spec_from_record
from fdacli.core.run.inputs import VideoItem
from fdacli.core.model.instructions import INSTRUCTIONS, choose_instruction
from fdacli.core.run.records import Record, error_record
from fdacli.core.run.schemas import CAPTIONS
from fdacli.core.media.video import VideoError


def instruction_for(rid: str, opts: CaptionOptions) -> str:
    if opts.prompt:
        return opts.prompt
    if opts.instruction == "random":
        return INSTRUCTIONS[choose_instruction(rid, opts.seed)]
    k = int(opts.instruction)
    if not 0 <= k < len(INSTRUCTIONS):
        raise ValueError(f"--instruction must be 0..{len(INSTRUCTIONS) - 1} or 'random'")
    return INSTRUCTIONS[k]


class ClipSource:
    """Clip specs for video items: from a tracks file when it has the id, else by tracking the video now.

    ``make_tracker`` builds the tracking stage's per-video callable on first need; the command supplies
    it (a stage never imports another), and without one an untracked video is an error."""

    def __init__(self, tracks: dict[str, Record] | None, roots: list[Path],
                 make_tracker: Callable[[], Callable[[VideoItem], Record]] | None = None) -> None:
        self.tracks, self.roots, self.make_tracker = tracks or {}, roots, make_tracker
        self._tracker = None
        self._lock = threading.Lock()  # one tracker, shared by the endpoint's request threads

    def spec(self, item: VideoItem) -> ClipSpec:
        rec = self.tracks.get(item.id)
        if rec is None:
            rec = self._track(item)
        if rec.get("status", "ok") != "ok":
            raise VideoError(f"tracking failed: {rec.get('error')}")
        return spec_from_record({**rec, "id": item.id, "video": rec.get("video") or item.video}, None, self.roots)

    def _track(self, item: VideoItem) -> Record:
        with self._lock:
            if self._tracker is None:
                if self.make_tracker is None:
                    raise VideoError("no tracks record for this video, and no tracker to make one")
                self._tracker = self.make_tracker()
            return self._tracker(item)


class LocalCaptioner:
    """Batched generation with a FaceTrack-MM checkpoint: base LLM, then its adapter, then the projectors."""

    def __init__(self, checkpoint: str | Path, opts: CaptionOptions, device: str, dtype: str = "auto",
                 base_llm: str | None = None, attn_implementation: str = "sdpa") -> None:
        import torch

        from fdacli.core.model import checkpoint as ckpt

        self.opts, self.device = opts, torch.device(device)
        torch_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}.get(dtype)
        if torch_dtype is None:
            torch_dtype = torch.bfloat16 if self.device.type == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
        self.model, self.tok = ckpt.load(checkpoint, torch_dtype, attn_implementation, base_llm)
        self.model.to(self.device).eval()
        self.cfg = self.model.cfg
        self.opts.num_frames = self.cfg.num_frames
        ck = Path(checkpoint).resolve()
        self.name = f"{ck.parent.name}/{ck.name}" if ck.name.startswith("checkpoint-") else ck.name

    def caption_batch(self, items: list[tuple[VideoItem, ClipSpec | Exception]]) -> list[Record]:
        """One record per item; clips that fail to load get error records, the rest share one generate."""
        import torch

        from fdacli.core.model import prompting
        from fdacli.core.model.facetrack_mm import Batch

        t0 = time.perf_counter()
        out: dict[str, Record] = {}
        ready: list[tuple[VideoItem, str, Any, Any, list[int]]] = []
        for item, spec in items:
            try:
                if isinstance(spec, Exception):
                    raise spec
                text = instruction_for(item.id, self.opts)
                frames, faces = clip_pixels(spec, self.cfg.num_frames, self.cfg.image_size, self.cfg.face_input_size(),
                                            self.cfg.crop_margin, self.cfg.fill())
                ids, _ = prompting.encode(self.tok, prompting.user_turn(text), train=False)
                ready.append((item, text, frames, faces, ids))
            except (VideoError, ValueError, OSError) as exc:
                out[item.id] = error_record(item.id, str(exc).splitlines()[0] if str(exc) else exc, video=item.video,
                                            model=self.name, version=CAPTIONS)
        if ready:
            batch = Batch(torch.stack([torch.from_numpy(r[2]) for r in ready]),
                          None if ready[0][3] is None else torch.stack([torch.from_numpy(r[3]) for r in ready]),
                          [torch.tensor(r[4]) for r in ready]).to(self.device)
            torch.manual_seed(self.opts.seed)
            gen = dict(max_new_tokens=self.opts.max_new_tokens, min_new_tokens=self.opts.min_new_tokens, do_sample=self.opts.do_sample,
                       pad_token_id=self.tok.pad_token_id, eos_token_id=self.tok.eos_token_id)
            if self.opts.do_sample:
                gen.update(temperature=self.opts.temperature, top_p=self.opts.top_p)
            else:
                gen.update(temperature=None, top_p=None, top_k=None)
            seqs = self.model.generate(batch, **gen)
            texts = self.tok.batch_decode(seqs, skip_special_tokens=True)
            secs = round((time.perf_counter() - t0) / len(items), 3)
            for (item, text, *_), cap in zip(ready, texts):
                out[item.id] = {"id": item.id, "version": CAPTIONS, "video": item.video, "caption": cap.strip(),
                                "model": self.name, "status": "ok",
                                "error": None, "prompt": text, "seconds": secs}
        return [out[item.id] for item, _ in items]


class EndpointCaptioner:
    """Captions from an OpenAI-compatible vision model, sent the pre-annotation frame grids."""

    def __init__(self, client, opts: CaptionOptions, face_crops: bool = False, cell: int = 384) -> None:
        self.client, self.opts, self.face_crops, self.cell = client, opts, face_crops, cell

    def __call__(self, work: tuple[VideoItem, ClipSpec | Exception]) -> Record:
        from fdacli.core.llm.client import LLMError
        from fdacli.core.run.runner import StopRun
        from fdacli.core.media.grids import clip_grids, jpeg_data_url

        item, spec = work
        t0 = time.perf_counter()
        model = self.client.cfg.model
        try:
            if isinstance(spec, Exception):
                raise spec
            text = instruction_for(item.id, self.opts)
            images = clip_grids(spec, self.cell, self.face_crops)
            content = [{"type": "text", "text": text}] + [{"type": "image_url", "image_url": {"url": jpeg_data_url(g)}} for g in images]
            reply = self.client.complete([{"role": "user", "content": content}], purpose="caption", prompt_version="fda-caption-v1")
        except StopRun:
            raise  # credentials refused or the endpoint failing every call: the command stops
        except (VideoError, LLMError, ValueError, OSError) as exc:
            return error_record(item.id, str(exc).splitlines()[0] if str(exc) else exc, video=item.video, model=model,
                                version=CAPTIONS)
        return {"id": item.id, "version": CAPTIONS, "video": item.video, "caption": reply.strip(), "model": model,
                "status": "ok", "error": None,
                "prompt": text, "images": len(images), "seconds": round(time.perf_counter() - t0, 3)}


# what every timeline record says about itself: which backend wrote it and how to caption with a model instead
TIMELINE_NOTE = ("written by the timeline backend (measured facial actions in words, no model); for FaceTrack-MM "
                 "captions run `fda caption VIDEOS --model CHECKPOINT` with a `fda finetune` checkpoint")


class TimelineCaptioner:
    """The baseline captioner (--backend timeline): a plain caption from the clip's measured facial actions, with
    no model, GPU or endpoint — the floor a captioning model should beat on FEC-Bench and on grounding.  It speaks
    for the actions record's subject (the person measured most reliably), whose events are the record's own, and
    names that identity (``person``, which grounding reads)."""

    def __init__(self, actions: dict[str, Record]) -> None:
        self.actions = actions

    def __call__(self, item: VideoItem) -> Record:
        from fdacli.core.text import timeline

        rec = self.actions.get(item.id)
        mark = {"model": "timeline", "backend": "timeline", "note": TIMELINE_NOTE, "version": CAPTIONS}
        if rec is None:
            return error_record(item.id, "no actions record for this clip: run `fda actions` on its tracks", video=item.video, **mark)
        if rec.get("status", "ok") != "ok":
            return error_record(item.id, f"its actions record failed: {rec.get('error')}", video=item.video, **mark)
        if not timeline.reliable(rec):
            return error_record(item.id, "no reliable main face was measured in this clip (no face, or poor landmarks): "
                                "a caption would claim a stillness nobody saw", video=item.video, **mark)
        duration = rec.get("duration") or max([*rec.get("times", []), *(e["end"] for e in rec.get("events", []))], default=0.0)
        text = timeline.caption(rec.get("events", []), duration)
        return {"id": item.id, "version": CAPTIONS, "video": item.video, "caption": text, "model": f"timeline ({rec.get('version')})",
                "backend": "timeline", "status": "ok", "error": None, "prompt": timeline.CAPTION_VERSION,
                "events": len(rec.get("events", [])), "person": rec.get("identity"), "note": TIMELINE_NOTE}
