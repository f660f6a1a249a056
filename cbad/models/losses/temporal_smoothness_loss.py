"""Smoothness between adjacent segments of a video (Eq. 15)."""
import torch
import torch.nn.functional as F
from torch import nn

from cbad.registry import LOSSES
from ._checks import check_embeddings, check_per_sample


@LOSSES.register_module()
class TemporalSmoothnessLoss(nn.Module):
    """L_tem = mean ||z_i - z_{i-1}||^2 over adjacent segments (Eq. 15).

    A pair (i-1, i) counts when both segments of the batch come from the same
    video and i starts exactly ``stride`` frames after i-1 (the next sliding
    window). Other pairs, including the end-aligned last window of a video,
    whose start is off the stride grid, are ignored. The paper sums over
    pairs; cbad averages so the scale does not depend on how many adjacent
    pairs a batch happens to hold. With no pair in the batch the loss is 0
    (still attached to the graph, so ``backward`` works).

    Args:
        normalize (bool): L2-normalise z first (the space of Eq. 13).
            Defaults to True.
        loss_weight (float): Multiplier (lambda_3 of Eq. 16). Defaults to 1.0.

    Shape:
        - z: (N, D) embeddings.
        - video_ids, starts: (N,) integer tensors.
        - output: scalar.
    """

    def __init__(self, normalize: bool = True,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.normalize = normalize
        self.loss_weight = loss_weight

    def forward(self, z: torch.Tensor, video_ids: torch.Tensor,
                starts: torch.Tensor, stride: int) -> torch.Tensor:
        name = type(self).__name__
        check_embeddings(name, z)
        n = z.shape[0]
        video_ids = check_per_sample(name, 'video_ids', video_ids,
                                     n).to(z.device)
        starts = check_per_sample(name, 'starts', starts, n).to(z.device)
        if stride < 1:
            raise ValueError(f'{name} needs the dataset stride >= 1, got '
                             f'{stride}.')
        if self.normalize:
            z = F.normalize(z, dim=1)
        adjacent = (video_ids[:, None] == video_ids[None]) & (
            starts[None] - starts[:, None] == stride)  # [i-1, i]
        prev_idx, next_idx = adjacent.nonzero(as_tuple=True)
        if prev_idx.numel() == 0:
            return z.sum() * 0.0
        diff = z[next_idx] - z[prev_idx]
        return self.loss_weight * diff.pow(2).sum(dim=1).mean()
