"""Base class of every cbad detector: forward modes, prediction and fitting."""
from abc import abstractmethod
from collections import defaultdict
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np
import torch
from mmengine.logging import MMLogger
from mmengine.model import BaseModel

from cbad.structures import ClipDataSample


class BaseAnomalyDetector(BaseModel):
    """One-class video anomaly detector.

    A subclass implements :meth:`loss` (training on normal clips) and
    :meth:`predict_frame_scores` (per-frame anomaly evidence of each clip).
    This class adds what every detector shares:

    - the fitted decision threshold ``delta`` (eq. 22-23 of Tong & Wu) as a
      registered buffer, so it is saved in, and restored from, checkpoints;
    - :meth:`fit`, run after training by
      :class:`~cbad.engine.hooks.FitDetectorHook`: first
      :meth:`fit_scorers` on the training normals (no-op here; detectors with
      memory banks or prototypes override it), then :meth:`fit_threshold` on
      the normal validation clips;
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

    def fit_scorers(self, train_loader: Optional[Iterable]) -> None:
        """Fit score components on the training normals (none here)."""

    @torch.no_grad()
    def frame_scores_by_video(self, loader: Iterable,
                              clip_to_frame: str = 'mean'
                              ) -> Dict[str, np.ndarray]:
        """Score every clip of ``loader`` and map clips to frames per video."""
        from cbad.evaluation.functional import clip_to_frame_scores
        was_training = self.training
        self.eval()
        clips = defaultdict(lambda: ([], [], 0))
        for data in loader:
            data = self.data_preprocessor(data, False)
            for sample in self.predict(**data):
                indices, values, _ = clips[sample.video]
                frames = np.asarray(sample.frame_indices)
                scores = sample.pred_scores.numpy()
                if frames.ndim == 2:  # a whole video: (W, T) windows
                    indices.extend(frames)
                    values.extend(np.broadcast_to(
                        scores.reshape(len(frames), -1), frames.shape))
                else:
                    indices.append(frames)
                    values.append(scores)
                clips[sample.video] = (indices, values, sample.num_frames)
        self.train(was_training)
        return {
            video: clip_to_frame_scores(indices, values, num_frames,
                                        reduce=clip_to_frame)
            for video, (indices, values, num_frames) in clips.items()
        }

    def fit_threshold(self,
                      val_loader: Iterable,
                      segment_len: int = 16,
                      segment_stride: int = 4,
                      clip_to_frame: str = 'mean') -> float:
        """Fit ``delta`` on the window scores of the normal validation clips.

        The windows are laid exactly as the metric lays its segments, so the
        threshold is fitted on the same kind of number it is applied to.
        Their number and the number of videos they come from are kept in
        the buffers ``threshold_fit_windows`` / ``threshold_fit_videos`` (so
        in the checkpoint and in ``metrics.json``). Fewer than
        ``MIN_THRESHOLD_FIT_WINDOWS`` (50) windows or
        ``MIN_THRESHOLD_FIT_VIDEOS`` (2) videos
        (:mod:`cbad.evaluation.thresholders`) log a warning with the counts:
        such a threshold is little more than a guess (e.g. two training
        videos leave only their trailing frames for validation).

        Args:
            val_loader (Iterable): Batches of normal validation clips.
            segment_len (int): Window length. Defaults to 16.
            segment_stride (int): Window stride. Defaults to 4.
            clip_to_frame (str): Clip-to-frame reduction. Defaults to
                ``'mean'``.

        Returns:
            float: The fitted threshold ``delta``.
        """
        from cbad.evaluation.functional import window_scores
        from cbad.evaluation.thresholders import (MIN_THRESHOLD_FIT_VIDEOS,
                                                  MIN_THRESHOLD_FIT_WINDOWS,
                                                  fitted_on_too_little)
        from cbad.registry import THRESHOLDERS
        by_video = self.frame_scores_by_video(val_loader, clip_to_frame)
        if not by_video:
            raise ValueError('The validation loader yielded no clips; the '
                             'threshold needs normal validation videos '
                             '(check val_ratio and the data root).')
        scores = np.concatenate([
            window_scores(s, segment_len, segment_stride)
            for s in by_video.values()
        ])
        thresholder = THRESHOLDERS.build(self.thresholder_cfg)
        delta = float(thresholder.fit(scores))
        self.threshold.fill_(delta)
        self.threshold_fit_windows.fill_(scores.size)
        self.threshold_fit_videos.fill_(len(by_video))
        logger = MMLogger.get_current_instance()
        logger.info(
            f'Fitted threshold delta={delta:.6g} with {self.thresholder_cfg} '
            f'on {scores.size} normal validation windows '
            f'({len(by_video)} videos).')
        if fitted_on_too_little(scores.size, len(by_video)):
            logger.warning(
                f'The threshold was fitted on only {scores.size} normal '
                f'validation windows from {len(by_video)} videos; a '
                f'reliable one needs at least {MIN_THRESHOLD_FIT_WINDOWS} '
                f'windows from {MIN_THRESHOLD_FIT_VIDEOS} videos, so the '
                'P/R/F1 at the threshold (and any alarm it raises) rest on '
                'little. Give the validation split more normal footage: '
                'more training videos, or a larger val_ratio.')
        return delta

    def fit(self, train_loader: Optional[Iterable], val_loader: Iterable,
            **threshold_kwargs) -> None:
        """Fit the scorers on training normals, then the threshold."""
        self.fit_scorers(train_loader)
        self.fit_threshold(val_loader, **threshold_kwargs)
