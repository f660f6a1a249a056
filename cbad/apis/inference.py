"""Score footage with a fitted detector: whole videos or frame by frame.

Two ways to score the same frames, with the same per-frame result (to float
precision):

- :func:`score_offline` scores a whole video at once, the way
  ``tools/test.py`` does (the detector's ``predict``);
- :class:`StreamingScorer` takes frames as they arrive and emits each
  frame's score as soon as nothing that comes later can change it. Memory
  is bounded by one window plus one stride of frames (independent of the
  video's length) and so is the latency: a frame's score is final once the
  window starting a stride after its own last covering window is complete
  (the second-order temporal residual ``T`` needs the next window), i.e. at
  most ``clip_len + stride - 1`` frames later (plus the rest of the chunk
  pushed with it). The exception is the first stride of a video scored with
  ``T``: the first window's residual is that of the first triple, so those
  frames wait for the third window, ``clip_len + 2 * stride - 1`` frames.
  The end-aligned last window
  that the evaluation protocol adds (``build_clip_index``) is scored when the
  stream ends, as are the endpoint rules of ``T``.

Raw BGR frames become model inputs through :class:`FramePreprocessor`,
which applies the config's own test pipeline (grey, resize) and the
detector's data preprocessor, so scores equal those of ``tools/test.py`` on
the same frames.
"""
from collections import deque
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose

from cbad.structures import build_clip_index
from cbad.datasets.sources.base import FrameSource
from cbad.evaluation.functional import clip_to_frame_scores
from cbad.models.detectors.contrastive_detector import (SEQUENCE_TERMS,
                                                       ContrastiveDetector)
from cbad.registry import MODELS, register_all_modules
from cbad.utils.checkpoint import load_checkpoint_strictly
from cbad.utils.launch import check_device

#: Clip->frame rules a stream can apply frame by frame.
STREAM_REDUCES = ('mean', 'max')


