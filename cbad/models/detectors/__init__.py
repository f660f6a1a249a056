from .base_detector import BaseAnomalyDetector
from .contrastive_detector import ContrastiveDetector
from .reconstruction_detector import ReconstructionDetector

__all__ = ['BaseAnomalyDetector', 'ContrastiveDetector',
           'ReconstructionDetector']

from .memae_detector import MemAEDetector  # noqa: E402
__all__ += ['MemAEDetector']

from .handcrafted_detector import HandcraftedDetector  # noqa: E402
__all__ += ['HandcraftedDetector']

from .future_prediction_detector import FuturePredictionDetector  # noqa: E402
__all__ += ['FuturePredictionDetector']

from .object_contrastive_detector import ObjectContrastiveDetector  # noqa: E402
__all__ += ['ObjectContrastiveDetector']
