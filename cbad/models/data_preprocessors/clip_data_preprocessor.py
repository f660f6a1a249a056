"""Stacks uint8 clips into a normalised float batch on the model's device."""
from typing import Optional, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor

from cbad.registry import DATA_PREPROCESSORS


@DATA_PREPROCESSORS.register_module()
class ClipDataPreprocessor(BaseDataPreprocessor):
    """Turn a list of uint8 clips into one normalised float tensor.

    ``(x - mean) / std`` per channel, with ``mean``/``std`` on the 0-255
    scale like OpenMMLab's image preprocessors.

    Args:
        mean (Sequence[float], optional): Per-channel mean. Defaults to None
            (no centring).
        std (Sequence[float], optional): Per-channel std. Defaults to None
            (no scaling).
        raw_predict_inputs (bool): Outside training, only stack the uint8
            clips and move them to the device: no cast, no normalisation.
            For models that cut their own crops out of the raw frames and
            normalise only the crops (``ObjectContrastiveDetector``): it
            saves a float copy of every whole video and its inverse, about
            a seventh of that model's scoring time. Training batches are
            normalised either way. Defaults to False.

    Shape:
        - inputs (list of uint8 Tensor): each (C, T, H, W).
        - output ``inputs``: (N, C, T, H, W) float32 (uint8 outside
          training with ``raw_predict_inputs``).
    """

    def __init__(self,
                 mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None,
                 raw_predict_inputs: bool = False) -> None:
        super().__init__()
        self.raw_predict_inputs = raw_predict_inputs
        self._normalize = mean is not None or std is not None
        if self._normalize:
            mean = mean if mean is not None else [0.0]
            std = std if std is not None else [1.0]
            if len(mean) != len(std):
                raise ValueError(f'mean has {len(mean)} values but std has '
                                 f'{len(std)}; give one per channel.')
            self.register_buffer('mean',
                                 torch.tensor(mean).view(-1, 1, 1, 1), False)
            self.register_buffer('std',
                                 torch.tensor(std).view(-1, 1, 1, 1), False)

    def forward(self, data: dict, training: bool = False) -> dict:
        """Stack, cast to float, normalise and move to the device."""
        data = self.cast_data(data)
        inputs: Union[torch.Tensor, list] = data['inputs']
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(list(inputs))
        if self.raw_predict_inputs and not training:
            if inputs.dtype != torch.uint8:
                raise ValueError(
                    'raw_predict_inputs expects uint8 clips, got '
                    f'{inputs.dtype}; load frames with LoadClipFrames.')
            return dict(inputs=inputs, data_samples=data.get('data_samples'))
        inputs = inputs.float()  # N x C x T x H x W
        if self._normalize:
            if inputs.shape[1] != self.mean.shape[0] and self.mean.shape[0] > 1:
                raise ValueError(
                    f'Clips have {inputs.shape[1]} channels but the '
                    f'preprocessor has {self.mean.shape[0]} means; make '
                    'mean/std match the pipeline (to_gray gives 1 channel).')
            inputs = (inputs - self.mean) / self.std
        return dict(inputs=inputs, data_samples=data.get('data_samples'))
