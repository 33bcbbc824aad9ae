"""The video layer: frames streamed forward by OpenCV (decord where OpenCV fails, and the record says so), the
same frames as decord's exact index after a seek, and nothing decoded that was not asked for."""

import time

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


def test_opencv_failure_falls_back_to_decord(tmp_path, monkeypatch):
    p = media.compose(tmp_path / "c.mp4", media.ONE_PERSON, seconds=2, fps=25, size=(320, 180))
    idx = [0, 7, 8, 30, 49]
    want = np.stack([f for _, f in iter_frames(p, idx)])

    def broken(self, indices, size):
        raise video.VideoError("decoding stopped at frame 3 of c.mp4")

    monkeypatch.setattr(video._ForwardReader, "read", broken)
    d = Decoding()
    got = np.stack([f for _, f in iter_frames(p, idx, size=(160, 90), decoding=d)])
    assert d.decoder == "decord" and "decoding stopped at frame 3" in d.fallback
    assert got.shape == (5, 90, 160, 3)
    full = np.stack([f for _, f in iter_frames(p, idx, decoding=Decoding())])
    assert np.abs(full.astype(int) - want.astype(int)).mean() < 3  # the same frames, not neighbours


def test_decord_failure_in_random_access_falls_back_to_opencv(tmp_path, monkeypatch):
    p = media.compose(tmp_path / "c.mp4", media.ONE_PERSON, seconds=2, fps=25, size=(320, 180))
    want = read_frames(p, [30, 0])

    def broken(frames, n, size):
        raise ValueError("decord returned frames of shape (2, 180, 320, 4)")

    monkeypatch.setattr(video, "_checked", broken)
    got = read_frames(p, [30, 0])
    assert got.shape == (2, 180, 320, 3) and np.array_equal(got, want)


def _h264(path, seconds: float, fps: int = 25, size=(160, 120)):
    """An H.264 clip with B-frames and a key frame every 50 frames (x264's defaults otherwise), every frame
    unlike its neighbours: what a seek can get wrong by a frame."""
    import av

    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=fps, options={"g": "50", "bf": "2"})
        s.width, s.height, s.pix_fmt = size[0], size[1], "yuv420p"
        for k in range(int(seconds * fps)):
            img = np.roll(base, 3 * k, axis=1)
            img[:12, :] = (k * 7) % 255  # a band whose brightness counts the frames
            for pkt in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in s.encode():
            out.mux(pkt)
    return path


def test_a_late_clip_is_reached_by_a_seek_to_the_exact_frames(tmp_path):
    p = _h264(tmp_path / "h.mp4", seconds=12)
    n = probe(p).num_frames
    assert n == 300
    for start in (0, video.SEEK_FROM + 1, 137, 250, n - 20):
        idx = list(range(start, min(n, start + 20), 3))
        got = np.stack([f for _, f in iter_frames(p, idx)])
        assert np.array_equal(got, read_frames(p, idx)), start  # decord's exact index agrees, pixel for pixel


def test_streaming_decodes_only_what_is_asked(tmp_path, monkeypatch):
    # decord keeps decoding ahead while its caller works, and keeps the frames: memory grew with the video's length
    p = media.compose(tmp_path / "c.mp4", media.ONE_PERSON, seconds=4, fps=25, size=(160, 90))
    grabs = []
    real = video._ForwardReader.__init__

    def counting(self, path, start=0, check=True):
        real(self, path, start, check)
        cap = self.cap

        class Cap:
            def grab(self_):
                grabs.append(1)
                return cap.grab()

            def __getattr__(self_, name):
                return getattr(cap, name)

        self.cap = Cap()

    monkeypatch.setattr(video._ForwardReader, "__init__", counting)
    frames = iter_frames(p, [2, 5, 9, 40, 60, 61], chunk=2)
    assert [i for i, _ in zip(range(3), frames)] == [0, 1, 2]  # three frames taken; then the caller is busy
    time.sleep(0.5)
    assert 41 <= len(grabs) <= 62  # it served them; at most the chunk after the caller's, never the 100-frame clip
    frames.close()


def test_a_seek_that_lands_elsewhere_is_caught_and_decord_reads_the_clip(tmp_path, monkeypatch):
    p = _h264(tmp_path / "h.mp4", seconds=12)
    idx = list(range(137, 160, 3))
    want = read_frames(p, idx)
    real = video._ForwardReader.__init__

    def off_by_two(self, path, start=0, check=True):  # a container whose timestamps mislead OpenCV's seek
        real(self, path, start, check)
        if self.check_at is not None:
            self.cap.set(self.cv2.CAP_PROP_POS_FRAMES, start + 2)

    monkeypatch.setattr(video._ForwardReader, "__init__", off_by_two)
    d = Decoding()
    got = np.stack([f for _, f in iter_frames(p, idx, decoding=d)])
    assert d.decoder == "decord" and "landed on another frame" in d.fallback
    assert np.array_equal(got, want)
