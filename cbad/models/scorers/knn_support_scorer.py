"""Local support deficit: mean distance to the k nearest normals (Eq. 20)."""
import math
import warnings
from typing import Optional, Union

import numpy as np
import torch

from cbad.registry import SCORERS
from .base_fitted_scorer import BaseFittedScorer


@SCORERS.register_module()
class KNNSupportScorer(BaseFittedScorer):
    """``R_i``: mean L2 distance to the ``k`` nearest memory-bank entries.

    The memory bank is the set of normal training embeddings (Eq. 20, the
    paper's ``m = 10`` neighbours); it is a buffer, so it is saved in and
    restored from checkpoints. The faiss index over it is derived state:
    built lazily on the first query after :meth:`fit` or a state-dict load,
    never saved. faiss only picks the neighbours; their distances are then
    computed in torch on the input's device, so ``R`` is exact for the
    chosen neighbours and differentiable with respect to ``z``.

    Args:
        k (int): Number of neighbours; clamped (with a warning) to the bank
            size. Defaults to 10.
        index (str): ``'flat'``: exact ``faiss.IndexFlatL2``, switched to an
            IVF index (approximate) once the bank holds more than
            ``ivf_threshold`` entries. ``'ivf'``: always IVF. Defaults to
            ``'flat'``.
        ivf_threshold (int, optional): Bank size above which ``'flat'``
            becomes IVF; None keeps it exact at any size. Defaults to 100000.
        nprobe (int): IVF cells visited per query. Defaults to 16.
        exclude_self (bool): Skip the nearest neighbour of each query, for
            queries that are themselves bank entries (scoring the training
            normals without their zero self-distance). Defaults to False.

    Shape:
        - fit input: (M, D).
        - z: (N, D).
        - output: (N,).
    """
    _resizable_buffers = ('memory_bank', )
    _chunk = 4096  # queries per distance block

    def __init__(self,
                 k: int = 10,
                 index: str = 'flat',
                 ivf_threshold: Optional[int] = 100_000,
                 nprobe: int = 16,
                 exclude_self: bool = False) -> None:
        super().__init__()
        if k < 1:
            raise ValueError(f'k must be >= 1, found {k}.')
        if index not in ('flat', 'ivf'):
            raise ValueError(
                f"index must be 'flat' or 'ivf', found {index!r}.")
        self.k = int(k)
        self.index = index
        self.ivf_threshold = ivf_threshold
        self.nprobe = int(nprobe)
        self.exclude_self = bool(exclude_self)
        self.register_buffer('memory_bank', torch.zeros(0, 0))  # M x D
        self._faiss_index = None

    @property
    def is_fitted(self) -> bool:
        return self.memory_bank.numel() > 0

    @torch.no_grad()
    def fit(self, embeddings: Union[torch.Tensor,
                                    np.ndarray]) -> 'KNNSupportScorer':
        """Store normal embeddings (M, D) as the memory bank."""
        z = self._as_embeddings(embeddings)
        self.memory_bank = z.detach().to(self.memory_bank).clone()
        self._faiss_index = None
        return self

    def _state_loaded(self) -> None:
        self._faiss_index = None

    def _build_index(self):
        import faiss
        bank = np.ascontiguousarray(self.memory_bank.detach().cpu().numpy(),
                                    dtype=np.float32)
        m, d = bank.shape
        use_ivf = self.index == 'ivf' or (self.ivf_threshold is not None
                                          and m > self.ivf_threshold)
        if not use_ivf:
            index = faiss.IndexFlatL2(d)
        else:
            # ~4 sqrt(M) cells, each with enough points to train k-means
            nlist = max(1, min(int(4 * math.sqrt(m)), m // 39))
            index = faiss.IndexIVFFlat(faiss.IndexFlatL2(d), d, nlist)
            index.train(bank)
            index.nprobe = min(self.nprobe, nlist)
        index.add(bank)
        return index

    def forward(self,
                z: torch.Tensor,
                exclude_self: Optional[bool] = None) -> torch.Tensor:
        """Mean distance of each ``z`` row to its k nearest bank entries.

        Args:
            z (Tensor): Embeddings (N, D).
            exclude_self (bool, optional): Overrides the constructor value.
        """
        self._check_fitted()
        self._check_dim(z, self.memory_bank.shape[1])
        if z.dim() != 2:
            raise ValueError(f'z must be (N, D), found {tuple(z.shape)}.')
        skip = int(self.exclude_self if exclude_self is None else exclude_self)
        available = self.memory_bank.shape[0] - skip
        if available < 1:
            raise ValueError('exclude_self needs a memory bank of at least '
                             f'2 entries, found {self.memory_bank.shape[0]}.')
        k = self.k
        if k > available:
            warnings.warn(f'k={k} exceeds the {available} usable memory-bank '
                          f'entries; using k={available}.')
            k = available
        if z.shape[0] == 0:
            return z.new_zeros(0)
        if self._faiss_index is None:
            self._faiss_index = self._build_index()
        queries = np.ascontiguousarray(z.detach().cpu().numpy(),
                                       dtype=np.float32)
        _, ids = self._faiss_index.search(queries, k + skip)
        ids = torch.from_numpy(ids[:, skip:]).to(z.device)  # N x k
        bank = self.memory_bank.to(z.dtype)
        means = []
        # chunks bound the N x k x D neighbour tensor
        for start in range(0, z.shape[0], self._chunk):
            ids_c = ids[start:start + self._chunk]
            valid = ids_c >= 0  # IVF may return fewer than k hits (-1)
            neighbours = bank[ids_c.clamp(min=0)]  # n x k x D
            dist = (z[start:start + self._chunk].unsqueeze(1) -
                    neighbours).norm(dim=-1) * valid
            means.append(dist.sum(dim=1) / valid.sum(dim=1).clamp(min=1))
        return torch.cat(means)

    def extra_repr(self) -> str:
        return (f'k={self.k}, index={self.index!r}, '
                f'ivf_threshold={self.ivf_threshold}, '
                f'exclude_self={self.exclude_self}, '
                f'bank_size={self.memory_bank.shape[0]}')
