"""Where in each frame a detector responds: per-pixel heat maps in [0, 1].

:func:`response_maps` turns one normalised video into one map per frame:

- :class:`ContrastiveDetector`: Grad-CAM (Selvaraju et al., ICCV 2017) of the
  spatial branch's last feature map (Eq. 3, before pooling) with respect to
  each window's *fused* score ``A`` (Eq. 21). ``A`` is differentiable almost
  everywhere: ``D`` (Eq. 18) and ``T`` (Eq. 19) are smooth in z, ``R``
  (Eq. 20) is computed in torch on the neighbours faiss picked, and ``Q`` is
  piecewise linear with linear tails; so the map explains the number the
  detector reports, not a proxy such as ``D`` alone. A frame's map is the
  mean over the windows that cover it. Evidence that only the motion branch
  (Eq. 4) sees does not show: the map reads appearance features.
- :class:`ObjectContrastiveDetector` (tubes): each tube's box filled with
  its fused score above the normal floor on the frames its score goes to
  (:meth:`ObjectContrastiveDetector.tube_maps`): which object, how much.
- :class:`ReconstructionDetector` (Conv-AE) and :class:`MemAEDetector`: the
  squared reconstruction error per pixel, averaged over channels and over
  the clips covering each frame.
- :class:`FuturePredictionDetector`: the squared prediction error per pixel
  of each predicted frame; the first ``in_frames`` frames, which the
  generator cannot predict, take the first prediction's map (the rule of
  its ``predict_frame_scores``).

Every map of one call is divided by one number for the whole video, its
``PEAK_PERCENTILE``-th percentile over all pixels of all frames, and clipped
to 1: the frames of one video compare (a brighter frame responds more),
maps of two calls do not. A percentile rather than the maximum because
pixel errors are heavy-tailed: divided by its maximum, an FFP error map is
below 0.1 on 99% of the pixels and shows nearly nothing.
"""
import inspect
from typing import Callable, Dict, List

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cbad.structures import build_clip_index
from cbad.utils.modes import eval_mode

__all__ = ['response_maps', 'overlay_heatmap']

#: Clip length for reconstruction detectors whose encoder does not fix it
#: (MemAE takes any T; 16 is its configs' and the paper's cuboid length).
DEFAULT_CLIP_LEN = 16
#: Windows run through a reconstruction or prediction model at once.
WINDOW_BATCH = 16
#: Percentile of a video's map values that maps to 1 (see module docstring).
PEAK_PERCENTILE = 99.5
#: Weight of the colour map in :func:`overlay_heatmap`.
OVERLAY_ALPHA = 0.45


class _FrameMean:
    """Running mean of the maps that overlapping windows give each frame."""

    def __init__(self, length: int, like: torch.Tensor) -> None:
        self.total = like.new_zeros((length, ) + tuple(like.shape[-2:]))
        self.count = like.new_zeros(length)

    def add(self, frame_ids: torch.Tensor, maps: torch.Tensor) -> None:
        """Add maps (K, h, w) to frames ``frame_ids`` (K,); ids may repeat."""
        frame_ids = frame_ids.to(self.total.device)
        self.total.index_add_(0, frame_ids, maps)
        self.count.index_add_(0, frame_ids,
                              maps.new_ones(len(frame_ids)))

    def mean(self) -> torch.Tensor:
        """(L, h, w); a frame no window covered stays 0."""
        return self.total / self.count.clamp(min=1).view(-1, 1, 1)


