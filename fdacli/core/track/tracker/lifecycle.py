"""Track lifecycle and per-frame association, after StrongSORT (Du et al., 2023).

Per frame: predict every track; match confirmed tracks to detections by a mix of appearance
(cosine distance to the track's EMA feature) and motion (squared Mahalanobis distance), both gated;
then match what is left — tentative tracks and tracks missed only in the last frame — by IoU;
unmatched detections start tentative tracks, which are confirmed after ``n_init`` consecutive hits
and deleted on a miss; confirmed tracks die after ``max_age`` missed frames.

Appearance on demand.  Identity features are the expensive part (SFace: ~24 ms per face on two
CPU cores, more than the detector).  They are what resolves ambiguity, so with ``embed_every`` > 1
a detection gets a feature only when it needs one: on every ``embed_every``-th frame (refreshing the
EMA and the similarity statistics; faces under ``small_face`` pixels only every ``small_embed_every``-th),
or when it is not *clearly owned* — exactly one live track overlaps it (IoU above ``clear_iou``), that
track overlaps no other detection, is not on probation, and the face looks like itself (below).
Crossings, newcomers and re-appearances near another track therefore always go through full appearance
matching; ``embed_every=1`` embeds every detection, which is StrongSORT as published.

Looking like itself.  Each face has a 16×16 colour patch; each track keeps its last patch and a small bank
of ``looks`` patches from frames whose identity a feature vouched for.  A face looks like itself when its
patch is within ``max_patch_change`` of the track's last patch or of a vouched-for look.  The bank is what
makes a head that turns, nods and talks cheap: it keeps coming back to looks it had, and a turning head
changes its patch on nearly every frame (issue 24: 59 % of frames embedded before the bank, 7 % after).  Two
situations ask for a vouched-for look, since the last frame proves nothing there: a frame whose whole
picture changed a lot (``changed``: perhaps a cut the shot detector let pass — it used to force a feature
for every face, every such frame, which on a handheld camera is most frames) and a face back after missed
detections (small and blurred faces flicker in and out of detection).

Identity guard.  One track is one person.  Whenever a match is made with a fresh feature at hand (any
match outside the clearly-owned shortcut: IoU matches after a jump or a gap, refresh frames, and faces
that do not look like themselves — a different face at the same place), a feature whose
cosine similarity to the track's EMA is under ``min_identity_sim`` puts the track on probation: that
frame is kept out of its features and the next frame is embedded too.  A second disagreeing feature in a
row ends the track before the probation frame and starts a new one from it; an agreeing one clears it,
so one blurred or turned face never splits a track.  A split track is rejoined by identity linking
(core/track/identities.py); a fused one would feed another person's face downstream.  Only agreeing
features add looks to the bank, so another person's look is never vouched for on this track.
``new_shot()`` ends every live track: motion state never crosses a shot boundary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from fdacli.core.faces.base import Face, l2_normalise
from fdacli.core.track.tracker.association import INFEASIBLE, assign, cosine_distance, iou_matrix
from fdacli.core.track.config import TrackerConfig
from fdacli.core.track.tracker.kalman import BoxKalman

TENTATIVE, CONFIRMED, DELETED = "tentative", "confirmed", "deleted"


@dataclass
class Track:
    track_id: int
    kalman: BoxKalman
    state: str = TENTATIVE
    hits: int = 1
    time_since_update: int = 0
    feature: np.ndarray | None = None  # EMA of identity features, L2-normalised
    frames: list[int] = field(default_factory=list)
    boxes: list[np.ndarray] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    landmarks: list[np.ndarray] = field(default_factory=list)
    features: list[np.ndarray] = field(default_factory=list)  # every feature computed for it
    ever_confirmed: bool = False
    suspect: np.ndarray | None = None  # a fresh feature that disagreed at its last frame (on probation)
    patch: np.ndarray | None = None  # 16×16 colour patch of its last detection (cheap change detector)
    looks: list[np.ndarray] = field(default_factory=list)  # patches of frames whose identity a feature confirmed

    def add(self, frame: int, face: Face, feat: np.ndarray | None, alpha: float) -> None:
        self.frames.append(frame)
        self.boxes.append(face.box.copy())
        self.scores.append(face.score)
        self.landmarks.append(face.landmarks.copy())
        if feat is not None:
            self.features.append(feat)
            self.feature = feat if self.feature is None else l2_normalise(alpha * self.feature + (1 - alpha) * feat)

    def remember_look(self, patch: np.ndarray | None, keep: int) -> None:
        """Keep ``patch`` as a look of this person that an identity feature vouched for.

        A full bank replaces its look nearest to the new one, so the bank stays spread over the poses the
        face has shown (a head turning side to side comes back to looks it had) and follows slow changes
        (lighting) instead of forgetting the oldest pose."""
        if patch is None or keep <= 0:
            return
        if len(self.looks) < keep:
            self.looks.append(patch)
            return
        nearest = int(np.argmin([patch_distance(patch, x) for x in self.looks]))
        self.looks[nearest] = patch

    def looks_like_itself(self, patch: np.ndarray, max_change: float, verified_only: bool) -> bool:
        """Is ``patch`` within ``max_change`` of this face's last look, or of a look a feature vouched for?

        ``verified_only`` (the whole picture changed a lot — perhaps a cut the shot detector let pass — or
        the face was missed on the frames before) asks for a vouched-for look: the last frame's look proves
        nothing then."""
        if not verified_only and self.patch is not None and patch_distance(patch, self.patch) <= max_change:
            return True
        return any(patch_distance(patch, x) <= max_change for x in self.looks)


def patch_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two face patches (0-255 scale)."""
    return float(np.abs(a - b).mean())


