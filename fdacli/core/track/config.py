"""Every option of the tracking stage and its default, in one place.

The pipeline reads these dataclasses and `fda track` shows their defaults as its own, so a default is
written once.  This module imports nothing heavy: the command line imports it to build its help.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CHI2_95_4DOF = 9.4877  # gate for a squared Mahalanobis distance with 4 degrees of freedom


@dataclass
class TrackerConfig:
    """StrongSORT's published defaults (Du et al., 2023; README.md, `fda track`), plus the appearance-on-demand
    knobs and the identity guard."""

    max_cos_dist: float = 0.4
    max_iou_dist: float = 0.7
    max_age: int = 30
    n_init: int = 3
    ema_alpha: float = 0.9
    lambda_: float = 0.98  # weight of appearance against motion in the matching cost
    gating_threshold: float = CHI2_95_4DOF
    std_weight_position: float = 1 / 20
    std_weight_velocity: float = 1 / 160
    embed_every: int = 16
    small_face: int = 32  # faces smaller than this (pixels at analysis size) are refreshed every small_embed_every frames
    small_embed_every: int = 64
    clear_iou: float = 0.3
    min_identity_sim: float = 0.25  # a fresh feature less similar than this to its track's EMA is another person
    max_patch_change: float = 25.0  # mean |Δ| of a face's 16×16 colour patch beyond which its identity is re-checked
    looks: int = 8  # patches per track that identity features vouched for; a face like one of them is not in doubt


@dataclass
class ShotConfig:
    enabled: bool = True
    threshold: float = 12.0  # hard-cut content change (mean |ΔHSV| of 64×36 thumbnails, 0-255)
    min_ratio: float = 3.0  # ... and this many times the median change of the frames around it
    flash_frames: int = 3  # a change undone within this many frames is a flash, not a cut
    black: float = 18.0  # brightness (V, 0-255) under which 95% of a black frame's pixels lie
    window: int = 8  # frames before a cut whose typical change it must exceed `min_ratio` times (after: the lag)
    suspicious: float = 0.5  # a change above this share of `threshold` makes the tracker re-check identities


@dataclass
class FacenessConfig:
    enabled: bool = True
    min_score: float = 0.75  # median detection score of a track
    min_plausible: float = 0.5  # share of its frames with a face-like landmark layout
    max_roll: float = 70.0  # degrees the eyes→mouth direction may lean from straight down


@dataclass
class TrackOptions:
    fps: float = 16.0
    detector: str = "yunet"
    det_threshold: float = 0.7
    min_face: int = 16
    max_side: int = 512
    key_frames: int = 16
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    shots: ShotConfig = field(default_factory=ShotConfig)
    faceness: FacenessConfig = field(default_factory=FacenessConfig)
    link_sim: float = 0.4  # mean-feature cosine similarity that links two tracks into one identity
    crops_dir: str | None = None
    crop_margin: float = 0.5
    crop_size: int = 224
    viz_dir: str | None = None
    threads: int = 0  # OpenCV (and torch) threads; 0 = automatic: OpenCV 1 while detect_threads > 1, else the library's
    detect_threads: int = 2  # frames detected ahead, in parallel, while the tracker works on the current one
    embed_threads: int = 2  # a frame's identity features (several faces) computed on this many threads
