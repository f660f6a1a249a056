"""Instance-level contrastive loss between two views (Eq. 13)."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from cbad.registry import LOSSES
from ._checks import check_embeddings, check_per_sample


@LOSSES.register_module()
class InstanceContrastLoss(nn.Module):
    """InfoNCE (NT-Xent) over the 2N views of a batch (Eq. 13).

    With the 2N L2-normalised views stacked as z = [z^a; z^b] and
    sim(u, v) = u^T v / tau, every view i is an anchor whose positive is the
    other view of the same segment:

        L_ins = mean_i -log( exp(sim(z_i, z_i+)) /
                             sum_{j != i, j kept} exp(sim(z_i, z_j)) ),

    the denominator holding the positive and the kept negatives (SimCLR's
    symmetric form of the paper's equation).

    Same-video masking: windows of one video that overlap in time (16-frame
    windows at stride 4 share up to 12 frames) are near-duplicates, and as
    negatives they fight the temporal-smoothness loss (PAPER.md, CPU
    calibration). With ``mask_same_video=True``, a pair of different segments
    is dropped from the denominator when they have the same video id and
    ``|start_i - start_j| < clip_len``. Windows of the same video that do not
    overlap stay negatives.

    Extra negatives (not in the paper): ``extra_negatives`` (M, D) are added
    to every anchor's denominator and are never anchors or positives, e.g.
    the sped-up copies made by ``SpeedNegative``.

    Args:
        tau (float): Temperature. Defaults to 0.07 (the paper's value).
        mask_same_video (bool): Drop overlapping same-video windows from the
            negatives; then ``video_ids``, ``starts`` and ``clip_len`` are
            required. Defaults to True.
        loss_weight (float): Multiplier (lambda_1 of Eq. 16). Defaults to 1.0.

    Shape:
        - z_a, z_b: (N, D) embeddings of the two views.
        - video_ids, starts: (N,) integer tensors (video index and first
          frame index of each segment).
        - extra_negatives: (M, D), optional.
        - output: scalar.
    """

    def __init__(self,
                 tau: float = 0.07,
                 mask_same_video: bool = True,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if tau <= 0:
            raise ValueError(f'tau must be > 0, got {tau}')
        self.tau = tau
        self.mask_same_video = mask_same_video
        self.loss_weight = loss_weight

    def negative_mask(self, video_ids: torch.Tensor, starts: torch.Tensor,
                      clip_len: int) -> torch.Tensor:
        """(2N, 2N) bool, True where j may serve as a negative of anchor i
        (positives and self excluded)."""
        n = video_ids.shape[0]
        idx = torch.arange(2 * n, device=video_ids.device)
        keep = idx[:, None] != idx[None]
        keep &= idx[None] != (idx[:, None] + n) % (2 * n)  # not the positive
        if self.mask_same_video:
            vid = torch.cat([video_ids, video_ids])
            start = torch.cat([starts, starts])
            overlap = (vid[:, None] == vid[None]) & (
                (start[:, None] - start[None]).abs() < clip_len)
            keep &= ~overlap
        return keep

    def forward(self,
                z_a: torch.Tensor,
                z_b: torch.Tensor,
                video_ids: Optional[torch.Tensor] = None,
                starts: Optional[torch.Tensor] = None,
                clip_len: Optional[int] = None,
                extra_negatives: Optional[torch.Tensor] = None
                ) -> torch.Tensor:
        name = type(self).__name__
        check_embeddings(name, z_a)
        if extra_negatives is not None and (
                extra_negatives.dim() != 2
                or extra_negatives.shape[1] != z_a.shape[1]):
            raise ValueError(
                f'{name} expects extra_negatives of shape (M, '
                f'{z_a.shape[1]}), got {tuple(extra_negatives.shape)}.')
        if z_a.shape != z_b.shape:
            raise ValueError(f'{name} expects z_a and z_b of the same shape '
                             f'(N, D), got {tuple(z_a.shape)} and '
                             f'{tuple(z_b.shape)}.')
        n = z_a.shape[0]
        if self.mask_same_video:
            video_ids = check_per_sample(name, 'video_ids', video_ids, n)
            starts = check_per_sample(name, 'starts', starts, n)
            if clip_len is None or clip_len < 1:
                raise ValueError(
                    f'{name} with mask_same_video=True needs clip_len >= 1, '
                    f'got {clip_len}; pass the dataset clip_len or set '
                    f'mask_same_video=False.')
            video_ids = video_ids.to(z_a.device)
            starts = starts.to(z_a.device)
        else:
            video_ids = torch.arange(n, device=z_a.device)
            starts = torch.zeros(n, dtype=torch.long, device=z_a.device)
        z = F.normalize(torch.cat([z_a, z_b]), dim=1)  # 2N x D
        logits = z @ z.t() / self.tau  # 2N x 2N
        idx = torch.arange(2 * n, device=z.device)
        positive = (idx + n) % (2 * n)
        keep = self.negative_mask(video_ids, starts, clip_len or 1)
        keep[idx, positive] = True
        logits = logits.masked_fill(~keep, float('-inf'))
        if extra_negatives is not None:
            extra = F.normalize(extra_negatives, dim=1)
            logits = torch.cat([logits, z @ extra.t() / self.tau], dim=1)
        log_prob = logits[idx, positive] - torch.logsumexp(logits, dim=1)
        return -self.loss_weight * log_prob.mean()
