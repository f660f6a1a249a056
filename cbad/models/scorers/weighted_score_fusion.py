"""Weighted sum of quantile-normalised score terms (Eq. 21)."""
from typing import Dict, Mapping, Optional

import torch
from torch import nn

from cbad.registry import SCORERS

from .quantile_normalizer import QuantileNormalizer


@SCORERS.register_module()
class WeightedScoreFusion(nn.Module):
    """``A_i = alpha Q(D_i) + beta Q(T_i) + mu Q(R_i)`` (Eq. 21).

    One :class:`QuantileNormalizer` per term (an ``nn.ModuleDict`` keyed by
    the term name, so its fitted knots are saved with the model) is fitted on
    the term's normal validation scores. Term names are free: any subset of
    ``D``, ``T``, ``R`` or other keys (e.g. ``C`` for the centre distance of
    Eq. 5). A term with weight 0 needs no scores, neither to fit nor to
    score, which gives the ablations M3-M5 from one config.

    Args:
        weights (dict[str, float]): Weight of each term, >= 0. The paper
            does not give alpha, beta, mu; the default is equal weights.
            Defaults to ``dict(D=1/3, T=1/3, R=1/3)``.
        normalise_weights (bool): Divide the weights by their sum so that
            they add to 1, as the paper requires. Defaults to True.
        normalizer (dict, optional): Keyword arguments of every term's
            :class:`QuantileNormalizer`. Defaults to its defaults.

    Shape:
        - terms: dict of (N,) tensors.
        - output: (N,).
    """

    def __init__(self,
                 weights: Mapping[str, float] = dict(D=1 / 3, T=1 / 3,
                                                     R=1 / 3),
                 normalise_weights: bool = True,
                 normalizer: Optional[dict] = None) -> None:
        super().__init__()
        weights = {str(name): float(w) for name, w in dict(weights).items()}
        if not weights or any(w < 0 for w in weights.values()):
            raise ValueError('weights must be a non-empty dict of weights '
                             f'>= 0, found {weights}.')
        total = sum(weights.values())
        if total <= 0:
            raise ValueError(
                f'At least one weight must be > 0, found {weights}.')
        if normalise_weights:
            weights = {name: w / total for name, w in weights.items()}
        self.weights = weights
        self.normalizers = nn.ModuleDict({
            name:
            QuantileNormalizer(**(normalizer or {}))
            for name in weights
        })

    @property
    def active_terms(self) -> list:
        """Names of the terms with a weight > 0."""
        return [name for name, w in self.weights.items() if w > 0]

    @property
    def is_fitted(self) -> bool:
        return all(self.normalizers[n].is_fitted for n in self.active_terms)

    def _select(self, terms: Mapping[str, torch.Tensor]) -> Dict:
        unknown = sorted(set(terms) - set(self.weights))
        missing = sorted(set(self.active_terms) - set(terms))
        if unknown or missing:
            raise ValueError(
                f'WeightedScoreFusion has terms {sorted(self.weights)} '
                f'(weight > 0: {self.active_terms}); found '
                f'{sorted(terms)}: missing {missing}, unknown {unknown}. '
                'Pass every term with a weight > 0, or set the weights.')
        return {name: terms[name] for name in self.active_terms}

    @torch.no_grad()
    def fit(self, terms: Mapping[str, torch.Tensor]) -> 'WeightedScoreFusion':
        """Fit each term's normaliser on its normal validation scores (M,)."""
        for name, scores in self._select(terms).items():
            self.normalizers[name].fit(scores)
        return self

    def normalise(
            self, terms: Mapping[str,
                                 torch.Tensor]) -> Dict[str, torch.Tensor]:
        """``Q(term)`` of every term with a weight > 0 (for per-term AUCs)."""
        if not self.is_fitted:
            raise RuntimeError(
                'WeightedScoreFusion is not fitted: call fit() with the '
                'normal validation scores of the terms '
                f'{self.active_terms}, or load a checkpoint that holds them.')
        return {
            name: self.normalizers[name](scores)
            for name, scores in self._select(terms).items()
        }

    def forward(self, terms: Mapping[str, torch.Tensor]) -> torch.Tensor:
        normalised = self.normalise(terms)
        shapes = {name: tuple(q.shape) for name, q in normalised.items()}
        if len(set(shapes.values())) > 1:
            raise ValueError(f'All terms must have the same shape, found '
                             f'{shapes}.')
        return sum(self.weights[name] * q for name, q in normalised.items())

    def extra_repr(self) -> str:
        return f'weights={self.weights}'
