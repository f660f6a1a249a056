from .base_detector import BaseAnomalyDetector
from .contrastive_detector import ContrastiveDetector
from .reconstruction_detector import ReconstructionDetector

__all__ = ['BaseAnomalyDetector', 'ContrastiveDetector',
           'ReconstructionDetector']
