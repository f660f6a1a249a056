"""Pull of each segment toward its motion-group prototype (Eq. 10, 14)."""
import torch
import torch.nn.functional as F
from torch import nn

from cbad.registry import LOSSES
from ._checks import check_embeddings, check_per_sample


@LOSSES.register_module()
class PrototypeTractionLoss(nn.Module):
    """L_pro = mean_n ||z_n - p_{k(n)}||^2 toward the group prototype (Eq. 14).

    Eq. 10 defines p_k as the mean representation of the motion-intensity
    group C_k (low / medium / high dynamic). Recomputing that mean over the
    whole training set every step is too slow, so p_k is an exponential
    moving average of batch means, kept in the buffer ``prototypes``
    (saved with the checkpoint):

        p_k <- momentum * p_k + (1 - momentum) * mean_{n in C_k} z_n,

    for every group k present in the batch (no gradient); a group's first
    batch mean initialises it. In training mode the update happens *before*
    the loss is computed, so the very first batch is pulled toward its own
    mean. In eval mode nothing is updated, and samples of groups never seen
    in training are left out of the mean.

    z is L2-normalised first (``normalize=True``), the same space as the
    cosine similarity of Eq. 13; p_k is *not* renormalised (the mean of unit
    vectors lies inside the sphere), so L_pro is the within-group spread.

    Args:
        num_groups (int): Number of motion groups K. Defaults to 3.
        dim (int): Embedding size D. Defaults to 256.
        momentum (float): EMA momentum in [0, 1). Defaults to 0.9.
        normalize (bool): L2-normalise z before the update and the loss.
            Defaults to True.
        loss_weight (float): Multiplier (lambda_2 of Eq. 16). Defaults to 1.0.

    Shape:
        - z: (N, D) embeddings.
        - groups: (N,) integer motion group in [0, num_groups).
        - output: scalar.
    """

    def __init__(self,
                 num_groups: int = 3,
                 dim: int = 256,
                 momentum: float = 0.9,
                 normalize: bool = True,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if not 0 <= momentum < 1:
            raise ValueError(f'momentum must be in [0, 1), got {momentum}')
        if num_groups < 1:
            raise ValueError(f'num_groups must be >= 1, got {num_groups}')
        self.num_groups = num_groups
        self.dim = dim
        self.momentum = momentum
        self.normalize = normalize
        self.loss_weight = loss_weight
        self.register_buffer('prototypes', torch.zeros(num_groups, dim))
        self.register_buffer('initialized',
                             torch.zeros(num_groups, dtype=torch.bool))

    @torch.no_grad()
    def update(self, z: torch.Tensor, groups: torch.Tensor) -> None:
        """EMA update of p_k from the (already normalised) batch z."""
        z = z.detach().to(self.prototypes.dtype)
        for k in groups.unique().tolist():
            batch_mean = z[groups == k].mean(dim=0)
            if self.initialized[k]:
                self.prototypes[k].mul_(self.momentum).add_(
                    (1 - self.momentum) * batch_mean)
            else:
                self.prototypes[k].copy_(batch_mean)
                self.initialized[k] = True

    def forward(self, z: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
        name = type(self).__name__
        check_embeddings(name, z, self.dim)
        groups = check_per_sample(name, 'groups', groups, z.shape[0])
        groups = groups.to(z.device)
        if groups.min() < 0 or groups.max() >= self.num_groups:
            raise ValueError(
                f'{name} expects groups in [0, {self.num_groups}), got values '
                f'{groups.unique().tolist()}; check motion_group in the data '
                f'or num_groups.')
        if self.normalize:
            z = F.normalize(z, dim=1)
        if self.training:
            self.update(z, groups)
        valid = self.initialized[groups]
        if not valid.any():
            return z.sum() * 0.0
        p = self.prototypes[groups[valid]].to(z.dtype)  # N' x D, no grad
        dist = (z[valid] - p).pow(2).sum(dim=1)
        return self.loss_weight * dist.mean()
