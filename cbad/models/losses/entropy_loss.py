"""Entropy of memory addressing weights (MemAE, Gong et al., ICCV 2019)."""
import torch
from torch import nn

from cbad.registry import LOSSES


@LOSSES.register_module()
class EntropyLoss(nn.Module):
    """Mean entropy ``E(w_hat) = sum_i -w_hat_i log w_hat_i`` (Eq. 9).

    MemAE adds it with weight ``alpha = 0.0002`` to push every query towards
    a few memory items. The entropy of a one-hot address is 0 and that of a
    uniform address over M slots is ``log M``. Zero weights contribute 0
    (``0 log 0 = 0``; ``eps`` keeps the logarithm finite).

    Args:
        loss_weight (float): ``alpha``. Defaults to 0.0002 (the paper).
        dim (int): Axis of the slots. Defaults to -1.
        eps (float): Added inside the logarithm. Defaults to 1e-12.

    Shape:
        - w_hat: (..., M) addressing weights, each address summing to 1 (or
          all-zero after shrinkage).
        - output: scalar, the entropy averaged over all addresses, times
          ``loss_weight``.
    """

    def __init__(self,
                 loss_weight: float = 0.0002,
                 dim: int = -1,
                 eps: float = 1e-12) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.dim = dim
        self.eps = eps

    def forward(self, w_hat: torch.Tensor) -> torch.Tensor:
        if w_hat.dim() == 0:
            raise ValueError('EntropyLoss expects addressing weights with a '
                             'slot axis, got a scalar.')
        entropy = -(w_hat * torch.log(w_hat + self.eps)).sum(dim=self.dim)
        return self.loss_weight * entropy.mean()
