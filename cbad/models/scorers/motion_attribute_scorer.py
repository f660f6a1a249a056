"""``M``: how unusual an object's explicit motion attributes are."""
from typing import Union

import numpy as np
import torch

from cbad.registry import SCORERS
from .knn_support_scorer import KNNSupportScorer


@SCORERS.register_module()
class MotionAttributeScorer(KNNSupportScorer):
    """Mean distance to the ``k`` nearest normal tubes in attribute space.

    Not in the paper: the object-centric unit's explicit motion term. Each
    tube carries a few readable attributes (speed, horizontal and vertical
    velocity, box size: :data:`~cbad.proposals.DEFAULT_ATTRIBUTES`); they
    are standardised with the mean and standard deviation of the normal
    training tubes (buffers, saved in checkpoints) and scored like ``R``
    (:class:`KNNSupportScorer`), so a bicycle twice as fast as any walker
    at that size is far from every normal tube.

    Args:
        k (int): Neighbours. Defaults to 5.
        **kwargs: Other :class:`KNNSupportScorer` arguments.

    Shape:
        - fit input: (M, F) attributes of normal tubes.
        - attributes: (N, F).
        - output: (N,).
    """
    _resizable_buffers = ('memory_bank', 'attribute_mean', 'attribute_std')

    def __init__(self, k: int = 5, **kwargs) -> None:
        super().__init__(k=k, **kwargs)
        self.register_buffer('attribute_mean', torch.zeros(0))
        self.register_buffer('attribute_std', torch.zeros(0))

    def standardize(self, attributes: torch.Tensor) -> torch.Tensor:
        """Attributes in units of the normal tubes' standard deviations."""
        return (attributes - self.attribute_mean) / self.attribute_std

    def fit(self, attributes: Union[torch.Tensor,
                                    np.ndarray]) -> 'MotionAttributeScorer':
        """Fit the standardisation and the memory bank on normal tubes."""
        x = self._as_embeddings(attributes).float()
        if x.shape[0] < 2:
            raise ValueError('MotionAttributeScorer needs at least 2 normal '
                             f'tubes to fit, found {x.shape[0]}.')
        self.attribute_mean = x.mean(0)
        # a constant attribute (std 0) must not divide by zero
        self.attribute_std = x.std(0).clamp(min=1e-6)
        return super().fit(self.standardize(x))

    def forward(self, attributes: torch.Tensor) -> torch.Tensor:
        self._check_fitted()
        # a clear error, not a broadcast one, for attributes other than the
        # fitted ones (e.g. a changed ``tubes.attributes`` list)
        self._check_dim(attributes, self.attribute_mean.shape[0])
        return super().forward(
            self.standardize(attributes.to(self.attribute_mean)))
