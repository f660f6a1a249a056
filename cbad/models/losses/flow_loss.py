"""Motion constraint of Future Frame Prediction, without a flow network."""
import torch
import torch.nn.functional as F
from torch import nn

from cbad.registry import LOSSES

FLOW_METHODS = ('lucas_kanade', 'abs_difference')


def lucas_kanade_flow(frame0: torch.Tensor, frame1: torch.Tensor,
                      window_size: int = 5, eps: float = 1e-2) -> torch.Tensor:
    """Dense single-scale Lucas-Kanade flow from ``frame0`` to ``frame1``.

    Per pixel, the least-squares solution of ``I_x u + I_y v + I_t = 0`` over
    a ``window_size`` box, with ``eps`` added to the structure tensor's
    diagonal (Tikhonov) so flat regions give ~0 flow instead of dividing by
    zero. Closed form, fixed filters: differentiable in both frames.
    Channels are averaged first. Reliable for motions of about a pixel,
    which is what neighbouring frames at reduced resolution have.

    Shape:
        - frame0, frame1: (N, C, H, W).
        - output: (N, 2, H, W) flow (u along W, v along H) in pixels.
    """
    gray0 = frame0.mean(dim=1, keepdim=True)
    gray1 = frame1.mean(dim=1, keepdim=True)
    avg = 0.5 * (gray0 + gray1)
    i_x = 0.5 * (F.pad(avg, (0, 1, 0, 0), mode='replicate')[..., :, 1:] -
                 F.pad(avg, (1, 0, 0, 0), mode='replicate')[..., :, :-1])
    i_y = 0.5 * (F.pad(avg, (0, 0, 0, 1), mode='replicate')[..., 1:, :] -
                 F.pad(avg, (0, 0, 1, 0), mode='replicate')[..., :-1, :])
    i_t = gray1 - gray0

    def box(z: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(z, window_size, stride=1,
                            padding=window_size // 2,
                            count_include_pad=False)

    s_xx, s_yy, s_xy = box(i_x * i_x) + eps, box(i_y * i_y) + eps, box(
        i_x * i_y)
    s_xt, s_yt = box(i_x * i_t), box(i_y * i_t)
    det = s_xx * s_yy - s_xy * s_xy  # > 0: Cauchy-Schwarz plus eps
    u = (s_xy * s_yt - s_yy * s_xt) / det
    v = (s_xy * s_xt - s_xx * s_yt) / det
    return torch.cat([u, v], dim=1)


@LOSSES.register_module()
class FlowLoss(nn.Module):
    """Motion constraint: the prediction must move like the real frame.

    FFP's Eq. 6 is ``|| f(I_t, I_hat_t+1) - f(I_t, I_t+1) ||_1`` with f a
    pretrained FlowNet. No pretrained flow network is available offline, so
    f is a fixed, differentiable substitute:

    - ``'lucas_kanade'``: dense Lucas-Kanade flow
      (:func:`lucas_kanade_flow`), a real (if small-motion) flow estimate.
    - ``'abs_difference'``: ``f(a, b) = |b - a|``, the magnitude of the
      frame difference. (The signed difference would make the term equal
      to an L1 intensity loss, since ``I_t`` cancels.)

    Args:
        method (str): ``'lucas_kanade'`` or ``'abs_difference'``.
            Defaults to ``'lucas_kanade'``.
        window_size (int): Lucas-Kanade window (odd). Defaults to 5.
        eps (float): Lucas-Kanade regulariser. Defaults to 1e-2.
        loss_weight (float): lambda_op (FFP: 2). Defaults to 1.0.

    Shape:
        - pred, target, previous: (N, C, H, W); ``previous`` is I_t.
        - output: scalar.
    """

    def __init__(self,
                 method: str = 'lucas_kanade',
                 window_size: int = 5,
                 eps: float = 1e-2,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if method not in FLOW_METHODS:
            raise ValueError(f'method must be one of {FLOW_METHODS}, got '
                             f'{method!r}.')
        if window_size < 1 or window_size % 2 == 0:
            raise ValueError(f'window_size must be odd, got {window_size}.')
        self.method = method
        self.window_size = window_size
        self.eps = eps
        self.loss_weight = loss_weight

    def motion(self, frame0: torch.Tensor,
               frame1: torch.Tensor) -> torch.Tensor:
        """The motion descriptor f(frame0, frame1)."""
        if self.method == 'abs_difference':
            return (frame1 - frame0).abs()
        return lucas_kanade_flow(frame0, frame1, self.window_size, self.eps)

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                previous: torch.Tensor) -> torch.Tensor:
        if not pred.shape == target.shape == previous.shape:
            raise ValueError(
                f'pred {tuple(pred.shape)}, target {tuple(target.shape)} and '
                f'previous {tuple(previous.shape)} must have one shape.')
        with torch.no_grad():
            real_motion = self.motion(previous, target)
        pred_motion = self.motion(previous, pred)
        return self.loss_weight * (pred_motion - real_motion).abs().mean()
