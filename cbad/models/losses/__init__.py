from .instance_contrast_loss import InstanceContrastLoss
from .prototype_traction_loss import PrototypeTractionLoss
from .reconstruction_loss import ReconstructionLoss
from .temporal_smoothness_loss import TemporalSmoothnessLoss

__all__ = [
    'ReconstructionLoss', 'InstanceContrastLoss', 'PrototypeTractionLoss',
    'TemporalSmoothnessLoss'
]