def _contrastive_gradcam(model: nn.Module,
                         frames: torch.Tensor) -> torch.Tensor:
    """Grad-CAM of every window's fused score ``A``, averaged per frame."""
    feature_maps: List[torch.Tensor] = []

    def as_leaf(module: nn.Module, args: tuple,
                output: torch.Tensor) -> torch.Tensor:
        # The feature map becomes a graph leaf: gradients stop here, so the
        # conv layers below it keep no graph and each backward pass is cheap.
        leaf = output.detach().requires_grad_()
        feature_maps.append(leaf)  # chunk x D x gh x gw
        return leaf

    # embed_video runs under no_grad; its undecorated body is the detector's
    # own scoring path, run here with gradients instead of a copy of it.
    embed_video = inspect.unwrap(type(model).embed_video)
    handle = model.encoder.spatial.layers.register_forward_hook(as_leaf)
    try:
        with torch.enable_grad():
            z, windows = embed_video(model, frames)  # S x D, S x T
            scores = model.fusion(model.score_terms(z))  # S (x cells)
            if model.grid:  # as predict(): the most anomalous cell decides
                scores = scores.amax(dim=1)
            features = torch.cat(feature_maps).detach()  # L x D x gh x gw
            per_frame = _FrameMean(frames.shape[1], features)
            windows = torch.as_tensor(windows, device=features.device)
            for score, frame_ids in zip(scores, windows):
                grads = torch.autograd.grad(score, feature_maps,
                                            retain_graph=True)
                grads = torch.cat(grads)[frame_ids]  # T x D x gh x gw
                alpha = grads.mean(dim=(2, 3), keepdim=True)  # T x D x 1 x 1
                cam = F.relu((alpha * features[frame_ids]).sum(dim=1))
                per_frame.add(frame_ids, cam)  # T x gh x gw
    finally:
        handle.remove()
    return per_frame.mean()


def _windowed_error(frames: torch.Tensor, clip_len: int, stride: int,
                    error_of: Callable[[torch.Tensor], torch.Tensor],
                    targets: int) -> torch.Tensor:
    """Mean error map per frame over sliding windows of the video.

    Args:
        frames (Tensor): (C, L, H, W).
        clip_len (int): Window length.
        stride (int): Window stride.
        error_of (callable): Maps clips (B, C, T, H, W) to error maps
            (B, targets, H, W) of the last ``targets`` frames of each clip.
        targets (int): Frames per window that get a map.

    Returns:
        Tensor: (L, H, W).
    """
    windows = torch.as_tensor(
        np.stack(build_clip_index(frames.shape[1], clip_len, stride)),
        device=frames.device)  # S x T
    per_frame = None
    for start in range(0, len(windows), WINDOW_BATCH):
        ids = windows[start:start + WINDOW_BATCH]
        clips = frames[:, ids].transpose(0, 1)  # B x C x T x H x W
        errors = error_of(clips)  # B x targets x H x W
        if per_frame is None:
            per_frame = _FrameMean(frames.shape[1], errors)
        per_frame.add(ids[:, -targets:].reshape(-1), errors.flatten(0, 1))
    return per_frame.mean()


def _reconstruction_error(model: nn.Module,
                          frames: torch.Tensor) -> torch.Tensor:
    """Squared reconstruction error per pixel, clips side by side."""
    clip_len = getattr(model.encoder, 'in_frames', DEFAULT_CLIP_LEN)

    def error_of(clips: torch.Tensor) -> torch.Tensor:
        return (model.reconstruct(clips) - clips).pow(2).mean(dim=1)

    return _windowed_error(frames, clip_len, clip_len, error_of, clip_len)


def _prediction_error(model: nn.Module,
                      frames: torch.Tensor) -> torch.Tensor:
    """Squared error of each frame predicted from the ``in_frames`` before."""
    in_frames = model.in_frames

    def error_of(clips: torch.Tensor) -> torch.Tensor:
        past, target, _ = model.split_clips(clips)  # one target per clip
        error = (model.generator(past) - target).pow(2).mean(dim=1)
        return error.unsqueeze(1)  # B x 1 x H x W

    maps = _windowed_error(frames, in_frames + 1, 1, error_of, 1)
    if frames.shape[1] > in_frames:
        maps[:in_frames] = maps[in_frames]  # unpredictable: first target's
    return maps


#: A detector's ``response_map`` attribute -> how its maps are made.
MAP_RULES: Dict[str, Callable[[nn.Module, torch.Tensor], torch.Tensor]] = {
    'tube_boxes': lambda model, frames: model.tube_maps(frames),
    'gradcam': _contrastive_gradcam,
    'prediction_error': _prediction_error,
    'reconstruction_error': _reconstruction_error,
}


