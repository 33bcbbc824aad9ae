"""Kalman filter, association, main-character selection and key frames on constructed inputs."""

import numpy as np
import pytest

from fdacli.core.faces.base import Face, l2_normalise
from fdacli.core.track.keyframes import select_key_frames
from fdacli.core.track.main_character import TrackStats, select_main, track_stats
from fdacli.core.track.tracker import Tracker, TrackerConfig
from fdacli.core.track.tracker.association import assign, iou_matrix
from fdacli.core.track.config import CHI2_95_4DOF
from fdacli.core.track.tracker.kalman import BoxKalman, xyah_to_xyxy, xyxy_to_xyah
from fdacli.core.media.schedule import resample_indices, uniform_positions
from fdacli.core.media.video import VideoInfo


def face(box, score=0.95):
    b = np.array(box, np.float32)
    lm = np.array([[b[0] + 0.3 * (b[2] - b[0]), b[1] + 0.4 * (b[3] - b[1])]] * 5, np.float32)
    return Face(box=b, score=score, landmarks=lm)


def test_box_conversions_roundtrip():
    b = np.array([10, 20, 50, 100], np.float32)
    np.testing.assert_allclose(xyah_to_xyxy(xyxy_to_xyah(b)), b, atol=1e-4)


def test_kalman_learns_constant_velocity_and_gates():
    kf = BoxKalman(np.array([0, 0, 40, 40], np.float32))
    for t in range(1, 20):
        kf.predict()
        kf.update(np.array([5 * t, 0, 5 * t + 40, 40], np.float32), confidence=0.9)
    kf.predict()
    assert abs(kf.box()[0] - 100) < 2.0  # extrapolates the 5 px/frame motion
    near, far = kf.gating_distance(np.array([[100, 0, 140, 40], [300, 200, 340, 240]], np.float32))
    assert near < CHI2_95_4DOF < far


def test_nsa_trusts_confident_detections_more():
    a, b = BoxKalman(np.array([0, 0, 40, 40], np.float32)), BoxKalman(np.array([0, 0, 40, 40], np.float32))
    for kf, conf in ((a, 0.99), (b, 0.3)):
        kf.predict()
        kf.update(np.array([10, 0, 50, 40], np.float32), confidence=conf)
    assert a.box()[0] > b.box()[0]  # pulled closer to the measurement


def test_iou_and_assign():
    iou = iou_matrix(np.array([[0, 0, 10, 10]]), np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]]))
    np.testing.assert_allclose(iou, [[1.0, 1 / 3, 0.0]])
    m, ur, uc = assign(np.array([[0.1, 0.9], [0.2, 0.95]]), max_cost=0.5)
    assert m == [(0, 0)] and ur == [1] and uc == [1]


def _feats(n, seed=0):
    return l2_normalise(np.random.default_rng(seed).normal(size=(n, 128)))


@pytest.mark.parametrize("embed_every", [1, 16])
def test_tracker_keeps_identities_through_a_crossing(embed_every):
    """Two faces swap sides and overlap mid-way; appearance must keep their identities."""
    ids = _feats(2)
    tr = Tracker(TrackerConfig(embed_every=embed_every))
    for f in range(40):
        x_a, x_b = 20 + 8 * f, 340 - 8 * f
        faces = [face([x_a, 50, x_a + 60, 110]), face([x_b, 70, x_b + 60, 130])]
        noise = _feats(2, seed=f + 1) * 0.05
        tr.step(f, faces, lambda idx, n=noise: l2_normalise(ids[idx] + n[idx]))
    tracks = tr.finished_tracks()
    assert len(tracks) == 2
    for t in tracks:
        xs = [b[0] for b in t.boxes]
        assert len(xs) == 40 and (np.all(np.diff(xs) > 0) or np.all(np.diff(xs) < 0)), "identity switch"
    if embed_every > 1:
        assert 0 < tr.embedded < tr.detections  # appearance was computed on demand only


