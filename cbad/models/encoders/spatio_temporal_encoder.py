"""Spatio-temporal encoder f(.) of the contrastive detector (Eq. 3, 4, 11)."""
from typing import Optional, Tuple, Union

import torch
from torch import nn

from cbad.registry import ENCODERS, MODELS
from ..dims import with_dims


def _build(part: Union[dict, nn.Module]) -> nn.Module:
    return MODELS.build(part) if isinstance(part, dict) else part


@ENCODERS.register_module()
class SpatioTemporalEncoder(nn.Module):
    """Per-step features u_t from an appearance and a motion branch.

    s_t = f_s(x_t) (Eq. 3), m_t = f_m(x_t - x_{t-1}) (Eq. 4) and
    u_t = fusion(s_t, m_t) (Eq. 11). Every u_t depends on frames t-1 and t
    only, never on the window around them, so :meth:`encode_frames` can run
    over a whole video in chunks and the per-frame features can be pooled
    over any window afterwards (the aggregator, Eq. 12, does the pooling).

    Args:
        spatial (dict | nn.Module): Spatial branch config or module, e.g.
            ``dict(type='SpatialConvBranch')``.
        temporal (dict | nn.Module, optional): Temporal branch config or
            module, e.g. ``dict(type='TemporalDiffBranch')``. None is allowed
            only with a fusion that ignores motion (``SpatialOnlyFusion``);
            the motion branch is then not run at all.
        fusion (dict | nn.Module): Fusion config or module, e.g.
            ``dict(type='GatedFusion', dim=256)``.

    Shape:
        - x, frames: (N, C, T, H, W) normalised clip.
        - prev_frame: (N, C, H, W) frame before ``frames`` or None.
        - output: (N, T, D), or (N, T, gh, gw, D) with ``pool='none'``
          branches.
    """

    def __init__(self,
                 spatial: Union[dict, nn.Module],
                 temporal: Optional[Union[dict, nn.Module]],
                 fusion: Union[dict, nn.Module]) -> None:
        super().__init__()
        self.spatial = _build(spatial)
        self.temporal = _build(temporal) if temporal is not None else None
        # the fusion's width is the branches' unless its config says
        self.fusion = _build(with_dims(fusion, dim=self.spatial.out_dim))
        uses_motion = getattr(self.fusion, 'uses_motion', True)
        if self.temporal is None and uses_motion:
            raise ValueError(
                f'{type(self.fusion).__name__} needs motion features but '
                f'temporal is None; configure a temporal branch (e.g. '
                f"dict(type='TemporalDiffBranch')) or use SpatialOnlyFusion.")
        if self.temporal is not None:
            for attr in ('out_dim', 'pool'):
                a = getattr(self.spatial, attr, None)
                b = getattr(self.temporal, attr, None)
                if a != b:
                    raise ValueError(
                        f'spatial and temporal branches must agree on {attr}: '
                        f'got {a!r} and {b!r}.')
        self.out_dim = self.spatial.out_dim

    def frame_features(
        self,
        frames: torch.Tensor,
        prev_frame: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Appearance s_t and motion m_t of every step, before fusion.

        Args:
            frames (torch.Tensor): (N, C, T, H, W).
            prev_frame (torch.Tensor, optional): (N, C, H, W). Defaults to
                None (step 0 gets a zero difference).

        Returns:
            tuple: ``(s, m)``, each (N, T, D); ``m`` is None without a
            temporal branch.
        """
        s = self.spatial(frames)
        if self.temporal is None or not getattr(self.fusion, 'uses_motion',
                                                True):
            return s, None
        return s, self.temporal(frames, prev_frame)

    def encode_frames(self,
                      frames: torch.Tensor,
                      prev_frame: Optional[torch.Tensor] = None
                      ) -> torch.Tensor:
        """Fused per-step features u_t (Eq. 11) of a clip or a video chunk.

        Encoding a video in chunks, each chunk passing the previous chunk's
        last frame as ``prev_frame``, gives the same features as one call on
        the whole video (in eval mode; BatchNorm in train mode uses batch
        statistics).

        Args:
            frames (torch.Tensor): (N, C, T, H, W).
            prev_frame (torch.Tensor, optional): (N, C, H, W). Defaults to
                None.

        Returns:
            torch.Tensor: u, (N, T, D).
        """
        s, m = self.frame_features(frames, prev_frame)
        return self.fusion(s, m)

    def forward(self,
                x: torch.Tensor,
                prev_frame: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Same as :meth:`encode_frames`."""
        return self.encode_frames(x, prev_frame)
