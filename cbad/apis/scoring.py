"""Score footage with a fitted detector: whole videos or frame by frame.

Two ways to score the same frames, with the same per-frame result (to float
precision):

- :func:`score_offline` scores a whole video at once, the way
  ``tools/test.py`` does (the detector's ``score_video``);
- :func:`stream_scorer` (the detector's ``stream_scorer``) takes frames as
  they arrive and emits each
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
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose

from cbad.datasets.sources.base import FrameSource
from cbad.registry import MODELS, register_all_modules
from cbad.structures.window_stream import STREAM_REDUCES  # noqa: F401
from cbad.utils.checkpoint import load_checkpoint_strictly
from cbad.utils.launch import check_device


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


def score_offline(model: torch.nn.Module, frames: torch.Tensor,
                  geometry: Dict, batch_size: int = 16) -> np.ndarray:
    """Per-frame scores of one whole video, as ``tools/test.py`` gets them
    (the detector's ``score_video``).

    Args:
        model: A fitted detector in eval mode.
        frames (Tensor): (C, L, H, W), as the data preprocessor gives them.
        geometry (dict): From :func:`window_geometry`.
        batch_size (int): Clips per forward pass of clip-level detectors.

    Returns:
        np.ndarray: (L,) float64 scores.
    """
    return model.score_video(frames, geometry['clip_len'], geometry['stride'],
                             geometry['reduce'], batch_size=batch_size,
                             whole_video=geometry['video_level'])


def stream_scorer(model: torch.nn.Module, geometry: Dict):
    """The detector's scorer of live frames (``push(chunk)`` /
    ``finish()``, see :class:`~cbad.structures.window_stream.WindowStream`)
    with ``score_offline``'s scores, for the windows and clip -> frame rule
    of ``geometry`` (:func:`window_geometry`).

    Raises:
        ValueError: for a clip -> frame rule other than ``'mean'`` or
            ``'max'``, or a stride larger than a window.
        NotImplementedError: for a detector that is scored offline only
            (whole-video detectors without a stream scorer of their own:
            the hand-crafted one; the contrastive detector in grid mode).
    """
    return model.stream_scorer(geometry['clip_len'], geometry['stride'],
                               geometry['reduce'],
                               whole_video=geometry['video_level'])
