"""Streaming scores of :class:`ObjectContrastiveDetector`: frames in, the
same frame scores as the whole video out, with bounded memory."""
import copy
from collections import deque
from typing import Deque, Dict, List, Optional, Tuple

import numpy as np
import torch


class _Tube:
    """One scored tube waiting for its ``T`` (and so its fused score)."""

    __slots__ = ('terms', 'z', 'fused')

    def __init__(self, terms: Dict[str, float], z: torch.Tensor) -> None:
        self.terms = terms
        self.z = z
        self.fused: Optional[float] = None


class _Track:
    """A live track: its tube count, its last (up to three) tubes and the
    residual of its latest triple."""

    __slots__ = ('count', 'last', 'residual')

    def __init__(self) -> None:
        self.count = 0
        self.last: List[_Tube] = []
        self.residual: Optional[float] = None


class _Window:
    """A window's tubes and the frames its score goes to."""

    __slots__ = ('tubes', 'first', 'last')

    def __init__(self, tubes: List[_Tube], first: int, last: int) -> None:
        self.tubes = tubes
        self.first, self.last = first, last

    @property
    def final(self) -> bool:
        return all(t.fused is not None for t in self.tubes)


class ObjectStreamScorer:
    """Score a video frame by frame as
    :meth:`ObjectContrastiveDetector.predict` scores it whole.

    The proposals, the tracker and the trailing-mean post-processing are
    causal; a window's tubes read only its own ``clip_len`` frames, cut the
    moment its last frame arrives. ``D``, ``R`` and ``M`` are final then;
    ``T`` (eq. 19 along a track, one-sided at the track's ends) waits for the
    track's next tube, or its first two for the first tube, or the track's
    end (the tracker dropped it, or the input ended). A frame's score is
    emitted once its window (the one that speaks for it, see
    ``_own_frames``) is final, in frame order. The end-aligned last window
    of a video and a video shorter than a window are known only at
    :meth:`finish`, as offline.

    Memory: the last ``clip_len`` frames with their proposals, the
    embeddings of each live track's last two tubes, and the windows not yet
    final (a track seen between anchor frames but not on them keeps its
    last tube waiting; the typical wait is two windows).

    Usage::

        scorer = model.stream_scorer()
        for chunk in chunks:                  # (1, n, H, W) grey, uint8 or
                                              # normalised
            for frame, score in scorer.push(chunk):
                ...
        for frame, score in scorer.finish():
            ...
    """

    #: Frames of the end whose scores a longer input could change: unknown
    #: in advance (see above), so every frame :meth:`finish` emits counts.
    max_latency = None

    def __init__(self, model) -> None:
        if not 1 <= model.stride <= model.clip_len:
            raise ValueError(
                f'stride {model.stride} must be between 1 and clip_len '
                f'{model.clip_len}: a larger stride leaves frames that no '
                'window covers.')
        if not model.is_fitted:
            raise ValueError('ObjectStreamScorer needs a fitted detector.')
        self.model = model
        self.extractor = copy.deepcopy(model.extractor)
        self.extractor.reset()
        self.postprocess = copy.deepcopy(model.postprocess)
        if self.postprocess is not None:
            self.postprocess.reset()
        self.clip_len, self.stride = model.clip_len, model.stride
        self.floor = float(model.empty_window_score)
        self.frames_seen = 0
        self._recent: Deque[tuple] = deque(maxlen=self.clip_len)
        self._windows: Deque[_Window] = deque()
        self._tracks: Dict[int, _Track] = {}  # live tracks with tubes
        self._last_end = -1  # last frame of the latest window
        self._finished = False

    # ------------------------------------------------------------- input
    @torch.no_grad()
    def push(self, chunk: torch.Tensor) -> List[Tuple[int, float]]:
        """Take (1, n, H, W) frames (uint8, or normalised); return the (frame, score)
        pairs that became final, in order."""
        if self._finished:
            raise RuntimeError('push() after finish(); make a new scorer.')
        for grey in self.model._grey_frames(chunk):
            self._recent.append((grey, ) + self.extractor.step(grey))
            self.frames_seen += 1
            seen = self.frames_seen
            if seen >= self.clip_len and (seen -
                                          self.clip_len) % self.stride == 0:
                self._add_window()
            if self.extractor.tracker is not None:
                live = set(self.extractor.tracker.live_ids().tolist())
                for track in [k for k in self._tracks if k not in live]:
                    self._end_track(track)
        return self._emit()

    @torch.no_grad()
    def finish(self) -> List[Tuple[int, float]]:
        """End of input: the end-aligned window, the tracks still live,
        every frame not yet emitted."""
        if self._finished or not self.frames_seen:
            self._finished = True
            return []
        if self._last_end < self.frames_seen - 1:  # tail (or a short video)
            self._add_window()
        for track in list(self._tracks):
            self._end_track(track)
        self._finished = True
        return self._emit()

    # ----------------------------------------------------------- windows
    def _add_window(self) -> None:
        """Cut, embed and score the tubes of the window ending now."""
        model = self.model
        frames, proposals, ids, attributes = map(list, zip(*self._recent))
        video = self.extractor.cut(frames, proposals, ids, attributes)
        z = model.embed_tubes(video)
        terms = model.tube_terms(video, z) if len(video) else {}
        tubes = []
        for n in range(len(video)):
            tube = _Tube({name: float(value[n])
                          for name, value in terms.items() if name != 'T'},
                         z[n])
            track = int(video.track_ids[n])
            if 'T' not in model.scorers:
                self._fuse(tube)
            elif track < 0:  # a sequence of its own: no triple, T = 0
                self._fuse(tube, 0.0)
            else:
                self._extend_track(track, tube)
            tubes.append(tube)
        last = self.frames_seen - 1
        self._windows.append(_Window(tubes, self._last_end + 1, last))
        self._last_end = last

    def _extend_track(self, track: int, tube: _Tube) -> None:
        """Eq. 19 along a track as its tubes arrive, as ``_along_tracks``
        computes it on the whole sequence: tube i takes the residual of
        (i-1, i, i+1); the first tube that of the first triple."""
        state = self._tracks.setdefault(track, _Track())
        state.count += 1
        state.last.append(tube)
        if len(state.last) == 3:
            a, b, c = state.last
            state.residual = float((c.z - 2 * b.z + a.z).norm())
            self._fuse(b, state.residual)  # interior
            if state.count == 3:
                self._fuse(a, state.residual)  # the first tube
            state.last.pop(0)

    def _end_track(self, track: int) -> None:
        """The track has no more tubes: its last tube takes the last
        triple's residual; a track of fewer than 3 tubes scores 0."""
        state = self._tracks.pop(track)
        if state.count >= 3:
            self._fuse(state.last[-1], state.residual)
        else:
            for tube in state.last:
                self._fuse(tube, 0.0)

    def _fuse(self, tube: _Tube, residual: Optional[float] = None) -> None:
        if residual is not None:
            tube.terms['T'] = residual
        if tube.fused is not None:
            return
        terms = {name: torch.tensor([value])
                 for name, value in tube.terms.items()}
        tube.fused = float(self.model.fusion(terms)[0])

    # ------------------------------------------------------------ output
    def _emit(self) -> List[Tuple[int, float]]:
        out = []
        while self._windows and (self._windows[0].final or self._finished):
            window = self._windows.popleft()
            value = max([t.fused for t in window.tubes], default=self.floor)
            value = max(value, self.floor)
            for frame in range(window.first, window.last + 1):
                score = (self.postprocess.step(value)
                         if self.postprocess is not None else value)
                # float32, as predict's (S, T) evidence holds it
                out.append((frame, float(np.float32(score))))
        return out
