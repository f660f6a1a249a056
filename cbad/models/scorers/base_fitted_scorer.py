"""Base class of scorers whose fitted state lives in (resizable) buffers."""
from typing import Tuple, Union

import numpy as np
import torch
from torch import nn


class BaseFittedScorer(nn.Module):
    """An ``nn.Module`` fitted on normal data, its state kept in buffers.

    The fitted state (memory bank, prototypes, precisions, quantiles) is held
    in registered buffers, so it travels with the detector's checkpoint. Their
    size depends on the data, so a freshly built module holds empty buffers;
    :meth:`_load_from_state_dict` resizes every buffer named in
    ``_resizable_buffers`` to the incoming shape before the copy, which lets
    ``load_state_dict`` (torch's or mmengine's) restore a fitted scorer into an
    unfitted one.

    A subclass implements ``fit`` and ``is_fitted`` and calls
    :meth:`_check_fitted` before scoring.
    """

    #: Names of the buffers whose shape is taken from the loaded state dict.
    _resizable_buffers: Tuple[str, ...] = ()

    @property
    def is_fitted(self) -> bool:
        """Whether the fitted state is present."""
        raise NotImplementedError

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise RuntimeError(
                f'{type(self).__name__} is not fitted: call fit() on normal '
                'data first, or load a state dict (checkpoint) that holds '
                'its fitted state.')

    def _state_loaded(self) -> None:
        """Called after a state dict was loaded (drop derived caches here)."""

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                              missing_keys, unexpected_keys,
                              error_msgs) -> None:
        for name in self._resizable_buffers:
            incoming = state_dict.get(prefix + name)
            current = self._buffers.get(name)
            if (isinstance(incoming, torch.Tensor) and current is not None
                    and incoming.shape != current.shape):
                # Keep this module's dtype and device; copy_ casts the values.
                self._buffers[name] = current.new_empty(incoming.shape)
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)
        self._state_loaded()

    # ------------------------------------------------------------- helpers
    @staticmethod
    def _as_embeddings(z: Union[torch.Tensor, np.ndarray],
                       name: str = 'embeddings') -> torch.Tensor:
        """Check a fitting input is a finite, non-empty (M, D) matrix."""
        z = torch.as_tensor(z)
        if z.dim() != 2 or z.shape[0] == 0 or z.shape[1] == 0:
            raise ValueError(f'{name} must be a non-empty (M, D) matrix, '
                             f'found shape {tuple(z.shape)}.')
        if not z.is_floating_point():
            z = z.float()
        if not bool(torch.isfinite(z).all()):
            raise ValueError(f'{name} hold NaN or inf values; check the '
                             'encoder output before fitting.')
        return z

    def _check_dim(self, z: torch.Tensor, dim: int) -> None:
        if z.dim() < 1 or z.shape[-1] != dim:
            raise ValueError(
                f'{type(self).__name__} was fitted on {dim}-d embeddings, '
                f'found input of shape {tuple(z.shape)}; use the encoder '
                'the scorer was fitted with.')
