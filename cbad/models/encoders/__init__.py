from .convae_encoder import ConvAEEncoder
from .spatial_conv_branch import SpatialConvBranch
from .spatio_temporal_encoder import SpatioTemporalEncoder
from .temporal_diff_branch import TemporalDiffBranch

__all__ = [
    'ConvAEEncoder', 'SpatialConvBranch', 'TemporalDiffBranch',
    'SpatioTemporalEncoder'
]