def response_maps(model: nn.Module, frames: torch.Tensor) -> np.ndarray:
    """One heat map per frame of where ``model`` sees the anomaly.

    See the module docstring for what each detector's map is. The model is
    run in eval mode (its mode is restored) on the device of ``frames``;
    its parameters and gradients are left untouched.

    Args:
        model (nn.Module): A cbad detector (fitted, for the contrastive one:
            its score needs the scorers and the quantile normalisers).
        frames (Tensor): One video normalised by the detector's
            ``data_preprocessor``.

    Returns:
        np.ndarray: float32 maps in [0, 1], divided by the video's
        ``PEAK_PERCENTILE``-th percentile and clipped (its maximum where
        that percentile is 0; all zeros if the model responds nowhere).

    Raises:
        NotImplementedError: For a detector type without a map rule.
        ValueError: If ``frames`` is not one (C, L, H, W) video.

    Shape:
        - frames: (C, L, H, W).
        - output: (L, H, W), the input resolution.
    """
    kind = getattr(model, 'response_map', None)
    rule = MAP_RULES.get(kind)
    if rule is None:
        raise NotImplementedError(
            f'response_maps has no map for {type(model).__name__} (its '
            f'response_map is {kind!r}); a detector names one of '
            f'{", ".join(sorted(MAP_RULES))} in its `response_map` class '
            'attribute: tube boxes (ObjectContrastiveDetector), Grad-CAM '
            '(ContrastiveDetector), reconstruction error '
            '(ReconstructionDetector, MemAEDetector), prediction error '
            '(FuturePredictionDetector).')
    if not isinstance(frames, torch.Tensor) or frames.dim() != 4:
        found = tuple(getattr(frames, 'shape', ())) or type(frames).__name__
        raise ValueError(
            'response_maps expects one normalised video (C, L, H, W), as '
            "the detector's data_preprocessor makes it (its ['inputs'][0]); "
            f'found {found}.')
    with eval_mode(model), torch.no_grad():
        # the tube model takes its frames as its preprocessor gives them
        # (uint8 with raw_predict_inputs); the others read floats
        maps = rule(model, frames if kind == 'tube_boxes' else
                    frames.float())  # L x h x w
    maps = F.interpolate(maps[:, None], size=tuple(frames.shape[-2:]),
                         mode='bilinear', align_corners=False)[:, 0]
    maps = maps.clamp(min=0).cpu().numpy().astype(np.float32)  # L x H x W
    peak = float(np.percentile(maps, PEAK_PERCENTILE))
    if peak <= 0:  # responds on fewer pixels than the percentile leaves out
        peak = float(maps.max())
    return np.clip(maps / peak, 0, 1) if peak > 0 else maps


def overlay_heatmap(frame: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """Blend a heat map onto a frame with OpenCV's JET colour map.

    Args:
        frame (np.ndarray): uint8 grey (H, W) or (H, W, 1), or BGR (H, W, 3).
        heat (np.ndarray): (h, w) values in [0, 1] (clipped); resized to the
            frame with bilinear interpolation when the sizes differ.

    Returns:
        np.ndarray: uint8 BGR (H, W, 3); ``OVERLAY_ALPHA`` of the colour map.
    """
    frame = np.asarray(frame)
    heat = np.asarray(heat, dtype=np.float32)
    if frame.dtype != np.uint8 or frame.ndim not in (2, 3) or (
            frame.ndim == 3 and frame.shape[2] not in (1, 3)):
        raise ValueError('frame must be a uint8 grey (H, W) or BGR (H, W, 3) '
                         f'image, found {frame.dtype} {frame.shape}.')
    if heat.ndim != 2:
        raise ValueError(f'heat must be one (H, W) map, found {heat.shape}.')
    if frame.ndim == 2 or frame.shape[2] == 1:
        frame = cv2.cvtColor(frame.reshape(frame.shape[:2]),
                             cv2.COLOR_GRAY2BGR)
    height, width = frame.shape[:2]
    if heat.shape != (height, width):
        heat = cv2.resize(heat, (width, height),
                          interpolation=cv2.INTER_LINEAR)
    colour = cv2.applyColorMap(
        np.round(np.clip(heat, 0, 1) * 255).astype(np.uint8),
        cv2.COLORMAP_JET)
    return cv2.addWeighted(frame, 1 - OVERLAY_ALPHA, colour, OVERLAY_ALPHA, 0)
