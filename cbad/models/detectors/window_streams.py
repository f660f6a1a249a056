"""Stream scorers of the window-scoring detectors (``model.stream_scorer()``).

- :class:`ClipStream`: any detector that scores a clip on its own
  (``predict_frame_scores``): each window is scored as its last frame
  arrives. Memory: one window plus one stride of frames.
- :class:`ContrastiveStream`: the whole-frame contrastive detector. Frame
  features are computed once per frame as frames arrive; a window's
  embedding is the aggregation of its frames' features; its terms are the
  scorers' on that embedding, and the second-order temporal residual ``T``
  needs the next window (the first window's ``T`` is the first triple's, so
  those frames wait for the third window; the last windows' follow the
  end rule when the stream ends). Scores equal ``predict``'s to float
  precision.
"""
from typing import Dict, List, Optional

import numpy as np
import torch

from cbad.structures import build_clip_index, clip_to_frame_scores
from cbad.structures.window_stream import WindowStream


class ClipStream(WindowStream):
    """Windows scored one at a time by ``model.predict_frame_scores``.

    Args:
        model: A fitted clip-level detector in eval mode.
        clip_len, stride, reduce: See :class:`WindowStream`.
    """

    def __init__(self, model, clip_len: int, stride: int,
                 reduce: str) -> None:
        super().__init__(clip_len, stride, reduce)
        self.model = model
        self._inputs: Optional[torch.Tensor] = None  # C x n x H x W

    def _append(self, chunk: torch.Tensor) -> None:
        self._inputs = chunk if self._inputs is None else torch.cat(
            [self._inputs, chunk], dim=1)

    def _drop(self, count: int) -> None:
        self._inputs = self._inputs[:, count:]

    def _window(self, start: int, index: int) -> torch.Tensor:
        clip = self._inputs[:, self._held(start)][None]
        return self.model.predict_frame_scores(clip)[0].double().cpu()

    def _short_video(self) -> List[float]:
        return self.model.score_video(self._inputs, self.clip_len,
                                      self.stride, self.reduce).tolist()


class ContrastiveStream(WindowStream):
    """The whole-frame :class:`ContrastiveDetector` frame by frame.

    Args:
        model: A fitted ``ContrastiveDetector`` (not in grid mode), eval.
        reduce (str): ``'mean'`` or ``'max'``. Windows are the model's own
            ``clip_len`` / ``stride``.
    """

    def __init__(self, model, reduce: str) -> None:
        super().__init__(model.clip_len, model.stride, reduce)
        self.model = model
        self._inputs: Optional[torch.Tensor] = None  # C x n x H x W
        self._feats: Optional[torch.Tensor] = None  # n x D
        self._prev: Optional[torch.Tensor] = None  # last frame, C x H x W
        self._z: Dict[int, torch.Tensor] = {}  # window index -> z

    def _append(self, chunk: torch.Tensor) -> None:
        feats = self.model.frame_features(chunk, self._prev)
        self._feats = feats if self._feats is None else torch.cat(
            [self._feats, feats])
        self._inputs = chunk if self._inputs is None else torch.cat(
            [self._inputs, chunk], dim=1)
        self._prev = chunk[:, -1]

    def _drop(self, count: int) -> None:
        self._inputs = self._inputs[:, count:]
        self._feats = self._feats[count:]

    def _window(self, start: int, index: int) -> None:
        self._z[index] = self.model.window_embeddings(
            self._feats[self._held(start)][None])[0]
        return None  # scored by _finalise once T's neighbours are known

    def _finalise(self, total: Optional[int]) -> None:
        known = self._num_windows
        for window in self._windows:
            if window[2] is not None:
                continue
            index = window[1]
            if total is None and (known < 3 or index + 1 >= known):
                break  # T of this window needs windows not seen yet
            score = self.model.window_score(self._z, index, known)
            window[2] = torch.full((self.clip_len, ), score,
                                   dtype=torch.float64)
        # keep the embeddings a later T may read: the waiting windows',
        # their left neighbour's and the last three (the end rule)
        waiting = [w[1] for w in self._windows if w[2] is None]
        keep_from = min(waiting[:1] + [known - 2]) - 1
        for index in [i for i in self._z if i < keep_from]:
            del self._z[index]

    def _short_video(self) -> List[float]:
        return self.model.score_video(self._inputs, self.clip_len,
                                      self.stride, self.reduce,
                                      whole_video=True).tolist()


def score_windows(model, frames: torch.Tensor, clip_len: int, stride: int,
                  reduce: str, batch_size: int = 16) -> np.ndarray:
    """(L,) frame scores of one whole video (C, L, H, W) from a clip-level
    detector: every window of the clip index through
    ``predict_frame_scores``, ``batch_size`` at a time, mapped to frames
    with ``reduce``."""
    length = frames.shape[1]
    windows = np.stack(build_clip_index(length, clip_len, stride))
    parts = []
    for start in range(0, len(windows), batch_size):
        index = torch.as_tensor(windows[start:start + batch_size],
                                device=frames.device)
        clips = frames[:, index].permute(1, 0, 2, 3, 4)  # n C T H W
        parts.append(model.predict_frame_scores(clips).float().cpu())
    evidence = torch.cat(parts).numpy()
    return clip_to_frame_scores(list(windows), list(evidence), length,
                                reduce=reduce)