class Tracker:
    """Feed it frames in order with ``step``; read ``finished_tracks()`` at the end."""

    def __init__(self, config: TrackerConfig | None = None) -> None:
        self.cfg = config or TrackerConfig()
        self.tracks: list[Track] = []
        self.dead: list[Track] = []
        self._next_id = 1
        self._step = 0
        self.embedded = 0  # detections whose identity feature was computed
        self.detections = 0
        self.reasons: Counter[str] = Counter()  # why features were computed (bench/track.py reports it)

    def new_shot(self) -> None:
        """End every live track: nothing of a shot's motion state carries over a cut."""
        for t in self.tracks:
            t.state = DELETED
        self.dead.extend(self.tracks)
        self.tracks = []

    def step(self, frame: int, faces: list[Face], embed: Callable[[list[int]], np.ndarray], refresh: bool = False,
             patches: np.ndarray | None = None, changed: bool = False) -> None:
        """Advance one analysed frame; ``embed(indices)`` returns features for those faces.

        ``refresh`` forces a feature for every face; ``patches`` (one small colour patch per face) let a face
        that changed look be re-checked; ``changed`` (the caller saw the whole picture change a lot) asks every
        face without a feature to look as its track looked when a feature last vouched for it."""
        cfg = self.cfg
        self.detections += len(faces)
        for t in self.tracks:
            t.kalman.predict()
            t.time_since_update += 1

        feats: dict[int, np.ndarray] = {}

        def ensure(idx: list[int], reason: str) -> None:
            todo = [i for i in idx if i not in feats]
            if todo:
                for i, f in zip(todo, embed(todo)):
                    feats[i] = f
                self.embedded += len(todo)
                self.reasons[reason] += len(todo)

        boxes = np.stack([f.box for f in faces]) if faces else np.zeros((0, 4), np.float32)
        owner: dict[int, int] = {}
        if refresh or cfg.embed_every <= 1:  # every face through full appearance matching (StrongSORT as published)
            ensure(list(range(len(faces))), "asked" if refresh else "refresh")
        else:
            owner, doubt = self._clear_owners(boxes, patches, changed)
            ensure(doubt, "look changed")
            ensure([j for j in range(len(faces)) if j not in owner], "not clearly owned")
            ensure(self._due(faces, owner), "refresh")

        # Clearly owned detections go to their owner first; everything else is matched on appearance.
        matches = [(ti, dj) for dj, ti in owner.items()]
        matched_t = set(owner.values())
        matched_d = set(owner)
        confirmed = [i for i, t in enumerate(self.tracks) if t.state == CONFIRMED and i not in matched_t]
        with_feat = [j for j in range(len(faces)) if j in feats and j not in matched_d]
        for ti, dj in self._appearance_match(confirmed, with_feat, boxes, feats):
            matches.append((ti, dj))
            matched_t.add(ti)
            matched_d.add(dj)

        iou_tracks = [
            i for i, t in enumerate(self.tracks)
            if i not in matched_t and (t.state == TENTATIVE or t.time_since_update == 1)
        ]
        rest = [j for j in range(len(faces)) if j not in matched_d]
        if iou_tracks and rest:
            tb = np.stack([self.tracks[i].kalman.box() for i in iou_tracks])
            cost = 1.0 - iou_matrix(tb, boxes[rest])
            m, _, _ = assign(cost, cfg.max_iou_dist)
            for r, c in m:
                matches.append((iou_tracks[r], rest[c]))
                matched_t.add(iou_tracks[r])
                matched_d.add(rest[c])

        contradicted = self._contradicted(matches, feats)
        born: list[Track] = []  # tracks split off this frame (already matched: not aged below)
        for ti, dj in matches:
            t = self.tracks[ti]
            feat = feats.get(dj)
            if ti in contradicted:
                if t.suspect is not None:  # a second disagreeing feature in a row: another person
                    born.append(self._split(ti, frame, faces[dj], feat, None if patches is None else patches[dj]))
                    continue
                t.suspect, feat = feat, None  # one may be blur or pose: on probation, re-checked next frame
            elif feat is not None:
                t.suspect = None
            t.kalman.update(faces[dj].box, faces[dj].score)
            t.add(frame, faces[dj], feat, cfg.ema_alpha)
            t.patch = None if patches is None else patches[dj]
            if feat is not None:
                t.remember_look(t.patch, cfg.looks)
            t.hits += 1
            t.time_since_update = 0
            if t.state == TENTATIVE and t.hits >= cfg.n_init:
                t.state = CONFIRMED
                t.ever_confirmed = True

        for ti, t in enumerate(self.tracks):
            if ti in matched_t or t.state == DELETED:
                continue
            if t.state == TENTATIVE or t.time_since_update > cfg.max_age:
                t.state = DELETED

        self.tracks.extend(born)
        new = [j for j in range(len(faces)) if j not in matched_d]
        ensure(new, "new track")
        for dj in new:
            t = Track(track_id=self._next_id, kalman=BoxKalman(faces[dj].box, cfg.std_weight_position, cfg.std_weight_velocity))
            t.add(frame, faces[dj], feats.get(dj), cfg.ema_alpha)
            t.patch = None if patches is None else patches[dj]
            t.remember_look(t.patch, cfg.looks)
            if cfg.n_init <= 1:
                t.state, t.ever_confirmed = CONFIRMED, True
            self._next_id += 1
            self.tracks.append(t)

        self.dead.extend(t for t in self.tracks if t.state == DELETED)
        self.tracks = [t for t in self.tracks if t.state != DELETED]
        self._step += 1

    def _due(self, faces: list[Face], owner: dict[int, int]) -> list[int]:
        """Faces whose scheduled feature is due on this frame: every ``embed_every``-th frame, and for faces
        smaller than ``small_face`` pixels only every ``small_embed_every``-th (or while their track has fewer
        than two features: its similarity statistic needs two).

        Scheduled features keep each track's EMA and similarity statistics fresh and bound how long a slow
        change of person could go unnoticed.  Faces that small are background people: SFace features of them
        are unreliable (it aligns to 112 px) and they cannot be the main character; they are tracked, counted
        and checked by their look on every frame like any face, but refreshed less often (docs/benchmarks.md).
        """
        cfg = self.cfg
        if self._step % cfg.embed_every:
            return []
        small_due = cfg.small_embed_every <= 1 or self._step % cfg.small_embed_every == 0

        def due(j: int) -> bool:
            box = faces[j].box
            if small_due or min(box[2] - box[0], box[3] - box[1]) >= cfg.small_face:
                return True
            return j in owner and len(self.tracks[owner[j]].features) < 2

        return [j for j in range(len(faces)) if due(j)]

    def _split(self, ti: int, frame: int, face: Face, feat: np.ndarray | None, patch: np.ndarray | None) -> Track:
        """End track ``ti`` before its probation frame; that frame and this detection start a new track."""
        cfg, old = self.cfg, self.tracks[ti]
        old.state = DELETED
        first = Face(box=old.boxes.pop(), score=old.scores.pop(), landmarks=old.landmarks.pop())
        first_frame = old.frames.pop()
        t = Track(track_id=self._next_id, kalman=BoxKalman(first.box, cfg.std_weight_position, cfg.std_weight_velocity))
        self._next_id += 1
        t.add(first_frame, first, old.suspect, cfg.ema_alpha)
        t.kalman.predict()
        t.kalman.update(face.box, face.score)
        t.add(frame, face, feat, cfg.ema_alpha)
        t.patch, t.hits = patch, 2
        if feat is not None:
            t.remember_look(patch, cfg.looks)
        if t.hits >= cfg.n_init:
            t.state, t.ever_confirmed = CONFIRMED, True
        return t

    def _contradicted(self, matches: list[tuple[int, int]], feats: dict[int, np.ndarray]) -> set[int]:
        """Tracks whose match brought a fresh feature of somebody else."""
        return {
            ti for ti, dj in matches
            if dj in feats and self.tracks[ti].feature is not None
            and float(self.tracks[ti].feature @ feats[dj]) < self.cfg.min_identity_sim
        }

    def _clear_owners(self, boxes: np.ndarray, patches: np.ndarray | None = None,
                      changed: bool = False) -> tuple[dict[int, int], list[int]]:
        """(detection -> track for detections that need no identity feature to be assigned, detections
        that have an owner but whose look puts its identity in doubt).

        A detection is clearly owned when exactly one live track of any state overlaps it and that
        track overlaps no other detection.  A lost track nearby (a face re-appearing) makes it ambiguous.
        A track missed on the frames before (small, blurred or turned faces flicker in and out of
        detection) owns its face again only if the face looks as a feature vouched for.  Tentative tracks
        may own: after every cut all faces start tentative tracks, and embedding each of them until
        confirmed cost an edited clip 1.3x the time of an uncut one (bench/track.py).  An owned face whose
        patch is unlike both its last look and every look a feature vouched for
        (``Track.looks_like_itself``) is in doubt: the identity feature decides, so a different face at the
        same place is still caught on its first frame.
        """
        if not self.tracks or len(boxes) == 0:
            return {}, []
        ious = iou_matrix(np.stack([t.kalman.box() for t in self.tracks]), boxes)
        over = ious > self.cfg.clear_iou
        owners, doubt = {}, []
        for j in range(len(boxes)):
            rows = np.flatnonzero(over[:, j])
            if len(rows) != 1:
                continue
            t = self.tracks[rows[0]]
            if over[rows[0]].sum() != 1 or t.suspect is not None:
                continue
            back = t.time_since_update > 1  # missed on the frames before: its last look proves nothing now
            if patches is None or t.patch is None:
                if not back:
                    owners[j] = int(rows[0])
                continue
            if not t.looks_like_itself(patches[j], self.cfg.max_patch_change, changed or back):
                doubt.append(j)  # same place, different look: the identity feature decides
                continue
            owners[j] = int(rows[0])
        return owners, doubt

    def _appearance_match(
        self, track_idx: list[int], det_idx: list[int], boxes: np.ndarray, feats: dict[int, np.ndarray]
    ) -> list[tuple[int, int]]:
        """(track, detection) pairs from the gated appearance + motion cost."""
        rows = [i for i in track_idx if self.tracks[i].feature is not None]
        if not rows or not det_idx:
            return []
        cfg = self.cfg
        app = cosine_distance(np.stack([self.tracks[i].feature for i in rows]), np.stack([feats[j] for j in det_idx]))
        motion = np.stack([self.tracks[i].kalman.gating_distance(boxes[det_idx]) for i in rows])
        cost = cfg.lambda_ * app + (1 - cfg.lambda_) * motion
        cost[motion > cfg.gating_threshold] = INFEASIBLE
        m, _, _ = assign(cost, cfg.max_cos_dist)  # as StrongSORT: the threshold applies to the mixed cost
        return [(rows[r], det_idx[c]) for r, c in m]

    def finished_tracks(self) -> list[Track]:
        """Every track that was ever confirmed, in id order.

        A video shorter than ``n_init`` analysed frames can never confirm a track; there the
        tracks alive at the end (never missed) are kept, so short clips still yield faces.
        """
        alive = list(self.tracks)
        out = [t for t in self.dead + alive if t.ever_confirmed]
        if self._step < self.cfg.n_init:
            out += [t for t in alive if not t.ever_confirmed]
        return sorted(out, key=lambda t: t.track_id)
