"""Training-free detector: hand-crafted motion descriptors + kNN to normals."""
from typing import Dict, Iterable, List, Optional

import numpy as np
import torch
from mmengine.logging import MMLogger
from torch import nn

from cbad.structures import build_clip_index
from cbad.registry import DETECTORS, MODELS
from cbad.structures import ClipDataSample
from .base_detector import BaseAnomalyDetector


@DETECTORS.register_module()
class HandcraftedDetector(BaseAnomalyDetector):
    """The "traditional feature method": flow histograms scored by kNN.

    Each window of a video is described by a hand-crafted motion descriptor
    (e.g. :class:`FlowHistogramEncoder`: per-cell histograms of optical-flow
    orientation and magnitude); its anomaly score is the mean distance to
    its k nearest normal training windows (:class:`KNNSupportScorer`, faiss).
    With ``per_cell=True`` every grid cell has its own memory bank of the
    normal descriptors *at that position* and the window's score is the
    largest cell score: a fixed camera's normal motion depends on where in
    the frame it happens (walkway vs lawn), and a small anomaly is diluted
    in a whole-frame descriptor.

    Nothing is learned by gradient descent. ``fit_scorers`` (run by
    :class:`FitDetectorHook` after the training epoch) fills the memory
    bank(s) from ``fit_train_dataloader``; ``fit_threshold`` then fits
    ``delta`` on the normal validation windows. Because mmengine's Runner
    and optimizer need at least one parameter and ``tools/train.py`` needs
    a training loop for the hook to run in, the detector holds one
    zero-initialised dummy parameter ``anchor`` that is used nowhere but in
    the constant zero loss ``loss_none`` (configs run one cheap epoch).

    Whole-video inputs (``sample_unit='video'`` datasets) are scored like
    :class:`ContrastiveDetector` does: the flow of each consecutive frame
    pair is computed once per video and averaged over the ``clip_len`` /
    ``stride`` windows, so a frame shared by 4 windows costs one flow.

    Args:
        encoder (dict): ``ENCODERS`` config with ``pair_descriptors``,
            ``pool_windows``, ``num_cells`` and ``num_bins`` (see
            :class:`FlowHistogramEncoder`).
        scorer (dict): ``SCORERS`` config fitted on descriptors (M, D) and
            called on (N, D). Defaults to
            ``dict(type='KNNSupportScorer', k=1)``.
        per_cell (bool): One scorer per grid cell, max over cells (True) or
            one scorer on the concatenated cells (False). Defaults to False.
        clip_len (int): Window length when scoring whole videos. Defaults
            to 16.
        stride (int): Window stride when scoring whole videos. Defaults to 4.
        bank_size (int, optional): Keep at most this many training windows
            (a seeded random subset) in the memory bank(s). Defaults to None
            (all).
        **kwargs: ``data_preprocessor`` (it must keep intensities on the
            0-255 scale: no mean/std), ``thresholder``, ``init_cfg`` of
            :class:`BaseAnomalyDetector`.

    Shape:
        - clip inputs: (N, C, T, H, W) -> ``predict_frame_scores`` (N, T)
          (the clip's score repeated over its frames).
        - video inputs: (1, C, L, H, W) -> ``pred_scores`` (S,) for the S
          windows in ``frame_indices`` (S, T).
    """

    def __init__(self,
                 encoder: dict,
                 scorer: dict = dict(type='KNNSupportScorer', k=1),
                 per_cell: bool = False,
                 clip_len: int = 16,
                 stride: int = 4,
                 bank_size: Optional[int] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.encoder = MODELS.build(encoder)
        self.per_cell = bool(per_cell)
        num_scorers = self.encoder.num_cells if self.per_cell else 1
        self.scorers = nn.ModuleList(
            [MODELS.build(scorer) for _ in range(num_scorers)])
        self.clip_len = int(clip_len)
        self.stride = int(stride)
        self.bank_size = bank_size
        # Only for mmengine: the optimizer refuses an empty parameter list.
        self.anchor = nn.Parameter(torch.zeros(()))

    # ------------------------------------------------------------ training
    def loss(self, inputs: torch.Tensor,
             data_samples: Optional[List[ClipDataSample]] = None
             ) -> Dict[str, torch.Tensor]:
        """Zero: nothing to train (the bank is fitted by FitDetectorHook)."""
        return dict(loss_none=self.anchor * 0.0)

    # ------------------------------------------------------- descriptors
    def describe_video(self, frames: torch.Tensor):
        """Descriptors of every ``clip_len``/``stride`` window of a video.

        Args:
            frames (Tensor): (C, L, H, W), one video on the 0-255 scale.

        Returns:
            tuple: ``(z, windows)``, z (S, cells, B), windows (S, T) int64.
        """
        windows = np.stack(build_clip_index(frames.shape[1], self.clip_len,
                                            self.stride))  # S x T
        pairs = self.encoder.pair_descriptors(frames)  # L-1 x cells x B
        return self.encoder.pool_windows(pairs, windows), windows

    def describe_clips(self, inputs: torch.Tensor,
                       data_samples: Optional[List[ClipDataSample]] = None
                       ) -> torch.Tensor:
        """Descriptors of clips (N, C, T, H, W) -> (N, cells, B).

        Frames repeated by end-of-video padding (read off the samples'
        ``frame_indices``) add no pair.
        """
        out = []
        for n, clip in enumerate(inputs):
            ids = np.arange(clip.shape[1])
            if data_samples is not None and 'frame_indices' in data_samples[n]:
                given = np.asarray(data_samples[n].frame_indices).reshape(-1)
                if given.size == ids.size:
                    ids = given - given[0]
            pairs = self.encoder.pair_descriptors(clip)
            out.append(self.encoder.pool_windows(pairs, ids[None]))
        return torch.cat(out)

    def score_descriptors(self, z: torch.Tensor) -> torch.Tensor:
        """Anomaly score of descriptors (S, cells, B) -> (S,)."""
        if not self.per_cell:
            return self.scorers[0](z.flatten(1))
        cells = [scorer(z[:, c]) for c, scorer in enumerate(self.scorers)]
        return torch.stack(cells, dim=1).amax(dim=1)  # S x cells -> S

    # ------------------------------------------------------------- scoring
    @staticmethod
    def _is_whole_video(frames: torch.Tensor,
                        sample: Optional[ClipDataSample]) -> bool:
        """A sample is a whole video unless it names a sub-window."""
        if sample is None or 'frame_indices' not in sample:
            return True
        ids = np.asarray(sample.frame_indices).reshape(-1)
        return 'num_frames' in sample and ids.size == int(
            sample.num_frames) == frames.shape[1] and np.array_equal(
                ids, np.arange(ids.size))

    @torch.no_grad()
    def predict_frame_scores(
            self, inputs: torch.Tensor,
            data_samples: Optional[List[ClipDataSample]] = None
    ) -> torch.Tensor:
        """Score of each clip, repeated over its T frames: (N, T)."""
        scores = self.score_descriptors(
            self.describe_clips(inputs, data_samples))  # N
        return scores[:, None].expand(-1, inputs.shape[2])

    @torch.no_grad()
    def predict(self, inputs, data_samples=None) -> List[ClipDataSample]:
        """Score clips, or every window of whole videos.

        A whole-video sample gets ``frame_indices`` (S, T), ``pred_scores``
        (S,) and ``num_frames``; a clip sample gets ``pred_scores`` (T,).
        """
        if isinstance(inputs, torch.Tensor):
            inputs = list(inputs)
        if data_samples is None:
            data_samples = [ClipDataSample() for _ in inputs]
        threshold = self.threshold_metainfo()
        for frames, sample in zip(inputs, data_samples):
            if self._is_whole_video(frames, sample):
                z, windows = self.describe_video(frames)
                sample.set_metainfo(dict(frame_indices=windows,
                                         num_frames=frames.shape[1]))
                scores = self.score_descriptors(z)
            else:
                scores = self.predict_frame_scores(frames[None],
                                                   [sample])[0]
            sample.pred_scores = scores.float().cpu()
            sample.set_metainfo(threshold)
        return data_samples

    # ------------------------------------------------------------- fitting
    fitted_on_training_normals = ('its kNN memory bank (see '
                                  'configs/handcrafted/handcrafted_ped2.py)')

    def fitting_features(self, frames: torch.Tensor,
                         sample: Optional[ClipDataSample] = None
                         ) -> torch.Tensor:
        """Descriptors of one video's windows or of one clip."""
        if self._is_whole_video(frames, sample):
            return self.describe_video(frames)[0]
        return self.describe_clips(frames[None], [sample])

    def fit_scorers(self, bank: List[torch.Tensor]) -> None:
        """Fill the memory bank(s) with the normal training descriptors."""
        bank = self.subsample_bank(torch.cat(bank),
                                   self.bank_size)  # M x cells x B
        if self.per_cell:
            for c, scorer in enumerate(self.scorers):
                scorer.fit(bank[:, c])
        else:
            self.scorers[0].fit(bank.flatten(1))
        MMLogger.get_current_instance().info(
            f'Fitted {len(self.scorers)} kNN bank(s) on {len(bank)} normal '
            f'training windows ({bank.shape[1]} cells x {bank.shape[2]} '
            'bins).')
