"""Base class of every cbad detector: forward modes, prediction and fitting."""
from abc import abstractmethod
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np
import torch
from mmengine.model import BaseModel

from cbad.structures import (ClipDataSample, clip_to_frame_scores,
                             window_evidence)
from cbad.structures.window_stream import check_stream_geometry
from .window_streams import ClipStream, score_windows


class BaseAnomalyDetector(BaseModel):
    """One-class video anomaly detector.

    A subclass implements :meth:`loss` (training on normal clips) and
    :meth:`predict_frame_scores` (per-frame anomaly evidence of each clip).
    This class adds what every detector shares:

    - the fitted decision threshold ``delta`` (eq. 22-23 of Tong & Wu) as a
      registered buffer, so it is saved in, and restored from, checkpoints;
    - the fitting interface that :func:`cbad.engine.fit_detector` (run after
      training by :class:`~cbad.engine.hooks.FitDetectorHook`) drives:
      :meth:`fit_scorers` on the training normals and
      :meth:`fit_normalizers` on the validation normals (no-ops here;
      detectors with memory banks, prototypes or normalisers override
      them), :meth:`check_clip_to_frame` and :meth:`set_threshold`;
    - :attr:`training_only_prefixes`: state-dict prefixes of submodules only
      training needs (e.g. a GAN discriminator). ``tools/publish_model.py``
      leaves them out of published checkpoints, and loading a checkpoint
      without them is not an error, even with ``strict=True``;
    - the record of what the threshold was fitted on, buffers
      ``threshold_fit_windows`` and ``threshold_fit_videos`` (-1 = unknown:
      not fitted yet, or a checkpoint written before the record existed,
      which therefore may lack them, see :meth:`may_be_missing`).

    Args:
        data_preprocessor (dict, optional): Preprocessor config.
        thresholder (dict): Config of a ``THRESHOLDERS`` entry fitted on
            normal validation window scores. Defaults to
            ``dict(type='MADThresholder', lam=3.0)``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 data_preprocessor: Optional[dict] = None,
                 thresholder: dict = dict(type='MADThresholder', lam=3.0),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.thresholder_cfg = thresholder
        self.register_buffer('threshold', torch.tensor(float('nan')))
        for name in self.threshold_fit_buffers:
            self.register_buffer(name, torch.tensor(-1, dtype=torch.long))
        self.register_load_state_dict_post_hook(
            BaseAnomalyDetector._allow_missing_training_only)
        if getattr(self.data_preprocessor, 'raw_predict_inputs',
                   False) and not self.accepts_raw_videos:
            raise ValueError(
                f'{type(self).__name__} needs normalised float inputs; '
                'data_preprocessor.raw_predict_inputs is only for detectors '
                'that crop raw frames themselves (ObjectContrastiveDetector).')

    #: How :func:`cbad.visualization.response_maps` draws where the detector
    #: responds (a key of ``MAP_RULES``); None: it has no map.
    response_map: Optional[str] = None
    #: Whether the detector takes uint8 videos outside training (the data
    #: preprocessor's ``raw_predict_inputs``) and normalises them itself.
    accepts_raw_videos: bool = False
    #: State-dict key prefixes of training-only submodules.
    training_only_prefixes: Tuple[str, ...] = ()
    #: Buffers recording what the threshold was fitted on (windows, videos).
    threshold_fit_buffers: Tuple[str, ...] = ('threshold_fit_windows',
                                              'threshold_fit_videos')

    def may_be_missing(self, key: str) -> bool:
        """Whether a checkpoint may lack state-dict ``key``: a training-only
        submodule's, or a ``threshold_fit_*`` record (newer than the
        published checkpoints; it then stays -1, unknown). Any other key
        must be in the checkpoint."""
        own = key[len('module.'):] if key.startswith('module.') else key
        return own in self.threshold_fit_buffers or any(
            key.startswith(p) or f'.{p}' in key
            for p in self.training_only_prefixes)

    @staticmethod
    def _allow_missing_training_only(module, incompatible_keys) -> None:
        """Drop the keys that :meth:`may_be_missing` from the load report."""
        missing = incompatible_keys.missing_keys
        missing[:] = [k for k in missing if not module.may_be_missing(k)]

    # ---------------------------------------------------------------- modes
    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[ClipDataSample]] = None,
                mode: str = 'tensor'):
        """mmengine's three modes: 'loss', 'predict' and 'tensor'."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.predict_frame_scores(inputs, data_samples)
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', "
                         f'got {mode!r}')

    @abstractmethod
    def loss(self, inputs: torch.Tensor,
             data_samples: Optional[List[ClipDataSample]]) -> Dict[str, torch.Tensor]:
        """Training losses of a batch of normal clips."""

    @abstractmethod
    def predict_frame_scores(
            self, inputs: torch.Tensor,
            data_samples: Optional[List[ClipDataSample]]) -> torch.Tensor:
        """Per-frame anomaly evidence, shape (N, T); larger = more abnormal."""

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[List[ClipDataSample]] = None
                ) -> List[ClipDataSample]:
        """Attach ``pred_scores`` (T,) and ``pred_threshold`` to each sample."""
        scores = self.predict_frame_scores(inputs, data_samples).detach()
        if data_samples is None:
            data_samples = [ClipDataSample() for _ in range(len(scores))]
        threshold = self.threshold_metainfo()
        for sample, score in zip(data_samples, scores):
            sample.pred_scores = score.float().cpu()
            sample.set_metainfo(threshold)
        return data_samples

    @torch.no_grad()
    def score_video(self, frames: torch.Tensor, clip_len: int, stride: int,
                    reduce: str = 'mean', batch_size: int = 16,
                    whole_video: bool = False) -> np.ndarray:
        """(L,) frame scores of one whole video (C, L, H, W), as
        ``tools/test.py`` gets them.

        With ``whole_video`` (the config's test set gives whole videos,
        ``sample_unit='video'``) :meth:`predict` scores the video at once
        and lays its own windows; otherwise every window of the clip index
        (``clip_len``, ``stride``) is scored by :meth:`predict_frame_scores`,
        ``batch_size`` windows at a time. Windows map to frames with
        ``reduce``.
        """
        if not whole_video:
            return score_windows(self, frames, clip_len, stride, reduce,
                                 batch_size)
        sample = self.predict([frames])[0]
        windows, evidence = window_evidence(sample.frame_indices,
                                            sample.pred_scores.numpy())
        return clip_to_frame_scores(list(windows), list(evidence),
                                    frames.shape[1], reduce=reduce)

    def stream_scorer(self, clip_len: int, stride: int,
                      reduce: str = 'mean', whole_video: bool = False):
        """A scorer of live frames (``push`` / ``finish``) that gives
        :meth:`score_video`'s scores with bounded memory: one window plus
        one stride of frames (:class:`~.window_streams.ClipStream`).

        Raises:
            NotImplementedError: with ``whole_video``: a detector that
                scores whole videos streams only if it says how (its own
                ``stream_scorer``).
        """
        check_stream_geometry(clip_len, stride, reduce)
        if whole_video:
            raise NotImplementedError(
                f'{type(self).__name__} scores whole videos and has no '
                'stream scorer; it is scored offline only.')
        return ClipStream(self, clip_len, stride, reduce)

    def stream_latency(self, clip_len: int, stride: int,
                       whole_video: bool = False) -> Optional[int]:
        """Frames after which a frame's score no longer depends on what
        comes next, so the frames of an input that stops early within this
        many of its end may score otherwise in a longer one (None: no
        bound). A clip-level stream scores a window as its last frame
        arrives: ``clip_len + stride - 1``; a whole-video detector may read
        the next window too: ``clip_len + 2 * stride - 1``."""
        return clip_len + (2 if whole_video else 1) * stride - 1

    def threshold_metainfo(self) -> dict:
        """What each predicted sample carries about the threshold:
        ``pred_threshold`` (float, nan if not fitted) and
        ``threshold_fit_windows`` / ``threshold_fit_videos`` (int, -1 if
        unknown), which the metric writes to ``metrics.json``."""
        info = dict(pred_threshold=float(self.threshold))
        for name in self.threshold_fit_buffers:
            info[name] = int(getattr(self, name))
        return info

    # -------------------------------------------------------------- fitting
    @property
    def is_fitted(self) -> bool:
        """Whether the threshold and every fitted part (any submodule with an
        ``is_fitted`` property: scorers, normalisers) hold their state."""
        if not torch.isfinite(self.threshold):
            return False
        return all(module.is_fitted for module in self.modules()
                   if module is not self and hasattr(module, 'is_fitted'))

    @staticmethod
    def subsample_bank(bank: torch.Tensor,
                       bank_size: Optional[int]) -> torch.Tensor:
        """At most ``bank_size`` rows of ``bank``, a seeded random subset.

        Bounds the memory banks that fitted scorers save in checkpoints; the
        seed keeps re-fitting reproducible. None keeps every row.
        """
        if bank_size is None or len(bank) <= bank_size:
            return bank
        keep = torch.randperm(len(bank),
                              generator=torch.Generator().manual_seed(0))
        return bank[keep[:bank_size].to(bank.device)]

    #: The clip -> frame reductions whose frame scores read this detector's
    #: evidence right (None: any of ``CLIP_TO_FRAME_MODES``).
    supported_clip_to_frame: Optional[Tuple[str, ...]] = None

    def check_clip_to_frame(self, clip_to_frame: str) -> None:
        """Refuse a clip -> frame reduction this detector's per-frame
        evidence is not meant for (:attr:`supported_clip_to_frame`)."""
        allowed = self.supported_clip_to_frame
        if allowed is not None and clip_to_frame not in allowed:
            raise ValueError(
                f"{type(self).__name__}'s frame scores need clip_to_frame in "
                f'{allowed} (test_evaluator), got {clip_to_frame!r}.')

    #: What :meth:`fit_scorers` fits on the training normals, for the
    #: error when a config gives none (None: nothing, no training normals
    #: needed).
    fitted_on_training_normals: Optional[str] = None
    #: Whether :meth:`fit_normalizers` reads the validation normals.
    fits_normalizers: bool = False

    def fitting_features(self, frames: torch.Tensor,
                         sample: Optional[ClipDataSample] = None):
        """What fitting keeps of one normal video or clip (C, L, H, W), as
        the data preprocessor gives it; :func:`cbad.engine.fit_detector`
        collects them over the fitting loaders (in eval mode, no grad) and
        hands the lists to :meth:`fit_scorers` / :meth:`fit_normalizers`.
        None here (nothing to fit)."""
        return None

    def fit_scorers(self, features: List) -> None:
        """Fit score components on the training normals' fitting features
        (none here)."""

    def fit_normalizers(self, features: List) -> None:
        """Fit score normalisers on the validation normals' fitting
        features (none here)."""

    def set_threshold(self, delta: float, windows: int, videos: int) -> None:
        """Store a fitted threshold ``delta`` and what it was fitted on
        (:func:`cbad.engine.fit_threshold` computes it)."""
        self.threshold.fill_(float(delta))
        self.threshold_fit_windows.fill_(int(windows))
        self.threshold_fit_videos.fill_(int(videos))
