"""The video layer decodes what decord cannot deliver, with OpenCV, and says so."""

import numpy as np

import media
from fdacli.core.media import video
from fdacli.core.media.video import Decoding, iter_frames, probe, read_frames


def test_tiny_clip_decodes_to_rgb_whichever_decoder(tmp_path):
    # 96x64 is the size decord2 returns 4-channel frames for on some machines (then get_batch fails)
    p = media.compose(tmp_path / "tiny.mp4", media.ONE_PERSON, seconds=1, fps=10, size=(96, 64))
    assert probe(p).num_frames == 10
    d = Decoding()
    frames = [f for _, f in iter_frames(p, [0, 3, 9], decoding=d)]
    assert [f.shape for f in frames] == [(64, 96, 3)] * 3
    assert read_frames(p, [9, 0]).shape == (2, 64, 96, 3)
    assert d.decoder in ("decord", "opencv")


def test_decord_failure_falls_back_to_opencv(tmp_path, monkeypatch):
    p = media.compose(tmp_path / "c.mp4", media.ONE_PERSON, seconds=2, fps=25, size=(320, 180))
    idx = [0, 7, 8, 30, 49]
    want = np.stack([f for _, f in iter_frames(p, idx)])

    def broken(frames, n, size):
        raise ValueError("decord returned frames of shape (5, 180, 320, 4)")

    monkeypatch.setattr(video, "_checked", broken)
    d = Decoding()
    got = np.stack([f for _, f in iter_frames(p, idx, size=(160, 90), decoding=d)])
    assert d.decoder == "opencv" and "shape (5, 180, 320, 4)" in d.fallback
    assert got.shape == (5, 90, 160, 3)
    full = np.stack([f for _, f in iter_frames(p, idx, decoding=Decoding())])
    assert np.abs(full.astype(int) - want.astype(int)).mean() < 3  # the same frames, not neighbours
    assert read_frames(p, [30, 0]).shape == (2, 180, 320, 3)
