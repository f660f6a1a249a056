"""The memory module of MemAE (Gong et al., ICCV 2019)."""
import math
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from cbad.registry import HEADS


@HEADS.register_module()
class MemoryModule(nn.Module):
    """Replace each query by a sparse combination of learned memory items.

    Every position of the encoder's feature map is a query ``z`` (a
    ``feat_dim`` vector). The module addresses the ``num_slots`` memory items
    ``m_i`` (rows of ``M``) and returns ``z_hat = w_hat M`` (Eq. 3):

    - addressing weights ``w_i = softmax_i(d(z, m_i))`` (Eq. 4-5), which sum
      to 1 over the slots; ``d`` is the cosine similarity in the paper and
      the dot product in the authors' released code (``similarity``);
    - hard shrinkage (Eq. 7) ``w_hat_i = relu(w_i - lambda) * w_i /
      (|w_i - lambda| + eps)``, i.e. ``w_i`` where ``w_i > lambda`` and 0
      elsewhere, then re-normalised ``w_hat <- w_hat / ||w_hat||_1``.

    The paper advises ``lambda`` in ``[1/N, 3/N]``; the released code uses
    0.0025 with N = 2000 (5/N) and dot-product addressing. With cosine
    similarity the logits lie in [-1, 1], so no weight exceeds ``e^2 / N``:
    a ``lambda`` above that zeroes every weight and ``z_hat`` becomes 0.

    Args:
        num_slots (int): Memory items N. Defaults to 2000 (the paper).
        feat_dim (int): Dimension of a query / memory item (the encoder's
            output channels). Defaults to 256 (the paper).
        shrink_thres (float, optional): ``lambda``. None means ``1 /
            num_slots``; 0 disables the shrinkage. Defaults to None.
        similarity (str): ``'cosine'`` (Eq. 5) or ``'dot'`` (released
            code). Defaults to ``'cosine'``.
        eps (float): ``eps`` of Eq. 7. Defaults to 1e-12.

    Shape:
        - z: (N, D, t, h, w) feature map, D = ``feat_dim`` (any number of
          trailing axes, including none).
        - output: ``(z_hat, w_hat)`` with ``z_hat`` shaped like ``z`` and
          ``w_hat`` (N, t, h, w, M), M = ``num_slots``: the shrunk,
          re-normalised addressing weights, slots last.
    """

    def __init__(self,
                 num_slots: int = 2000,
                 feat_dim: int = 256,
                 shrink_thres: Optional[float] = None,
                 similarity: str = 'cosine',
                 eps: float = 1e-12) -> None:
        super().__init__()
        if similarity not in ('cosine', 'dot'):
            raise ValueError("similarity must be 'cosine' or 'dot', got "
                             f'{similarity!r}')
        if num_slots < 1 or feat_dim < 1:
            raise ValueError('num_slots and feat_dim must be positive, got '
                             f'{num_slots} and {feat_dim}')
        self.num_slots = num_slots
        self.feat_dim = feat_dim
        self.shrink_thres = (1.0 / num_slots
                             if shrink_thres is None else float(shrink_thres))
        if not 0.0 <= self.shrink_thres < 1.0:
            raise ValueError(f'shrink_thres must be in [0, 1), got '
                             f'{self.shrink_thres}; the paper uses 1/N to '
                             '3/N.')
        self.similarity = similarity
        self.eps = eps
        self.memory = nn.Parameter(torch.empty(num_slots, feat_dim))  # M x D
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Uniform init in +-1/sqrt(D), as the released code."""
        bound = 1.0 / math.sqrt(self.feat_dim)
        nn.init.uniform_(self.memory, -bound, bound)

    def address(self, queries: torch.Tensor) -> torch.Tensor:
        """Addressing weights before shrinkage (Eq. 4-5).

        Args:
            queries (Tensor): (Q, D).

        Returns:
            Tensor: (Q, M), each row sums to 1.
        """
        if self.similarity == 'cosine':
            logits = F.normalize(queries, dim=1) @ F.normalize(
                self.memory, dim=1).t()
        else:
            logits = queries @ self.memory.t()
        return logits.softmax(dim=1)  # Q x M

    def shrink(self, w: torch.Tensor) -> torch.Tensor:
        """Hard shrinkage (Eq. 7) followed by L1 re-normalisation.

        A row whose weights are all below ``lambda`` stays all-zero.

        Args:
            w (Tensor): (Q, M) addressing weights.

        Returns:
            Tensor: (Q, M) ``w_hat``.
        """
        if self.shrink_thres <= 0:
            return w
        lam = self.shrink_thres
        w_hat = F.relu(w - lam) * w / ((w - lam).abs() + self.eps)
        return F.normalize(w_hat, p=1, dim=1)

    def forward(self, z: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Read ``z_hat`` from memory for every position of ``z``."""
        if z.dim() < 2 or z.shape[1] != self.feat_dim:
            raise ValueError(
                f'MemoryModule expects (N, {self.feat_dim}, ...) features, '
                f'got {tuple(z.shape)}; set feat_dim to the encoder\'s last '
                'width.')
        queries = z.movedim(1, -1)  # N x t x h x w x D
        positions = queries.shape[:-1]
        w_hat = self.shrink(self.address(queries.reshape(-1, self.feat_dim)))
        z_hat = (w_hat @ self.memory).view(*positions, self.feat_dim)
        return (z_hat.movedim(-1, 1).contiguous(),
                w_hat.view(*positions, self.num_slots))
