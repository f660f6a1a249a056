"""Gradient (constraint) loss of Future Frame Prediction (Liu et al.)."""
import torch
from torch import nn

from cbad.registry import LOSSES


def _abs_gradients(x: torch.Tensor):
    """Absolute horizontal and vertical neighbour differences."""
    dx = (x[..., :, 1:] - x[..., :, :-1]).abs()  # N x C x H x (W-1)
    dy = (x[..., 1:, :] - x[..., :-1, :]).abs()  # N x C x (H-1) x W
    return dx, dy


@LOSSES.register_module()
class GradientLoss(nn.Module):
    """Difference of image-gradient magnitudes (Eq. 2).

    ``L_gd = sum_ij | |I_hat_ij - I_hat_i-1,j| - |I_ij - I_i-1,j| |^alpha
    + (same along j)``, averaged over pixels. It sharpens the prediction:
    the L2 intensity loss alone favours blurry frames.

    Args:
        alpha (float): Exponent (FFP: 1). Defaults to 1.0.
        loss_weight (float): lambda_gd. Defaults to 1.0.

    Shape:
        - pred, target: (N, C, H, W).
        - output: scalar.
    """

    def __init__(self, alpha: float = 1.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.alpha = alpha
        self.loss_weight = loss_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if pred.shape != target.shape or pred.dim() < 2:
            raise ValueError(f'GradientLoss expects two equal (N, C, H, W) '
                             f'tensors, got {tuple(pred.shape)} and '
                             f'{tuple(target.shape)}.')
        pred_dx, pred_dy = _abs_gradients(pred)
        target_dx, target_dy = _abs_gradients(target)
        loss_x = (pred_dx - target_dx).abs().pow(self.alpha).mean()
        loss_y = (pred_dy - target_dy).abs().pow(self.alpha).mean()
        return self.loss_weight * (loss_x + loss_y)
