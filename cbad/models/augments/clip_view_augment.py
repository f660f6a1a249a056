"""Light perturbation that makes the second view of a segment (Eq. 9)."""
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from cbad.registry import MODELS


@MODELS.register_module()
class ClipViewAugment(nn.Module):
    """Perturb normalised clips into the view x^b of Eq. 9.

    The paper only says the second view is "lightly perturbed"; cbad uses, in
    this order and each drawn independently per clip (the same for all frames
    of a clip, except the noise, so motion is not invented):

    1. temporal jitter: with probability ``temporal_shift_prob`` the clip is
       shifted by one frame (earlier or later, equally likely), repeating the
       edge frame;
    2. crop-resize: a random square-aspect crop whose side is a fraction in
       ``crop_scale`` of the frame, resized back to (H, W) bilinearly;
    3. contrast: scale by a factor in [1 - contrast, 1 + contrast] around the
       clip mean;
    4. brightness: add an offset in [-brightness, brightness];
    5. Gaussian noise of std ``noise_std`` per pixel.

    Amounts are in normalised units (after mean/std), so 0.2 is about a fifth
    of the pixel standard deviation. Setting an amount to 0 (or
    ``crop_scale=(1.0, 1.0)``) switches that step off. The module always
    perturbs when called, in train and eval mode alike: the caller decides
    when a second view is needed. Randomness comes from torch's global
    generator, so ``torch.manual_seed`` makes it reproducible.

    Args:
        brightness (float): Max additive offset. Defaults to 0.2.
        contrast (float): Max relative contrast change, in [0, 1).
            Defaults to 0.2.
        crop_scale (Sequence[float]): (min, max) side fraction of the crop,
            within (0, 1]. Defaults to (0.8, 1.0).
        noise_std (float): Std of the Gaussian noise. Defaults to 0.02.
        temporal_shift_prob (float): Probability of a one-frame shift.
            Defaults to 0.5.

    Shape:
        - x: (N, C, T, H, W) normalised clip.
        - output: (N, C, T, H, W).
    """

    def __init__(self,
                 brightness: float = 0.2,
                 contrast: float = 0.2,
                 crop_scale: Sequence[float] = (0.8, 1.0),
                 noise_std: float = 0.02,
                 temporal_shift_prob: float = 0.5) -> None:
        super().__init__()
        crop_scale = tuple(float(v) for v in crop_scale)
        if len(crop_scale) != 2 or not 0 < crop_scale[0] <= crop_scale[1] <= 1:
            raise ValueError(
                f'crop_scale must be (min, max) with 0 < min <= max <= 1, '
                f'got {crop_scale}')
        if not 0 <= contrast < 1:
            raise ValueError(f'contrast must be in [0, 1), got {contrast}')
        if not 0 <= temporal_shift_prob <= 1:
            raise ValueError('temporal_shift_prob must be in [0, 1], got '
                             f'{temporal_shift_prob}')
        if brightness < 0 or noise_std < 0:
            raise ValueError('brightness and noise_std must be >= 0, got '
                             f'{brightness} and {noise_std}')
        self.brightness = brightness
        self.contrast = contrast
        self.crop_scale = crop_scale
        self.noise_std = noise_std
        self.temporal_shift_prob = temporal_shift_prob

    def _uniform(self, n: int, low: float, high: float,
                 ref: torch.Tensor) -> torch.Tensor:
        return low + (high - low) * torch.rand(
            n, device=ref.device, dtype=ref.dtype)

    def _temporal_shift(self, x: torch.Tensor) -> torch.Tensor:
        n, c, t, h, w = x.shape
        shift = torch.where(
            torch.rand(n, device=x.device) < 0.5, -1, 1)
        shift = shift * (torch.rand(n, device=x.device) <
                         self.temporal_shift_prob)
        steps = torch.arange(t, device=x.device)
        index = (steps[None] - shift[:, None]).clamp(0, t - 1)  # N x T
        index = index.view(n, 1, t, 1, 1).expand(n, c, t, h, w)
        return torch.gather(x, 2, index)

    def _crop_resize(self, x: torch.Tensor) -> torch.Tensor:
        n, c, t, h, w = x.shape
        scale = self._uniform(n, *self.crop_scale, x)
        # the crop centre may move as far as the crop stays inside the frame
        tx = self._uniform(n, -1.0, 1.0, x) * (1 - scale)
        ty = self._uniform(n, -1.0, 1.0, x) * (1 - scale)
        theta = x.new_zeros(n, 2, 3)
        theta[:, 0, 0] = scale
        theta[:, 1, 1] = scale
        theta[:, 0, 2] = tx
        theta[:, 1, 2] = ty
        grid = F.affine_grid(theta, (n, c * t, h, w), align_corners=False)
        out = F.grid_sample(
            x.reshape(n, c * t, h, w),
            grid,
            mode='bilinear',
            padding_mode='border',
            align_corners=False)
        return out.view(n, c, t, h, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 5 or not x.is_floating_point():
            raise ValueError(
                f'ClipViewAugment expects normalised float clips of shape '
                f'(N, C, T, H, W), got {tuple(x.shape)} {x.dtype}; apply it '
                f'after the data preprocessor.')
        n = x.shape[0]
        if self.temporal_shift_prob > 0 and x.shape[2] > 1:
            x = self._temporal_shift(x)
        if self.crop_scale[0] < 1:
            x = self._crop_resize(x)
        if self.contrast > 0:
            factor = self._uniform(n, 1 - self.contrast, 1 + self.contrast,
                                   x).view(n, 1, 1, 1, 1)
            mean = x.mean(dim=(1, 2, 3, 4), keepdim=True)
            x = (x - mean) * factor + mean
        if self.brightness > 0:
            x = x + self._uniform(n, -self.brightness, self.brightness,
                                  x).view(n, 1, 1, 1, 1)
        if self.noise_std > 0:
            x = x + self.noise_std * torch.randn_like(x)
        return x
