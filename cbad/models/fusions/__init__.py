from .concat_fusion import ConcatFusion
from .gated_fusion import GatedFusion
from .spatial_only_fusion import SpatialOnlyFusion
from .sum_fusion import SumFusion

__all__ = ['GatedFusion', 'ConcatFusion', 'SumFusion', 'SpatialOnlyFusion']