@pytest.mark.parametrize("embed_every", [1, 16])
def test_reappearing_face_is_not_taken_by_the_live_track(embed_every):
    """B is hidden for 3 frames and re-appears over A's position while A is missed: the overlap with
    B's lost track makes the detection ambiguous, so appearance decides (as with embed_every=1)."""
    rng = np.random.default_rng(0)
    fa, fb = l2_normalise(rng.normal(size=128)), l2_normalise(rng.normal(size=128))
    tr = Tracker(TrackerConfig(embed_every=embed_every))
    for t in range(16):
        faces, ids = [], []
        if t != 13:
            faces.append(face([100, 100, 160, 160]))
            ids.append("A")
        if not 10 <= t <= 12:
            x = 250 - 10 * t
            faces.append(face([x, 100, x + 60, 160]))
            ids.append("B")
        tr.step(t, faces, lambda idx, ids=ids: np.stack([fa if ids[i] == "A" else fb for i in idx]))
    by_first_x = {float(t.boxes[0][0]): t for t in tr.finished_tracks()}
    a, b = by_first_x[100.0], by_first_x[250.0]
    assert 13 not in a.frames and 13 in b.frames


def test_n_init_one_confirms_at_once():
    tr = Tracker(TrackerConfig(n_init=1))
    for f in range(5):
        tr.step(f, [face([0, 0, 40, 40])], lambda idx: _feats(1)[[0] * len(idx)])
    assert len(tr.finished_tracks()) == 1


def test_tentative_tracks_die_and_confirmed_ones_age_out():
    cfg = TrackerConfig(n_init=3, max_age=5, embed_every=1)
    tr = Tracker(cfg)
    emb = lambda idx: _feats(len(idx))  # noqa: E731
    tr.step(0, [face([0, 0, 40, 40]), face([200, 200, 240, 240])], emb)  # second one is a one-frame blip
    for f in range(1, 4):
        tr.step(f, [face([0, 0, 40, 40])], lambda idx: _feats(1)[[0] * len(idx)])
    for f in range(4, 12):
        tr.step(f, [], emb)
    out = tr.finished_tracks()
    assert len(out) == 1 and out[0].frames == [0, 1, 2, 3]
    assert not tr.tracks  # deleted after max_age misses


def test_short_clip_keeps_unconfirmed_tracks():
    tr = Tracker(TrackerConfig(n_init=3))
    tr.step(0, [face([0, 0, 40, 40])], lambda idx: _feats(len(idx)))
    assert len(tr.finished_tracks()) == 1


def test_track_stats_values():
    f = l2_normalise(np.array([[1, 0], [1, 1], [0, 1]], np.float64))
    s = track_stats([np.array([0, 0, 10, 10]), np.array([0, 0, 20, 10])], list(f), frame_area=100.0)
    assert s.area == pytest.approx(3.0)
    sims = [f[0] @ f[1], f[0] @ f[2], f[1] @ f[2]]
    assert s.similarity == pytest.approx(np.mean(sims))


def test_select_main_cases():
    assert select_main([]) == []
    assert select_main([TrackStats(0.1, 0.2)]) == [True]
    assert select_main([TrackStats(1.0, 0.8)] * 3) == [True, True, True]  # indistinguishable
    two = select_main([TrackStats(0.2, 0.9), TrackStats(5.0, 0.9)])
    assert two == [False, True]
    three = select_main([TrackStats(0.3, 0.6), TrackStats(9.0, 0.95), TrackStats(0.25, 0.95)])
    assert three == [False, True, False]
    # Two similar large tracks (a dialogue) against small background ones: both main.
    four = select_main([TrackStats(8.0, 0.9), TrackStats(7.5, 0.92), TrackStats(0.2, 0.7), TrackStats(0.1, 0.9)])
    assert four == [True, True, False, False]
    assert select_main([TrackStats(0.3, 0.6), TrackStats(9.0, 0.95), TrackStats(0.25, 0.95)]) == three  # deterministic


