"""Pixel reconstruction loss."""
import torch
from torch import nn

from cbad.registry import LOSSES


@LOSSES.register_module()
class ReconstructionLoss(nn.Module):
    """Mean squared (p=2) or absolute (p=1) error between clip and output.

    Hasan et al. minimise the Euclidean loss; ``p=2`` is that loss averaged
    over pixels so its size does not depend on the resolution.

    Args:
        p (int): 1 or 2. Defaults to 2.
        loss_weight (float): Multiplier. Defaults to 1.0.

    Shape:
        - pred, target: (N, C, T, H, W).
        - output: scalar.
    """

    def __init__(self, p: int = 2, loss_weight: float = 1.0) -> None:
        super().__init__()
        if p not in (1, 2):
            raise ValueError(f'p must be 1 or 2, got {p}')
        self.p = p
        self.loss_weight = loss_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if pred.shape != target.shape:
            raise ValueError(f'pred {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} differ in shape')
        diff = (pred - target).abs()
        if self.p == 2:
            diff = diff.pow(2)
        return self.loss_weight * diff.mean()
