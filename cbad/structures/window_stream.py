"""Frames in, final per-frame scores out: the bookkeeping every window-scoring
detector shares when it scores a live stream.

A stream lays its windows exactly as :mod:`cbad.structures.windows` does
(``clip_len`` frames every ``stride`` frames, plus the end-aligned window
once the stream ends), folds each window's per-frame evidence into its
frames with the ``'mean'``, ``'max'`` or ``'end'`` clip -> frame rule, and
emits a frame's score as soon as no window still to come can change it. What a
window's evidence is belongs to the detector: a subclass stores what it
needs of the frames (:meth:`_append`, :meth:`_drop`), scores a window
(:meth:`_window`; ``None`` while it waits for later windows, as the
contrastive model's temporal residual does) and finishes waiting windows
(:meth:`_finalise`).
"""
from collections import deque
from typing import Dict, List, Optional, Tuple

import torch

from .windows import build_clip_index

#: Clip -> frame rules a stream can apply frame by frame.
STREAM_REDUCES = ('mean', 'max', 'end')


def check_stream_geometry(clip_len: int, stride: int, reduce: str) -> None:
    """Refuse windows or a clip -> frame rule no stream can apply: a
    ``reduce`` other than ``'mean'`` / ``'max'`` / ``'end'``, a stride
    outside 1 to ``clip_len`` (frames no window covers)."""
    if reduce not in STREAM_REDUCES:
        raise ValueError(
            f'streaming supports clip_to_frame in {STREAM_REDUCES}, the '
            f'config uses {reduce!r}; score offline instead.')
    if not 1 <= stride <= clip_len:
        raise ValueError(
            f'stride {stride} must be between 1 and clip_len {clip_len}: '
            'a larger stride leaves frames that no window covers.')


class WindowStream:
    """Base of the detectors' stream scorers (``model.stream_scorer()``).

    Usage::

        scorer = model.stream_scorer(clip_len, stride, reduce)
        for chunk in chunks:                  # (C, n, H, W) as preprocessed
            for frame, score in scorer.push(chunk):
                ...                           # final scores, in order
        for frame, score in scorer.finish():  # the tail of the video
            ...

    Args:
        clip_len (int): Frames per window.
        stride (int): Frames between window starts (1 to ``clip_len``).
        reduce (str): ``'mean'``, ``'max'`` or ``'end'`` (windows are folded
            in the order they start, so the first that covers a frame is
            the one ending soonest after it).
    """

    def __init__(self, clip_len: int, stride: int, reduce: str) -> None:
        check_stream_geometry(clip_len, stride, reduce)
        self.clip_len = int(clip_len)
        self.stride = int(stride)
        self.reduce = reduce
        self.frames_seen = 0
        self.next_start = 0  # start of the next regular window
        self._base = 0  # frame id of the oldest frame held
        self._windows: deque = deque()  # [start, index, evidence or None]
        self._num_windows = 0  # windows created so far
        self._acc: Dict[int, List[float]] = {}  # frame -> [value, count]
        self._emitted = 0  # next frame to emit
        self._finished = False

    # ----------------------------------------------------- detector hooks
    def _append(self, chunk: torch.Tensor) -> None:
        """Store what later windows need of ``chunk`` (C, n, H, W)."""
        raise NotImplementedError

    def _drop(self, count: int) -> None:
        """Forget the ``count`` oldest stored frames."""
        raise NotImplementedError

    def _window(self, start: int, index: int) -> Optional[torch.Tensor]:
        """(T,) float64 evidence of the window of frames ``start ..
        start + clip_len - 1`` (``index``-th of the video), or None if it
        depends on windows not seen yet."""
        raise NotImplementedError

    def _finalise(self, total: Optional[int]) -> None:
        """Set the evidence of waiting windows that can now be scored;
        ``total`` is the number of windows of the whole video once the
        stream has ended, else None. Nothing waits by default."""

    def _short_video(self) -> List[float]:
        """Scores of a whole stream shorter than one window."""
        raise NotImplementedError

    # ------------------------------------------------------- bookkeeping
    def _held(self, start: int) -> slice:
        """Where the window starting at frame ``start`` lies among the
        stored frames."""
        return slice(start - self._base, start - self._base + self.clip_len)

    def _new_window(self, start: int) -> None:
        self._windows.append(
            [start, self._num_windows, self._window(start, self._num_windows)])
        self._num_windows += 1

    def _new_regular_windows(self) -> None:
        """Create every regular window whose frames have all arrived."""
        while self.next_start + self.clip_len <= self.frames_seen:
            self._new_window(self.next_start)
            self.next_start += self.stride

    def _trim(self) -> None:
        """Drop frames no future window (regular or end-aligned) needs."""
        keep_from = min(self.next_start, self.frames_seen - self.clip_len)
        drop = keep_from - self._base
        if drop > 0:
            self._drop(drop)
            self._base = keep_from

    def _emit_limit(self) -> int:
        """Frames below this are covered by final windows only: not by a
        waiting window, nor by the end-aligned window the end may add (it
        starts after the last regular window)."""
        limit = self.next_start - self.stride + 1
        waiting = [w[0] for w in self._windows if w[2] is None]
        return min([limit] + waiting[:1])

    def _emit(self, limit: int) -> List[Tuple[int, float]]:
        """Fold the final windows into their frames; emit frames < limit."""
        while self._windows and self._windows[0][2] is not None:
            start, _, evidence = self._windows.popleft()
            for offset, value in enumerate(evidence.tolist()):
                slot = self._acc.setdefault(start + offset, [0.0, 0])
                if self.reduce == 'mean':
                    slot[0] += value
                elif slot[1] == 0:
                    slot[0] = value
                elif self.reduce == 'max':
                    slot[0] = max(slot[0], value)
                # 'end': the first (earliest-starting) window's value stays
                slot[1] += 1
        out = []
        while self._emitted < limit:
            value, count = self._acc.pop(self._emitted)
            out.append((self._emitted,
                        value / count if self.reduce == 'mean' else value))
            self._emitted += 1
        return out

    # ------------------------------------------------------------ public
    @torch.no_grad()
    def push(self, chunk: torch.Tensor) -> List[Tuple[int, float]]:
        """Add frames (C, n, H, W); return the (frame, score) now final."""
        if self._finished:
            raise RuntimeError('push() after finish(); make a new scorer.')
        if chunk.dim() != 4 or chunk.shape[1] == 0:
            raise ValueError(f'push() expects (C, n, H, W) with n >= 1, got '
                             f'{tuple(chunk.shape)}.')
        self._append(chunk)
        self.frames_seen += chunk.shape[1]
        self._new_regular_windows()
        self._finalise(None)
        out = self._emit(self._emit_limit())
        self._trim()
        return out

    @torch.no_grad()
    def finish(self) -> List[Tuple[int, float]]:
        """End of stream: score the tail; return the remaining frames."""
        if self._finished:
            return []
        self._finished = True
        length = self.frames_seen
        if length == 0:
            return []
        if self._num_windows == 0:  # shorter than one window: as offline
            return list(enumerate(self._short_video()))
        # a push() interrupted by an error may have left windows uncreated
        self._new_regular_windows()
        starts = [int(w[0]) for w in build_clip_index(
            length, self.clip_len, self.stride)]
        if starts[-1] != self.next_start - self.stride:
            self._new_window(starts[-1])  # the end-aligned window
        self._finalise(len(starts))
        return self._emit(length)