def init_detector(config: Union[str, Config],
                  checkpoint: Optional[str] = None,
                  device: str = 'cpu',
                  cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build a detector from its config and load a checkpoint into it.

    Args:
        config (str | Config): Config file or object.
        checkpoint (str, optional): ``.pth`` file (weights-only loading, see
            :mod:`cbad.utils.checkpoint`), loaded strictly
            (:func:`~cbad.utils.checkpoint.load_checkpoint_strictly`). None
            keeps the initial weights.
        device (str): Where the model goes. Defaults to ``'cpu'``.
        cfg_options (dict, optional): Config overrides.

    Returns:
        nn.Module: The detector in eval mode, its ``cfg`` attribute set to
        the config.

    Raises:
        UserInputError: If ``device`` is not available here (checked first).
        CheckpointMismatchError: If the checkpoint does not fit the model
            (see :func:`~cbad.utils.checkpoint.load_checkpoint_strictly`).
    """
    check_device(device)
    register_all_modules()
    cfg = config if isinstance(config, Config) else Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        built = getattr(cfg, 'filename', None) or 'the config'
        if cfg_options:
            built += f' (cfg_options={cfg_options})'
        load_checkpoint_strictly(model, checkpoint, config=built)
    model.cfg = cfg
    return model.to(device).eval()


class _ArraySource(FrameSource):
    """Frames already in memory, as a source for the test pipeline."""

    def __init__(self, frames: Sequence[np.ndarray], name: str) -> None:
        self.frames = frames
        self.name = name

    @property
    def num_frames(self) -> int:
        return len(self.frames)

    def read(self, index: int) -> np.ndarray:
        return self.frames[self._check_index(index)]


class FramePreprocessor:
    """Raw BGR frames -> normalised model input, with the config's pipeline.

    Every step of a cbad test pipeline works frame by frame, so any split of
    a video into chunks gives the same tensors as the whole video at once.

    Args:
        model: The detector (its ``data_preprocessor`` normalises).
        pipeline (list[dict]): The config's test pipeline.
        name (str): Video name for error messages.

    Raises:
        ValueError: on a frame whose size differs from the first frame's.
    """

    def __init__(self, model: torch.nn.Module, pipeline: List[dict],
                 name: str = 'input') -> None:
        self.pipeline = Compose(pipeline)
        self.data_preprocessor = model.data_preprocessor
        self.name = name
        self.frame_shape: Optional[Tuple[int, ...]] = None
        self.frames_seen = 0

    def __call__(self, frames: Sequence[np.ndarray]) -> torch.Tensor:
        """(C, n, H, W) tensor of ``n`` BGR frames, as the data preprocessor
        gives it outside training (normalised float, or uint8 with its
        ``raw_predict_inputs``)."""
        frames = [np.asarray(f) for f in frames]
        if self.frame_shape is None and frames:
            self.frame_shape = frames[0].shape
        for offset, frame in enumerate(frames):
            if frame.shape != self.frame_shape:
                raise ValueError(
                    f'{self.name}: frame {self.frames_seen + offset} is '
                    f'{frame.shape} but the first frame was '
                    f'{self.frame_shape}; every frame of one input must '
                    'have the same size.')
        self.frames_seen += len(frames)
        packed = self.pipeline(dict(
            source=_ArraySource(frames, self.name),
            frame_indices=np.arange(len(frames))))
        with torch.no_grad():
            data = self.data_preprocessor(dict(inputs=[packed['inputs']]),
                                          False)
        return data['inputs'][0]


def window_geometry(model: torch.nn.Module, cfg: Config) -> Dict:
    """How a detector turns a video into windows and windows into frames.

    Returns:
        dict: ``clip_len``, ``stride``, ``video_level`` (the detector scores
        whole videos with window sequences, like ``ContrastiveDetector``)
        and ``reduce`` (the clip->frame rule of the config's evaluator).
    """
    dataset = cfg.test_dataloader.dataset
    video_level = dataset.get('sample_unit', 'clip') == 'video'
    if video_level:
        clip_len, stride = model.clip_len, model.stride
    else:
        clip_len, stride = dataset.clip_len, dataset.stride
    reduce = cfg.get('test_evaluator', {}).get('clip_to_frame', 'mean')
    return dict(clip_len=int(clip_len), stride=int(stride),
                video_level=video_level, reduce=reduce)


@torch.no_grad()
def score_offline(model: torch.nn.Module, frames: torch.Tensor,
                  geometry: Dict, batch_size: int = 16) -> np.ndarray:
    """Per-frame scores of one whole video, as ``tools/test.py`` gets them.

    Args:
        model: A fitted detector in eval mode.
        frames (Tensor): (C, L, H, W), normalised.
        geometry (dict): From :func:`window_geometry`.
        batch_size (int): Clips per forward pass of clip-level detectors.

    Returns:
        np.ndarray: (L,) float64 scores.
    """
    length = frames.shape[1]
    if geometry['video_level']:
        sample = model.predict([frames])[0]
        windows = np.asarray(sample.frame_indices)
        scores = sample.pred_scores.numpy()
        # (W,) one score per window, or (W, T) per-frame evidence
        evidence = np.broadcast_to(
            scores.reshape(len(windows), -1), windows.shape)
    else:
        windows = np.stack(build_clip_index(length, geometry['clip_len'],
                                            geometry['stride']))
        parts = []
        for start in range(0, len(windows), batch_size):
            index = torch.as_tensor(windows[start:start + batch_size],
                                    device=frames.device)
            clips = frames[:, index].permute(1, 0, 2, 3, 4)  # n C T H W
            parts.append(model.predict_frame_scores(clips).float().cpu())
        evidence = torch.cat(parts).numpy()
    return clip_to_frame_scores(list(windows), list(evidence), length,
                                reduce=geometry['reduce'])


class StreamingScorer:
    """Score frames as they arrive, with bounded memory and latency.

    Usage::

        scorer = StreamingScorer(model, window_geometry(model, cfg))
        for chunk in chunks:                  # (C, n, H, W) normalised
            for frame, score in scorer.push(chunk):
                ...                           # final scores, in order
        for frame, score in scorer.finish():  # the tail of the video
            ...

    Args:
        model: A fitted detector in eval mode.
        geometry (dict): From :func:`window_geometry`; ``reduce`` must be
            ``'mean'`` or ``'max'``.

    Raises:
        NotImplementedError: for grid-mode contrastive detectors (use
            :func:`score_offline`).
    """

    def __init__(self, model: torch.nn.Module, geometry: Dict) -> None:
        if geometry['reduce'] not in STREAM_REDUCES:
            raise ValueError(
                f"streaming supports clip_to_frame in {STREAM_REDUCES}, the "
                f"config uses {geometry['reduce']!r}; score offline instead.")
        if not 1 <= geometry['stride'] <= geometry['clip_len']:
            raise ValueError(
                f"stride {geometry['stride']} must be between 1 and clip_len "
                f"{geometry['clip_len']}: a larger stride leaves frames that "
                'no window covers.')
        self.video_level = geometry['video_level']
        if self.video_level and (not isinstance(model, ContrastiveDetector)
                                 or model.grid or not getattr(
                                     model, 'streams_frames', True)):
            raise NotImplementedError(
                f'streaming scores ContrastiveDetector (global embeddings) '
                f'and clip-level detectors; {type(model).__name__}'
                f"{' in grid mode' if getattr(model, 'grid', False) else ''}"
                ' is scored offline only.')
        self.model = model
        self.clip_len = geometry['clip_len']
        self.stride = geometry['stride']
        self.reduce = geometry['reduce']
        self.frames_seen = 0
        self.next_start = 0  # start of the next regular window
        self._base = 0  # frame id of the oldest frame held
        self._inputs: Optional[torch.Tensor] = None  # C x n x H x W
        self._feats: Optional[torch.Tensor] = None  # n x D (video level)
        self._prev: Optional[torch.Tensor] = None  # last frame, C x H x W
        self._windows: deque = deque()  # unfolded [start, index, evidence]
        self._z: Dict[int, torch.Tensor] = {}  # window index -> z
        self._num_windows = 0  # windows created so far
        self._acc: Dict[int, List[float]] = {}  # frame -> [value, count]
        self._emitted = 0  # next frame to emit
        self._finished = False

    # ------------------------------------------------------------ buffers
    def _append(self, chunk: torch.Tensor) -> None:
        if self.video_level:
            prev = None if self._prev is None else self._prev[None]
            feats = self.model.encoder.encode_frames(chunk[None], prev)[0]
            self._feats = feats if self._feats is None else torch.cat(
                [self._feats, feats])
        self._inputs = chunk if self._inputs is None else torch.cat(
            [self._inputs, chunk], dim=1)
        self._prev = chunk[:, -1]
        self.frames_seen += chunk.shape[1]

    def _trim(self) -> None:
        """Drop frames no future window (regular or end-aligned) needs."""
        keep_from = min(self.next_start, self.frames_seen - self.clip_len)
        drop = keep_from - self._base
        if drop > 0:
            self._inputs = self._inputs[:, drop:]
            if self._feats is not None:
                self._feats = self._feats[drop:]
            self._base = keep_from

    def _slice(self, start: int) -> slice:
        return slice(start - self._base, start - self._base + self.clip_len)

    # ------------------------------------------------------------ windows
    def _new_window(self, start: int) -> None:
        evidence = None
        if self.video_level:
            u = self._feats[self._slice(start)][None]  # 1 x T x D
            self._z[self._num_windows] = self.model._scored_space(
                self.model.aggregator(u))[0]
        else:
            clip = self._inputs[:, self._slice(start)][None]
            evidence = self.model.predict_frame_scores(clip)[0].double().cpu()
        self._windows.append([start, self._num_windows, evidence])
        self._num_windows += 1

    def _finalise_windows(self, total: Optional[int]) -> None:
        """Score every window whose terms are now determined.

        ``total`` is the number of windows of the whole video once the
        stream has ended (all windows are then determined), else None.
        """
        if not self.video_level:
            return
        known = self._num_windows
        for window in self._windows:
            if window[2] is not None:
                continue
            index = window[1]
            if total is None and (known < 3 or index + 1 >= known):
                break  # T of this window needs windows not seen yet
            terms = {}
            z = self._z[index]
            for name, scorer in self.model.scorers.items():
                if name not in SEQUENCE_TERMS:
                    terms[name] = scorer(z[None]).reshape(1)
                elif known < 3:  # no triple: the scorer's rule gives 0
                    terms[name] = z.new_zeros(1)
                else:  # T_i from the triple centred at i, one-sided at ends
                    centre = min(max(index, 1), known - 2)
                    triple = torch.stack([self._z[centre + k]
                                          for k in (-1, 0, 1)])
                    terms[name] = scorer(triple)[1:2]
            score = float(self.model.fusion(terms)[0])
            window[2] = torch.full((self.clip_len, ), score,
                                   dtype=torch.float64)
        # keep the embeddings a later T may read: the pending windows', their
        # left neighbour's and the last three (the end rule)
        pending = [w[1] for w in self._windows if w[2] is None]
        keep_from = min(pending[:1] + [known - 2]) - 1
        for index in [i for i in self._z if i < keep_from]:
            del self._z[index]

    def _emit(self, limit: int) -> List[Tuple[int, float]]:
        """Fold the final windows into their frames; emit frames < limit."""
        while self._windows and self._windows[0][2] is not None:
            start, _, evidence = self._windows.popleft()
            for offset, value in enumerate(evidence.tolist()):
                slot = self._acc.setdefault(start + offset, [0.0, 0])
                if self.reduce == 'mean':
                    slot[0] += value
                else:
                    slot[0] = value if slot[1] == 0 else max(slot[0], value)
                slot[1] += 1
        out = []
        while self._emitted < limit:
            value, count = self._acc.pop(self._emitted)
            out.append((self._emitted,
                        value / count if self.reduce == 'mean' else value))
            self._emitted += 1
        return out

    def _new_regular_windows(self) -> None:
        """Create every regular window whose frames have all arrived."""
        while self.next_start + self.clip_len <= self.frames_seen:
            self._new_window(self.next_start)
            self.next_start += self.stride

    def _emit_limit(self) -> int:
        """Frames below this are covered by final windows only: not by a
        pending window, nor by the end-aligned window the end may add (it
        starts after the last regular window)."""
        limit = self.next_start - self.stride + 1
        pending = [w[0] for w in self._windows if w[2] is None]
        return min([limit] + pending[:1])

    # ------------------------------------------------------------- public
    @torch.no_grad()
    def push(self, chunk: torch.Tensor) -> List[Tuple[int, float]]:
        """Add frames (C, n, H, W); return the (frame, score) now final."""
        if self._finished:
            raise RuntimeError('push() after finish()')
        if chunk.dim() != 4 or chunk.shape[1] == 0:
            raise ValueError(f'push() expects (C, n, H, W) with n >= 1, got '
                             f'{tuple(chunk.shape)}.')
        self._append(chunk)
        self._new_regular_windows()
        self._finalise_windows(None)
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
            geometry = dict(clip_len=self.clip_len, stride=self.stride,
                            video_level=self.video_level, reduce=self.reduce)
            scores = score_offline(self.model, self._inputs, geometry)
            return list(enumerate(scores.tolist()))
        # a push() interrupted by an error may have left windows uncreated
        self._new_regular_windows()
        starts = [int(w[0]) for w in build_clip_index(
            length, self.clip_len, self.stride)]
        if starts[-1] != self.next_start - self.stride:
            self._new_window(starts[-1])  # the end-aligned window
        self._finalise_windows(len(starts))
        return self._emit(length)
