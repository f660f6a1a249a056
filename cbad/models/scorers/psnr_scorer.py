"""PSNR anomaly score of Future Frame Prediction (Liu et al., CVPR 2018)."""
import torch
from torch import nn

from cbad.registry import SCORERS


@SCORERS.register_module()
class PSNRScorer(nn.Module):
    """Anomaly score ``max_psnr - PSNR(I_hat, I)`` of each predicted frame.

    ``PSNR = 10 log10(data_range^2 / MSE)`` (Eq. 7). A badly predicted frame
    has a low PSNR, so ``max_psnr - PSNR`` grows with the anomaly and is
    >= 0. The MSE is floored at the value whose PSNR is ``max_psnr``, so a
    perfect prediction scores a finite 0 instead of ``-inf``. FFP's regular
    score ``S(t)`` (Eq. 8) is PSNR min-max normalised per video; its AUC
    equals that of the metric's ``auc_micro_vidnorm`` of this score (a
    decreasing affine map of the same normalised numbers).

    Args:
        data_range (float): Span of the pixel values the model sees: 2.0 for
            frames normalised to [-1, 1] (mean = std = 127.5), as FFP's
            [0, 1]-PSNR after its rescale. Defaults to 2.0.
        max_psnr (float): PSNR cap, in dB. Defaults to 100.0.

    Shape:
        - pred, target: (N, ...) predicted and real frames.
        - output: (N,).
    """

    def __init__(self, data_range: float = 2.0, max_psnr: float = 100.0) -> None:
        super().__init__()
        if data_range <= 0:
            raise ValueError(f'data_range must be positive, got {data_range}.')
        self.data_range = data_range
        self.max_psnr = max_psnr
        self.min_mse = data_range**2 * 10**(-max_psnr / 10)

    def psnr(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """PSNR in dB per sample, at most ``max_psnr``."""
        if pred.shape != target.shape:
            raise ValueError(f'pred {tuple(pred.shape)} and target '
                             f'{tuple(target.shape)} differ in shape.')
        mse = (pred - target).pow(2).flatten(1).mean(1)
        mse = mse.clamp_min(self.min_mse)  # identical frames: PSNR = cap
        psnr = 10 * torch.log10(self.data_range**2 / mse)
        return psnr.clamp_max(self.max_psnr)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.max_psnr - self.psnr(pred, target)
