"""Read a clip's frames from its source."""
import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from cbad.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadClipFrames(BaseTransform):
    """Decode the frames of one clip.

    Required keys: ``source`` (a :class:`~cbad.datasets.sources.FrameSource`),
    ``frame_indices``.
    Added keys: ``imgs``, ``ori_shape``, ``img_shape``.

    Args:
        to_gray (bool): Convert BGR frames to one gray channel. Defaults to
            False.

    Shape:
        - imgs: (T, H, W, C) uint8, C = 3 (BGR) or 1 (gray).
    """

    def __init__(self, to_gray: bool = False) -> None:
        self.to_gray = to_gray

    def transform(self, results: dict) -> dict:
        indices = np.asarray(results['frame_indices']) + results.get(
            'frame_offset', 0)
        imgs = results['source'].read_clip(indices)
        if self.to_gray:
            imgs = np.stack([cv2.cvtColor(f, cv2.COLOR_BGR2GRAY)
                             for f in imgs])[..., None]  # T x H x W x 1
        results['imgs'] = np.ascontiguousarray(imgs)
        results['ori_shape'] = imgs.shape[1:3]
        results['img_shape'] = imgs.shape[1:3]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(to_gray={self.to_gray})'