def test_key_frames_replace_missing_main_with_nearest():
    sampled = list(range(0, 32, 2))  # 16 analysed frames
    with_main = {f for f in sampled if f >= 10}
    kf = select_key_frames(sampled, with_main, 4)
    assert kf == sorted(kf) and all(f in with_main for f in kf)
    assert len(set(kf)) == 4  # prefers frames not chosen yet
    assert select_key_frames(sampled, set(), 4) == [0, 10, 20, 30]  # no main face: evenly spaced
    assert select_key_frames([0, 5], {5}, 4) == [5, 5, 5, 5]  # short clip: repeats, all with the face


def test_resampling_to_16fps():
    info = VideoInfo(fps=30.0, num_frames=300, width=640, height=360)
    idx = resample_indices(info, 16.0)
    assert len(idx) == 160 and idx[0] == 0 and idx[-1] < 300
    assert resample_indices(info, 16.0, start=2.0, end=4.0)[0] == 60
    assert len(resample_indices(info, 16.0, start=2.0, end=4.0)) == 32
    slow = VideoInfo(fps=10.0, num_frames=40, width=640, height=360)
    assert resample_indices(slow, 16.0) == list(range(40))  # never upsample
    assert resample_indices(info, 16.0, start=20.0) == []
    steps = np.diff(resample_indices(VideoInfo(fps=24.0, num_frames=240, width=8, height=8), 16.0))
    assert list(steps[:8]) == [2, 1, 2, 1, 2, 1, 2, 1]  # half-up rounding keeps 24 fps steps regular
    assert resample_indices(VideoInfo(fps=30.0, num_frames=1, width=8, height=8), 16.0) == [0]  # one-frame video
    assert uniform_positions(160, 16)[0] == 0 and uniform_positions(160, 16)[-1] == 159


def test_new_shot_ends_every_track_and_nothing_crosses_it():
    tr = Tracker(TrackerConfig(embed_every=16))
    feat = l2_normalise(np.ones((1, 8), np.float32))
    for f in range(5):
        tr.step(f, [face([100, 100, 160, 160])], lambda ids: np.repeat(feat, len(ids), 0))
    tr.new_shot()
    for f in range(5, 10):  # the same box, the same feature: still a new track after the cut
        tr.step(f, [face([100, 100, 160, 160])], lambda ids: np.repeat(feat, len(ids), 0))
    a, b = tr.finished_tracks()
    assert a.frames == [0, 1, 2, 3, 4] and b.frames == [5, 6, 7, 8, 9]


def test_identity_guard_ends_a_track_when_the_person_changes():
    """Same place, no cut: a fresh feature of somebody else splits the track (refresh frames)."""
    rng = np.random.default_rng(0)
    fa, fb = l2_normalise(rng.normal(size=(1, 16))), l2_normalise(rng.normal(size=(1, 16)))
    tr = Tracker(TrackerConfig(embed_every=4))
    for f in range(20):
        who = fa if f < 10 else fb
        tr.step(f, [face([100 + f, 100, 160 + f, 160])], lambda ids, w=who: np.repeat(w, len(ids), 0))
    a, b = tr.finished_tracks()
    assert a.frames[-1] < 12 and b.frames[0] == a.frames[-1] + 1  # split within one refresh period
    assert all(float(x @ fa[0]) > 0.99 for x in a.features) and all(float(x @ fb[0]) > 0.99 for x in b.features)
    # with the guard off the same input fuses the two people into one track
    tr = Tracker(TrackerConfig(embed_every=4, min_identity_sim=-1.0))
    for f in range(20):
        who = fa if f < 10 else fb
        tr.step(f, [face([100 + f, 100, 160 + f, 160])], lambda ids, w=who: np.repeat(w, len(ids), 0))
    assert len(tr.finished_tracks()) == 1


