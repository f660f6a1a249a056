"""Pack a clip into the model's input tensor and its data sample."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from cbad.registry import TRANSFORMS
from cbad.structures import ClipDataSample


@TRANSFORMS.register_module()
class PackClipInputs(BaseTransform):
    """Pack ``imgs`` as a (C, T, H, W) uint8 tensor plus a ClipDataSample.

    Required keys: ``imgs``. Optional: ``gt_labels`` and the ``meta_keys``.

    Args:
        meta_keys (Sequence[str]): Keys copied into the data sample's
            metainfo when present. Defaults to ('video', 'video_index',
            'frame_indices', 'num_frames', 'motion_group', 'motion_q'); the
            last two exist for training clips with motion groups (eq. 8).

    Returns:
        dict: ``inputs`` (Tensor) and ``data_samples`` (ClipDataSample with
        ``gt_labels`` as a (T,) uint8 tensor when the clip is labelled).

    Shape:
        - inputs: (C, T, H, W) uint8.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = ('video', 'video_index',
                                             'frame_indices', 'num_frames',
                                             'motion_group', 'motion_q')
                 ) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        if 'imgs' not in results:
            raise KeyError('PackClipInputs needs results["imgs"]; put '
                           'LoadClipFrames earlier in the pipeline.')
        imgs = np.ascontiguousarray(results['imgs'])  # T x H x W x C
        inputs = torch.from_numpy(imgs).permute(3, 0, 1, 2).contiguous()
        data_sample = ClipDataSample(metainfo={
            k: results[k] for k in self.meta_keys if k in results})
        if 'gt_labels' in results:
            data_sample.gt_labels = torch.as_tensor(
                np.asarray(results['gt_labels']), dtype=torch.uint8)
        return dict(inputs=inputs, data_samples=data_sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
