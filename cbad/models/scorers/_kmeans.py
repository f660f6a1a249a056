"""Deterministic k-means (k-means++ seeding + Lloyd) in torch."""
from typing import Tuple

import torch


def _sq_dist(x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """Exact squared Euclidean distances (M, K), no matmul shortcut."""
    return torch.cdist(x, c,
                       compute_mode='donot_use_mm_for_euclid_dist').pow(2)


def kmeans(x: torch.Tensor,
           k: int,
           iters: int = 50,
           seed: int = 0) -> Tuple[torch.Tensor, torch.Tensor]:
    """Cluster the rows of ``x`` into ``k`` groups.

    Seeding is k-means++ drawn from a CPU ``torch.Generator`` seeded with
    ``seed``, so the result depends only on ``x`` and ``seed``. A cluster that
    empties during Lloyd's iterations keeps its previous centre (it can only
    happen with duplicated points).

    Args:
        x (Tensor): Points, (M, D), ``k <= M``.
        k (int): Number of clusters.
        iters (int): Maximum Lloyd iterations. Defaults to 50.
        seed (int): Seed of the k-means++ draw. Defaults to 0.

    Returns:
        tuple[Tensor, Tensor]: Centres (k, D) and labels (M,) long.
    """
    m = x.shape[0]
    gen = torch.Generator().manual_seed(seed)
    first = int(torch.randint(m, (1, ), generator=gen))
    chosen = [first]
    d2 = _sq_dist(x, x[first:first + 1])[:, 0]
    for _ in range(1, k):
        total = float(d2.sum())
        if total > 0:
            idx = int(torch.multinomial((d2 / total).cpu(), 1, generator=gen))
        else:  # every point coincides with a centre already
            idx = int(torch.randint(m, (1, ), generator=gen))
        chosen.append(idx)
        d2 = torch.minimum(d2, _sq_dist(x, x[idx:idx + 1])[:, 0])
    centres = x[chosen].clone()

    for _ in range(iters):
        labels = _sq_dist(x, centres).argmin(dim=1)
        counts = torch.bincount(labels, minlength=k).to(x.dtype)
        sums = torch.zeros_like(centres).index_add_(0, labels, x)
        new = torch.where(counts[:, None] > 0,
                          sums / counts.clamp(min=1)[:, None], centres)
        if torch.equal(new, centres):
            break
        centres = new
    labels = _sq_dist(x, centres).argmin(dim=1)
    return centres, labels