def test_link_identities_across_tracks_never_joins_co_visible_tracks():
    from fdacli.core.track.identities import link_identities

    rng = np.random.default_rng(1)
    a, b = l2_normalise(rng.normal(size=(1, 32)))[0], l2_normalise(rng.normal(size=(1, 32)))[0]
    near = lambda v: [l2_normalise((v + 0.2 * rng.normal(size=32))[None])[0] for _ in range(4)]  # noqa: E731
    feats = [near(a), near(b), near(a), near(a)]
    frames = [[0, 1, 2], [0, 1, 2, 3, 4, 5], [4, 5], [1, 2]]  # track 3 is on screen with track 0: another person
    lab = link_identities(feats, frames)
    assert lab[0] == 0 and lab[1] == 1 and lab[3] not in (lab[0], lab[1])  # co-visible tracks stay apart
    assert lab[2] in (lab[0], lab[3])  # track 2 looks like person a: linked to one of the two
    assert link_identities(feats, frames, link_sim=1.01) == [0, 1, 2, 3]
    assert link_identities([], []) == []


def test_faceness_geometry():
    from fdacli.core.track.faceness import FacenessConfig, is_face_track, plausible_landmarks

    box = np.array([100, 100, 200, 220], np.float32)
    upright = np.array([[130, 145], [170, 145], [150, 170], [135, 195], [165, 195]], np.float32)
    assert plausible_landmarks(box, upright)
    assert not plausible_landmarks(box, upright[[3, 4, 2, 0, 1]])  # mouth above the eyes
    assert not plausible_landmarks(box, upright + 200)  # landmarks far outside the box
    assert not plausible_landmarks(box, np.array([[150, 130], [150, 150], [150, 170], [150, 190], [150, 200]], np.float32))
    cfg = FacenessConfig()
    assert is_face_track([0.9] * 5, [upright] * 5, [box] * 5, cfg)
    assert not is_face_track([0.72] * 5, [upright] * 5, [box] * 5, cfg)  # hovering at the detection threshold
    assert is_face_track([0.72] * 5, [upright] * 5, [box] * 5, FacenessConfig(enabled=False))


def test_one_outlier_feature_does_not_split_a_track():
    """A blurred or turned face gives one disagreeing feature: probation, not a split."""
    rng = np.random.default_rng(2)
    fa, v = l2_normalise(rng.normal(size=(1, 16))), rng.normal(size=(1, 16))
    odd = l2_normalise(v - (v @ fa.T) * fa)  # unlike the track's face (similarity 0)
    tr = Tracker(TrackerConfig(embed_every=4))
    for f in range(30):
        who = odd if f == 8 else fa
        tr.step(f, [face([100 + f, 100, 160 + f, 160])], lambda ids, w=who: np.repeat(w, len(ids), 0))
    (t,) = tr.finished_tracks()
    assert t.frames == list(range(30)) and all(float(x @ fa[0]) > 0.99 for x in t.features)  # the outlier is not kept


def test_a_changed_face_between_refreshes_is_checked_at_once():
    """Same place, same box, no refresh due: the face patch changes, so its identity is checked."""
    rng = np.random.default_rng(4)
    fa, fb = l2_normalise(rng.normal(size=(1, 16))), l2_normalise(rng.normal(size=(1, 16)))
    pa, pb = np.full((1, 16, 16, 3), 90, np.float32), np.full((1, 16, 16, 3), 170, np.float32)
    tr = Tracker(TrackerConfig(embed_every=16))
    for f in range(30):
        who, patch = (fa, pa) if f < 21 else (fb, pb)
        tr.step(f, [face([100, 100, 160, 160])], lambda ids, w=who: np.repeat(w, len(ids), 0), patches=patch)
    a, b = tr.finished_tracks()
    assert a.frames[-1] == 20 and b.frames[0] == 21  # split exactly at the change, far from a refresh frame


def test_contact_sheet_labels_never_overlap():
    from fdacli.core.track.viz import _overlap, _place

    placed = [(0, 160, 320, 180)]
    boxes = [(100, 40, 160, 100), (104, 44, 164, 104), (98, 38, 158, 98)]  # three faces crossing at one spot
    spots = [_place(f"#{k} P{k} main", b, placed, 180) for k, b in enumerate(boxes)]
    rects = placed[1:]
    assert len(set(spots)) == 3
    assert not any(_overlap(a, b) for i, a in enumerate(rects) for b in rects[i + 1:])
    assert all(r[1] >= 0 and r[3] <= 180 for r in rects)
