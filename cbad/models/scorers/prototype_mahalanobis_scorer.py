"""Mahalanobis distance to the nearest normal prototype (Eq. 17-18)."""
import warnings
from typing import Tuple, Union

import numpy as np
import torch

from cbad.registry import SCORERS
from ._kmeans import kmeans
from .base_fitted_scorer import BaseFittedScorer


@SCORERS.register_module()
class PrototypeMahalanobisScorer(BaseFittedScorer):
    """``D_i``: squared Mahalanobis distance to the nearest prototype.

    Fitting (Eq. 17): k-means (k-means++ seeding with ``seed``, then Lloyd)
    on the normal training embeddings gives ``K`` prototypes ``p_k``. Each
    cluster's covariance is the maximum-likelihood ``S_k`` (divided by the
    cluster size ``n_k``), shrunk toward a scaled identity, Ledoit-Wolf
    style, and lifted by ``eps``::

        Sigma_k = (1 - s) * S_k + s * tr(S_k) / D * I + eps * I

    The shrinkage keeps ``Sigma_k`` invertible when ``n_k <= D``. A cluster
    with fewer than 2 points has no covariance of its own and uses the
    pooled within-cluster covariance instead. The precisions
    ``Sigma_k^-1`` are stored, not the covariances.

    Scoring (Eq. 18): ``k* = argmin_k (z - p_k)^T Sigma_k^-1 (z - p_k)`` and
    ``D_i`` is that quadratic form at ``k*``, i.e. the *squared* distance as
    the paper writes it (``squared=False`` returns its square root). The
    quantile normaliser of Eq. 21 makes the two equivalent inside the
    validation range.

    Args:
        num_prototypes (int): ``K``; clamped (with a warning) to the number
            of fitting embeddings. Defaults to 8.
        shrinkage (float): ``s`` in [0, 1]. Defaults to 0.1.
        eps (float): Ridge added to every covariance. Defaults to 1e-4.
        kmeans_iters (int): Maximum Lloyd iterations. Defaults to 50.
        seed (int): Seed of the k-means++ seeding. Defaults to 0.
        squared (bool): Return the quadratic form (Eq. 18) rather than its
            square root. Defaults to True.

    Shape:
        - fit input: (M, D).
        - z: (N, D) (any leading dims).
        - output: (N,), and with ``return_index`` also ``k*`` (N,) long.
    """
    _resizable_buffers = ('prototypes', 'precisions', 'cluster_sizes')

    def __init__(self,
                 num_prototypes: int = 8,
                 shrinkage: float = 0.1,
                 eps: float = 1e-4,
                 kmeans_iters: int = 50,
                 seed: int = 0,
                 squared: bool = True) -> None:
        super().__init__()
        if num_prototypes < 1:
            raise ValueError(
                f'num_prototypes must be >= 1, found {num_prototypes}.')
        if not 0.0 <= shrinkage <= 1.0:
            raise ValueError(
                f'shrinkage must be in [0, 1], found {shrinkage}.')
        if eps < 0:
            raise ValueError(f'eps must be >= 0, found {eps}.')
        self.num_prototypes = int(num_prototypes)
        self.shrinkage = float(shrinkage)
        self.eps = float(eps)
        self.kmeans_iters = int(kmeans_iters)
        self.seed = int(seed)
        self.squared = bool(squared)
        self.register_buffer('prototypes', torch.zeros(0, 0))  # K x D
        self.register_buffer('precisions', torch.zeros(0, 0, 0))  # K x D x D
        self.register_buffer('cluster_sizes', torch.zeros(0, dtype=torch.long))

    @property
    def is_fitted(self) -> bool:
        return self.prototypes.numel() > 0

    @torch.no_grad()
    def fit(
        self, embeddings: Union[torch.Tensor, np.ndarray]
    ) -> 'PrototypeMahalanobisScorer':
        """Fit prototypes and precisions on normal embeddings (M, D)."""
        z = self._as_embeddings(embeddings).double()
        m, d = z.shape
        k = self.num_prototypes
        if k > m:
            warnings.warn(f'num_prototypes={k} exceeds the {m} fitting '
                          f'embeddings; using K={m}.')
            k = m
        centres, labels = kmeans(z, k, self.kmeans_iters, self.seed)
        centred = z - centres[labels]  # M x D
        pooled = centred.T @ centred / m
        eye = torch.eye(d, dtype=z.dtype, device=z.device)
        sizes = torch.bincount(labels, minlength=k)
        precisions = []
        for j in range(k):
            rows = centred[labels == j]
            cov = rows.T @ rows / len(rows) if len(rows) >= 2 else pooled
            target = torch.trace(cov) / d * eye
            sigma = ((1 - self.shrinkage) * cov + self.shrinkage * target +
                     self.eps * eye)
            try:
                chol = torch.linalg.cholesky(sigma)
            except torch.linalg.LinAlgError as err:
                raise ValueError(
                    f'Covariance of prototype {j} ({len(rows)} points, '
                    f'D={d}) is singular; raise shrinkage or eps '
                    f'(found shrinkage={self.shrinkage}, eps={self.eps}).'
                ) from err
            precisions.append(torch.cholesky_inverse(chol))
        dtype = self.prototypes.dtype
        self.prototypes = centres.to(dtype)
        self.precisions = torch.stack(precisions).to(dtype)
        self.cluster_sizes = sizes.to(self.cluster_sizes.device)
        return self

    def forward(
        self,
        z: torch.Tensor,
        return_index: bool = False
    ) -> Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]:
        """Score embeddings; see the class docstring (Eq. 18)."""
        self._check_fitted()
        self._check_dim(z, self.prototypes.shape[1])
        prototypes = self.prototypes.to(z.dtype)
        precisions = self.precisions.to(z.dtype)
        diff = z.unsqueeze(-2) - prototypes  # ... x K x D
        weighted = torch.einsum('...kd,kde->...ke', diff, precisions)
        dist = (weighted * diff).sum(dim=-1)  # ... x K
        dist, k_star = dist.clamp(min=0).min(dim=-1)
        if not self.squared:
            dist = dist.sqrt()
        return (dist, k_star) if return_index else dist

    def extra_repr(self) -> str:
        return (f'num_prototypes={self.num_prototypes}, '
                f'shrinkage={self.shrinkage}, eps={self.eps}, '
                f'squared={self.squared}, fitted={self.is_fitted}')
