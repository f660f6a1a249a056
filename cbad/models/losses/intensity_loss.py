"""Intensity loss of Future Frame Prediction (Liu et al., CVPR 2018)."""
import torch
from torch import nn

from cbad.registry import LOSSES


@LOSSES.register_module()
class IntensityLoss(nn.Module):
    """Pixel distance between the predicted and the real next frame (Eq. 1).

    ``L_int = ||I_hat - I||_2^2``, averaged over pixels (as FFP's code does)
    so its size does not depend on the resolution.

    Args:
        p (int): 2 (FFP) or 1. Defaults to 2.
        loss_weight (float): lambda_int. Defaults to 1.0.

    Shape:
        - pred, target: (N, C, H, W) (any equal shapes).
        - output: scalar.
    """

    def __init__(self, p: int = 2, loss_weight: float = 1.0) -> None:
        super().__init__()
        if p not in (1, 2):
            raise ValueError(f'p must be 1 or 2, got {p}.')
        self.p = p
        self.loss_weight = loss_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if pred.shape != target.shape:
            raise ValueError(f'pred {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} differ in shape.')
        diff = (pred - target).abs()
        if self.p == 2:
            diff = diff.pow(2)
        return self.loss_weight * diff.mean()
