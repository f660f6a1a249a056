from .convae_encoder import ConvAEEncoder
from .spatial_conv_branch import SpatialConvBranch
from .spatio_temporal_encoder import SpatioTemporalEncoder
from .temporal_diff_branch import TemporalDiffBranch

__all__ = [
    'ConvAEEncoder', 'SpatialConvBranch', 'TemporalDiffBranch',
    'SpatioTemporalEncoder'
]

from .memae_encoder import MemAEEncoder  # noqa: E402
__all__ += ['MemAEEncoder']

from .flow_histogram_encoder import FlowHistogramEncoder  # noqa: E402
__all__ += ['FlowHistogramEncoder']
