"""Projection head g(.) of the contrastive detector (Eq. 9)."""
from typing import Optional

import torch
from mmcv.cnn import build_norm_layer
from torch import nn

from cbad.registry import HEADS


@HEADS.register_module()
class ProjectionHead(nn.Module):
    """MLP g(.) that maps a segment representation to the contrastive space.

    Eq. 9: z^a = g(f(x^a)), z^b = g(f(x^b)). Layout as in SimCLR:
    ``num_layers - 1`` blocks of Linear -> norm -> ReLU, then a final Linear
    with no activation (signed outputs; the losses L2-normalise).

    Args:
        in_dim (int): Input size (the encoder's D). Defaults to 256.
        hidden_dim (int): Width of the hidden layers. Defaults to 256.
        out_dim (int): Output size. Defaults to 256 (the paper's value).
        num_layers (int): Number of Linear layers, >= 1. Defaults to 2.
        norm_cfg (dict, optional): Norm of the hidden layers, e.g.
            ``dict(type='BN1d')`` or ``dict(type='LN')``; None for none.
            BatchNorm needs more than one sample per batch in training.
            Defaults to ``dict(type='BN1d')``.

    Shape:
        - x: (N, in_dim) (any leading dims).
        - output: (N, out_dim).
    """

    def __init__(self,
                 in_dim: int = 256,
                 hidden_dim: int = 256,
                 out_dim: int = 256,
                 num_layers: int = 2,
                 norm_cfg: Optional[dict] = dict(type='BN1d')) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}')
        self.in_dim = in_dim
        self.out_dim = out_dim
        layers = []
        width = in_dim
        for _ in range(num_layers - 1):
            layers.append(nn.Linear(width, hidden_dim, bias=norm_cfg is None))
            if norm_cfg is not None:
                layers.append(build_norm_layer(norm_cfg, hidden_dim)[1])
            layers.append(nn.ReLU(inplace=True))
            width = hidden_dim
        layers.append(nn.Linear(width, out_dim))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 2 or x.shape[-1] != self.in_dim:
            raise ValueError(
                f'ProjectionHead expects (N, {self.in_dim}) inputs, got '
                f'{tuple(x.shape)}; set in_dim to the encoder out_dim.')
        lead = x.shape[:-1]
        return self.layers(x.reshape(-1, self.in_dim)).reshape(
            *lead, self.out_dim)
