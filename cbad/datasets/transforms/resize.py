"""Resize every frame of a clip."""
from typing import Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from cbad.registry import TRANSFORMS

INTERPOLATIONS = {
    'nearest': cv2.INTER_NEAREST,
    'bilinear': cv2.INTER_LINEAR,
    'bicubic': cv2.INTER_CUBIC,
    'area': cv2.INTER_AREA,
    'lanczos': cv2.INTER_LANCZOS4,
}


@TRANSFORMS.register_module()
class ResizeClip(BaseTransform):
    """Resize the frames of a clip to a fixed size.

    Required keys: ``imgs``. Modified keys: ``imgs``, ``img_shape``.

    Args:
        size (Sequence[int]): Output (H, W).
        interpolation (str): One of ``'nearest'``, ``'bilinear'``,
            ``'bicubic'``, ``'area'``, ``'lanczos'``. Defaults to 'area'
            (best for shrinking).

    Shape:
        - imgs: (T, H, W, C) -> (T, size[0], size[1], C), dtype kept.
    """

    def __init__(self,
                 size: Sequence[int],
                 interpolation: str = 'area') -> None:
        if len(size) != 2 or min(size) < 1:
            raise ValueError(f'size must be (H, W) > 0, got {size!r}.')
        if interpolation not in INTERPOLATIONS:
            raise ValueError(
                f'interpolation must be one of {sorted(INTERPOLATIONS)}, '
                f'got {interpolation!r}.')
        self.size = (int(size[0]), int(size[1]))
        self.interpolation = interpolation

    def transform(self, results: dict) -> dict:
        imgs = results['imgs']
        height, width = self.size
        if imgs.shape[1:3] != self.size:
            flag = INTERPOLATIONS[self.interpolation]
            # cv2 takes (W, H) and drops a single channel axis.
            frames = [cv2.resize(f, (width, height), interpolation=flag)
                      for f in imgs]
            imgs = np.stack(frames).reshape(len(frames), height, width, -1)
        results['imgs'] = imgs
        results['img_shape'] = self.size
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(size={self.size}, '
                f'interpolation={self.interpolation!r})')
