"""Least-squares GAN loss of Future Frame Prediction (Liu et al.)."""
import torch
from torch import nn

from cbad.registry import LOSSES


@LOSSES.register_module()
class AdversarialLoss(nn.Module):
    """Least-squares GAN loss on per-patch discriminator scores (Eq. 4-5).

    ``0.5 * mean((D(x) - label)^2)`` with label 1 for real and 0 for
    predicted frames. The discriminator minimises the sum over a real and a
    predicted batch (Eq. 5, ``is_disc=True``, never weighted); the generator
    minimises ``loss_weight * 0.5 * mean((D(I_hat) - 1)^2)`` (Eq. 4, its
    weight is lambda_adv = 0.05 in FFP).

    Args:
        loss_weight (float): lambda_adv, applied to the generator term only.
            Defaults to 1.0.

    Shape:
        - scores: (N, 1, h, w) discriminator output.
        - output: scalar.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self,
                scores: torch.Tensor,
                target_is_real: bool,
                is_disc: bool = False) -> torch.Tensor:
        """Least-squares distance of ``scores`` to the real/fake label."""
        label = 1.0 if target_is_real else 0.0
        loss = 0.5 * (scores - label).pow(2).mean()
        return loss if is_disc else self.loss_weight * loss
