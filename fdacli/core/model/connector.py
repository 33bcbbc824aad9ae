"""Projectors from vision features to LLM embeddings.

STC (VideoLLaMA2's spatial-temporal convolution connector): a RegNet stage per frame, a 3-D convolution
(kernel 2, stride 2, padding 1) with SiLU that halves time and space, a second RegNet stage, and a
two-layer MLP read-out.  16 frames of 24x24 patches become 9x13x13 = 1521 tokens.  The RegNet stages come
from timm (the same blocks VideoLLaMA2 uses), so weights line up with that family of checkpoints.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def mlp(in_dim: int, out_dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dim, out_dim), nn.GELU(), nn.Linear(out_dim, out_dim))


def _reg_stage(depth: int, in_chs: int, out_chs: int) -> nn.Module:
    from timm.layers import LayerNorm2d
    from timm.models.regnet import RegStage

    return RegStage(depth=depth, in_chs=in_chs, out_chs=out_chs, stride=1, dilation=1, act_layer=nn.SiLU, norm_layer=LayerNorm2d)


def _grid(x: torch.Tensor) -> int:
    side = int(round(x.shape[-2] ** 0.5))
    if side * side != x.shape[-2]:
        raise ValueError(f"{x.shape[-2]} patches per frame do not form a square grid")
    return side


class STCConnector(nn.Module):
    def __init__(self, in_dim: int, out_dim: int, depth: int = 4) -> None:
        super().__init__()
        self.s1 = _reg_stage(depth, in_dim, out_dim)
        self.sampler = nn.Sequential(nn.Conv3d(out_dim, out_dim, kernel_size=2, stride=2, padding=1, bias=True), nn.SiLU())
        self.s2 = _reg_stage(depth, out_dim, out_dim)
        self.readout = mlp(out_dim, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, P, C) patch features → (B, T' * H' * W', D) tokens."""
        b, t, p, c = x.shape
        s = _grid(x)
        x = x.reshape(b * t, s, s, c).permute(0, 3, 1, 2)  # (BT, C, S, S)
        x = self.s1(x)
        d = x.shape[1]
        x = x.reshape(b, t, d, s, s).permute(0, 2, 1, 3, 4)  # (B, D, T, S, S)
        x = self.sampler(x)
        t2, h2, w2 = x.shape[2:]
        x = x.permute(0, 2, 1, 3, 4).reshape(b * t2, d, h2, w2)
        x = self.s2(x)
        x = x.reshape(b, t2, d, h2 * w2).permute(0, 1, 3, 2).reshape(b, t2 * h2 * w2, d)
        return self.readout(x)


class MLPConnector(nn.Module):
    """A small-setup alternative: average-pool each frame's patch grid, then a two-layer MLP."""

    def __init__(self, in_dim: int, out_dim: int, pool: int = 4) -> None:
        super().__init__()
        self.pool = pool
        self.readout = mlp(in_dim, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, p, c = x.shape
        s = _grid(x)
        x = x.reshape(b * t, s, s, c).permute(0, 3, 1, 2)
        x = F.avg_pool2d(x, self.pool) if self.pool > 1 else x
        x = x.flatten(2).transpose(1, 2).reshape(b, -1, c)
        return self.readout(x)


class FaceProjector(nn.Module):
    """Face-encoder features of each crop pooled to ``pool x pool`` tokens, then a two-layer MLP: a few
    tokens per key frame is the paper's point — the face gets detail without flooding the LLM."""

    def __init__(self, in_dim: int, out_dim: int, pool: int = 2) -> None:
        super().__init__()
        self.pool = pool
        self.readout = mlp(in_dim, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, N, P, C) features of N crops (P patches on a square grid) → (B, N * pool², D)."""
        b, n, p, c = x.shape
        s = _grid(x)
        x = x.reshape(b * n, s, s, c).permute(0, 3, 1, 2)
        x = F.adaptive_avg_pool2d(x, self.pool)
        x = x.flatten(2).transpose(1, 2).reshape(b, n * self.pool**2, c)
        return self.readout(x)


def build_connector(kind: str, in_dim: int, out_dim: int, depth: int = 4, mlp_pool: int = 4) -> nn.Module:
    if kind == "stc":
        return STCConnector(in_dim, out_dim, depth)
    if kind == "mlp":
        return MLPConnector(in_dim, out_dim, mlp_pool)
    raise ValueError(f"unknown connector {kind!r} (choose stc or mlp)")
