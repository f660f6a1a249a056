from .base_detector import BaseAnomalyDetector
from .reconstruction_detector import ReconstructionDetector

__all__ = ['BaseAnomalyDetector', 'ReconstructionDetector']
