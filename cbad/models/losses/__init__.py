from .instance_contrast_loss import InstanceContrastLoss
from .prototype_traction_loss import PrototypeTractionLoss
from .reconstruction_loss import ReconstructionLoss
from .temporal_smoothness_loss import TemporalSmoothnessLoss

__all__ = [
    'ReconstructionLoss', 'InstanceContrastLoss', 'PrototypeTractionLoss',
    'TemporalSmoothnessLoss'
]

from .entropy_loss import EntropyLoss  # noqa: E402
__all__ += ['EntropyLoss']

from .adversarial_loss import AdversarialLoss  # noqa: E402
from .flow_loss import FlowLoss  # noqa: E402
from .gradient_loss import GradientLoss  # noqa: E402
from .intensity_loss import IntensityLoss  # noqa: E402
__all__ += ['AdversarialLoss', 'FlowLoss', 'GradientLoss', 'IntensityLoss']
