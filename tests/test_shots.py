"""The shot detector on synthetic frame sequences: cut, fade through black, static, flash, camera motion."""

import numpy as np
import pytest

from fdacli.core.track.shots import ShotConfig, ShotDetector, shot_spans, with_shots


def texture(seed: int, w: int = 320, h: int = 180) -> np.ndarray:
    import cv2

    rng = np.random.default_rng(seed)
    low = rng.integers(30, 220, (9, 16, 3)).astype(np.uint8)
    return cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC)


def noisy(frames, seed=0):
    rng = np.random.default_rng(seed)
    return [np.clip(f.astype(np.int16) + rng.integers(-6, 7, f.shape), 0, 255).astype(np.uint8) for f in frames]


def boundaries(frames, **kw) -> list[int]:
    det = ShotDetector(ShotConfig(**kw))
    verdicts = [v for f in frames for v in det.push(f)] + det.flush()
    assert [v.index for v in verdicts] == list(range(len(frames)))  # one verdict per frame, in order
    return [v.index for v in verdicts if v.boundary]


A, B = texture(1), texture(2)


def test_hard_cut_is_found_at_its_frame():
    assert boundaries(noisy([A] * 20 + [B] * 20)) == [20]


def test_several_cuts_and_a_short_shot():
    C = texture(3)
    assert boundaries(noisy([A] * 10 + [B] * 6 + [C] * 10 + [A] * 10)) == [10, 16, 26]


def test_static_and_noisy_video_has_no_boundary():
    assert boundaries(noisy([A] * 60)) == []


def test_flash_is_not_a_cut():
    flash = np.full_like(A, 250)
    assert boundaries(noisy([A] * 20 + [flash] * 2 + [A] * 20)) == []
    # ... but a flash that lands on a cut still leaves the cut (the flash may become a 2-frame shot)
    found = boundaries(noisy([A] * 20 + [flash] * 2 + [B] * 20))
    assert found and set(found) <= {20, 22}


def test_fade_through_black_starts_a_shot_when_the_picture_returns():
    out = [(A * (1 - k / 8)).astype(np.uint8) for k in range(9)]
    into = [(B * (k / 8)).astype(np.uint8) for k in range(1, 9)]
    found = boundaries(noisy([A] * 10 + out + [np.zeros_like(A)] * 4 + into + [B] * 10))
    assert len(found) == 1 and 19 <= found[0] <= 24


def test_camera_motion_is_not_a_cut():
    wide = texture(4, 960, 180)
    pan = [np.ascontiguousarray(wide[:, x : x + 320]) for x in range(0, 600, 12)]  # 12 px a frame
    assert boundaries(noisy(pan)) == []


@pytest.mark.parametrize("speed", [40, 60])
def test_a_fast_pan_after_a_still_start_is_not_a_cut(speed):
    """The ratio guard must look after the candidate too: the first pan frames follow calm ones."""
    wide = texture(5, 320 + 25 * speed, 180)
    pan = [np.ascontiguousarray(wide[:, x : x + 320]) for x in range(0, 25 * speed, speed)]
    assert boundaries(noisy([pan[0]] * 20 + pan)) == []


def test_a_dim_flickering_scene_is_not_a_run_of_fades():
    import cv2

    dim = cv2.cvtColor(texture(6), cv2.COLOR_RGB2HSV)
    dim[..., 2] = (dim[..., 2].astype(np.float32) * 18.5 / max(1.0, dim[..., 2].mean())).clip(0, 255).astype(np.uint8)
    base = cv2.cvtColor(dim, cv2.COLOR_HSV2RGB)
    rng = np.random.default_rng(3)
    frames = [np.clip(base * rng.uniform(0.95, 1.05), 0, 255).astype(np.uint8) for _ in range(80)]
    assert boundaries(frames) == []


def test_switched_off():
    assert boundaries(noisy([A] * 10 + [B] * 10), enabled=False) == []


def test_threshold_option_moves_the_decision():
    half = ((A.astype(np.uint16) + B) // 2).astype(np.uint8)  # a smaller change than a full cut
    assert boundaries(noisy([A] * 15 + [half] * 15)) == [15]
    assert boundaries(noisy([A] * 15 + [half] * 15), threshold=80.0) == []


def test_spans_are_contiguous_source_ranges():
    frames = [0, 2, 4, 6, 8, 10, 12]
    assert shot_spans(frames, []) == [[0, 12]]
    assert shot_spans(frames, [3, 5]) == [[0, 5], [6, 9], [10, 12]]
    assert shot_spans([], [1]) == []


def test_stream_wrapper_keeps_order_and_items():
    frames = noisy([A] * 8 + [B] * 8)
    out = list(with_shots(((i, f, f"faces{i}") for i, f in enumerate(frames)), ShotConfig()))
    assert [o[0] for o in out] == list(range(16)) and [o[2] for o in out] == [f"faces{i}" for i in range(16)]
    assert [o[3].index for o in out if o[3].boundary] == [8]


@pytest.mark.parametrize("shape", [(36, 64), (90, 160, 3)])
def test_grey_and_tiny_frames(shape):
    g = np.zeros(shape, np.uint8)
    assert boundaries([g + 40] * 5 + [g + 200] * 5) == [5]
