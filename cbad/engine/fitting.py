"""Fitting a detector on normal data: scorers, normalisers, threshold.

The one place that owns the fitting loaders and the clip -> frame protocol
of fitting. This module runs the loaders; a detector says what it keeps of
each normal video (``fitting_features``: embeddings, tubes, descriptors),
fits its own state from those lists
(:meth:`~cbad.models.BaseAnomalyDetector.fit_scorers` on the training
normals, ``fit_normalizers`` on the validation normals) and says how it
scores (``predict``); this module maps those scores to frames and windows
exactly as the test metric does and fits the decision threshold ``delta``
(eq. 22-23 of Tong & Wu) on them.
"""
from collections import defaultdict
from typing import Dict, Iterable, List, Optional

import numpy as np
import torch
from mmengine.logging import MMLogger

from cbad.evaluation.functional import window_scores
from cbad.evaluation.thresholders import (MIN_THRESHOLD_FIT_VIDEOS,
                                          MIN_THRESHOLD_FIT_WINDOWS,
                                          fitted_on_too_little)
from cbad.registry import THRESHOLDERS
from cbad.structures import (DEFAULT_CLIP_LEN, DEFAULT_STRIDE,
                             clip_to_frame_scores, window_evidence)
from cbad.utils.modes import eval_mode

#: How a frame's score is read from its windows when nothing says otherwise.
DEFAULT_CLIP_TO_FRAME = 'mean'


@torch.no_grad()
def fitting_features(model, loader: Iterable) -> List:
    """``model.fitting_features`` of every normal video or clip of a
    fitting loader, in eval mode (the previous mode restored after).

    Raises:
        ValueError: If the loader yields nothing.
    """
    out = []
    with eval_mode(model):
        for data in loader:
            data = model.data_preprocessor(data, False)
            inputs = data['inputs']
            samples = data.get('data_samples') or [None] * len(inputs)
            for frames, sample in zip(inputs, samples):
                out.append(model.fitting_features(frames, sample))
    if not out:
        raise ValueError('the fitting loader yielded no videos or clips; '
                         'check fit_train_dataloader / fit_dataloader and '
                         'the data root.')
    return out


@torch.no_grad()
def frame_scores_by_video(model, loader: Iterable,
                          clip_to_frame: str = DEFAULT_CLIP_TO_FRAME
                          ) -> Dict[str, np.ndarray]:
    """Score every clip (or whole video) of ``loader`` with ``model`` and
    map the windows' per-frame evidence to one score per frame, per video.

    Args:
        model: A :class:`~cbad.models.BaseAnomalyDetector`.
        loader (Iterable): Batches as the config's dataloaders give them.
        clip_to_frame (str): ``'mean'``, ``'max'``, ``'center'`` or ``'end'``.

    Returns:
        dict: ``{video: (num_frames,) float64 scores}``.
    """
    clips = defaultdict(lambda: ([], [], 0))
    with eval_mode(model):
        for data in loader:
            data = model.data_preprocessor(data, False)
            for sample in model.predict(**data):
                indices, values, _ = clips[sample.video]
                # one window (T,) or a whole video's (S, T)
                windows, evidence = window_evidence(
                    sample.frame_indices, sample.pred_scores.numpy())
                indices.extend(windows)
                values.extend(evidence)
                clips[sample.video] = (indices, values, sample.num_frames)
    return {
        video: clip_to_frame_scores(indices, values, num_frames,
                                    reduce=clip_to_frame)
        for video, (indices, values, num_frames) in clips.items()
    }


def default_clip_to_frame(model) -> str:
    """The clip -> frame rule fitting uses when none is given: the
    detector's first supported one, else ``'mean'``."""
    supported = getattr(model, 'supported_clip_to_frame', None)
    return supported[0] if supported else DEFAULT_CLIP_TO_FRAME


def fit_threshold(model,
                  val_loader: Iterable,
                  segment_len: int = DEFAULT_CLIP_LEN,
                  segment_stride: int = DEFAULT_STRIDE,
                  clip_to_frame: Optional[str] = None) -> float:
    """Fit the detector's ``delta`` on the window scores of the normal
    validation videos.

    The windows are laid exactly as the metric lays its segments, so the
    threshold is fitted on the same kind of number it is applied to. Their
    number and the number of videos they come from are stored with the
    threshold (``model.set_threshold``: the checkpoint and ``metrics.json``
    carry them). Fewer than ``MIN_THRESHOLD_FIT_WINDOWS`` (50) windows or
    ``MIN_THRESHOLD_FIT_VIDEOS`` (2) videos log a warning with the counts:
    such a threshold is little more than a guess.

    Args:
        model: A :class:`~cbad.models.BaseAnomalyDetector`.
        val_loader (Iterable): Batches of normal validation clips or videos.
        segment_len (int): Window length. Defaults to 16.
        segment_stride (int): Window stride. Defaults to 4.
        clip_to_frame (str, optional): Clip-to-frame reduction. Defaults
            to None: :func:`default_clip_to_frame`.

    Returns:
        float: The fitted threshold ``delta``.
    """
    clip_to_frame = clip_to_frame or default_clip_to_frame(model)
    model.check_clip_to_frame(clip_to_frame)
    by_video = frame_scores_by_video(model, val_loader, clip_to_frame)
    if not by_video:
        raise ValueError('The validation loader yielded no clips; the '
                         'threshold needs normal validation videos '
                         '(check val_ratio and the data root).')
    scores = np.concatenate([
        window_scores(s, segment_len, segment_stride)
        for s in by_video.values()
    ])
    thresholder = THRESHOLDERS.build(model.thresholder_cfg)
    delta = float(thresholder.fit(scores))
    model.set_threshold(delta, scores.size, len(by_video))
    logger = MMLogger.get_current_instance()
    logger.info(
        f'Fitted threshold delta={delta:.6g} with {model.thresholder_cfg} '
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


def fit_detector(model, train_loader: Optional[Iterable],
                 val_loader: Iterable, **protocol) -> float:
    """Fit everything a trained detector needs before it can score: its
    scorers on the training normals, its normalisers on the validation
    normals, then the threshold (``protocol``: ``segment_len``,
    ``segment_stride``, ``clip_to_frame`` as the test metric has them).

    Returns:
        float: The fitted threshold ``delta``.
    """
    model.check_clip_to_frame(protocol.get('clip_to_frame') or
                              default_clip_to_frame(model))
    fitted = model.fitted_on_training_normals
    if fitted is not None:
        if train_loader is None:
            raise ValueError(
                f'{type(model).__name__} needs the training normals to fit '
                f'{fitted}: set `fit_train_dataloader` in the config.')
        model.fit_scorers(fitting_features(model, train_loader))
    if model.fits_normalizers:
        model.fit_normalizers(fitting_features(model, val_loader))
    return fit_threshold(model, val_loader, **protocol)
