"""FaceTrack-MM: frames and face crops → visual tokens → spliced into the LLM's input embeddings."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from fdacli.core.model.config import FaceTrackMMConfig
from fdacli.core.model.prompting import IGNORE, VIDEO_TOKEN


@dataclass
class Batch:
    """Model inputs for B clips: uint8 pixels and token ids with one ``VIDEO_TOKEN`` each."""

    frames: torch.Tensor  # (B, T, S, S, 3) uint8
    faces: torch.Tensor | None  # (B, T, s, s, 3) uint8, or None without a face encoder
    input_ids: list[torch.Tensor]
    labels: list[torch.Tensor] | None = None

    def to(self, device: torch.device) -> Batch:
        mv = lambda t: t.to(device, non_blocking=True)  # noqa: E731
        return Batch(mv(self.frames), mv(self.faces) if self.faces is not None else None,
                     [mv(t) for t in self.input_ids], [mv(t) for t in self.labels] if self.labels is not None else None)


class FaceTrackMM(nn.Module):
    def __init__(self, cfg: FaceTrackMMConfig, vision: nn.Module, face_encoder: nn.Module | None,
                 connector: nn.Module, face_projector: nn.Module | None, llm: nn.Module) -> None:
        super().__init__()
        self.cfg = cfg
        self.vision = vision
        # The default face encoder is the vision tower itself: shared, not a second copy.
        self.face_encoder = face_encoder if face_encoder is not vision else None
        self.connector, self.face_projector, self.llm = connector, face_projector, llm

    def _face_features(self, faces: torch.Tensor) -> torch.Tensor:
        enc = self.face_encoder if self.face_encoder is not None else self.vision
        return enc(faces)

    def visual_tokens(self, frames: torch.Tensor, faces: torch.Tensor | None) -> torch.Tensor:
        """(B, video tokens + face tokens, hidden): the video's tokens, then the face's."""
        dtype = next(self.connector.parameters()).dtype
        tokens = self.connector(self.vision(frames).to(dtype))
        if self.face_projector is not None:
            if faces is None:
                raise ValueError("this model has a face encoder: face crops are required")
            tokens = torch.cat([tokens, self.face_projector(self._face_features(faces).to(dtype))], dim=1)
        return tokens

    def _splice(self, batch: Batch, left_pad: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        embed = self.llm.get_input_embeddings()
        visual = self.visual_tokens(batch.frames, batch.faces).to(embed.weight.dtype)
        seqs, labs = [], []
        for b, ids in enumerate(batch.input_ids):
            pos = (ids == VIDEO_TOKEN).nonzero()
            if len(pos) != 1:
                raise ValueError(f"sample {b}: expected one video placeholder, found {len(pos)}")
            p = int(pos[0])
            seqs.append(torch.cat([embed(ids[:p]), visual[b], embed(ids[p + 1:])]))
            if batch.labels is not None:
                lab = batch.labels[b]
                labs.append(torch.cat([lab[:p], lab.new_full((visual.shape[1],), IGNORE), lab[p + 1:]]))
        longest = max(s.shape[0] for s in seqs)
        hidden = seqs[0].shape[1]
        emb = seqs[0].new_zeros(len(seqs), longest, hidden)
        mask = torch.zeros(len(seqs), longest, dtype=torch.long, device=emb.device)
        labels = torch.full((len(seqs), longest), IGNORE, dtype=torch.long, device=emb.device) if labs else None
        for b, s in enumerate(seqs):
            sl = slice(longest - len(s), longest) if left_pad else slice(0, len(s))
            emb[b, sl], mask[b, sl] = s, 1
            if labels is not None:
                labels[b, sl] = labs[b]
        return emb, mask, labels

    def forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """Each sample's mean loss over its target tokens, and its number of target tokens.

        The trainer sums per-sample losses over a fixed nominal batch, so a batch split over processes (or
        a sample skipped as bad) weighs every sample the same as one process would."""
        emb, mask, labels = self._splice(batch, left_pad=False)
        logits = self.llm(inputs_embeds=emb, attention_mask=mask, use_cache=False).logits
        logits, labels = logits[:, :-1].float(), labels[:, 1:]
        tok_loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE, reduction="none")
        tok_loss = tok_loss.view(labels.shape)
        counts = (labels != IGNORE).sum(1)
        return tok_loss.sum(1) / counts.clamp(min=1), counts

    @torch.no_grad()
    def generate(self, batch: Batch, **kwargs) -> torch.Tensor:
        emb, mask, _ = self._splice(batch, left_pad=True)
        return self.llm.generate(inputs_embeds=emb, attention_mask=mask, **kwargs)

    def projector_state(self) -> dict[str, torch.Tensor]:
        state = {f"connector.{k}": v for k, v in self.connector.state_dict().items()}
        if self.face_projector is not None:
            state.update({f"face_projector.{k}": v for k, v in self.face_projector.state_dict().items()})
        return state

    def load_projector_state(self, state: dict[str, torch.Tensor]) -> None:
        for name in ("connector", "face_projector"):
            module = getattr(self, name)
            if module is None:
                continue
            sub = {k[len(name) + 1:]: v for k, v in state.items() if k.startswith(name + ".")}
            module.load_state_dict(sub, strict=True)
