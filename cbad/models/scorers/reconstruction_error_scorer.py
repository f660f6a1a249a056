"""Per-frame anomaly evidence from a reconstruction (or prediction) error."""
import torch
import torch.nn.functional as F
from torch import nn

from cbad.registry import SCORERS


@SCORERS.register_module()
class ReconstructionErrorScorer(nn.Module):
    """Reduce a per-pixel squared error map to one score per frame.

    ``reduce='mean'`` is Hasan et al.'s reconstruction error e(t) (the sum
    over pixels, divided by the pixel count so resolutions compare); their
    regularity score ``1 - (e - min) / max`` is the per-video min-max form
    that the metric reports as ``auc_micro_vidnorm``.

    ``reduce='patch_max'`` averages the error over ``patch_size`` windows
    (stride ``patch_stride``) and keeps the largest: an anomaly that covers a
    small part of a large scene (a cyclist in Ped2) then is not diluted by the
    thousands of well-reconstructed background pixels.

    Args:
        reduce (str): ``'mean'`` or ``'patch_max'``. Defaults to ``'mean'``.
        patch_size (int): Side of the square patch for ``'patch_max'``, in
            input pixels. Defaults to 16.
        patch_stride (int, optional): Patch stride. Defaults to half the
            patch size.

    Shape:
        - pred, target: (N, C, T, H, W).
        - output: (N, T).
    """

    def __init__(self,
                 reduce: str = 'mean',
                 patch_size: int = 16,
                 patch_stride: int = None) -> None:
        super().__init__()
        if reduce not in ('mean', 'patch_max'):
            raise ValueError(
                f"reduce must be 'mean' or 'patch_max', got {reduce!r}")
        self.reduce = reduce
        self.patch_size = patch_size
        self.patch_stride = patch_stride or max(1, patch_size // 2)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        err = (pred - target).pow(2).mean(dim=1)  # N x T x H x W
        if self.reduce == 'mean':
            return err.flatten(2).mean(dim=2)
        n, t, h, w = err.shape
        k = min(self.patch_size, h, w)
        pooled = F.avg_pool2d(
            err.reshape(n * t, 1, h, w), k, stride=self.patch_stride)
        return pooled.flatten(1).amax(dim=1).view(n, t)
