from .reconstruction_error_scorer import ReconstructionErrorScorer

__all__ = ['ReconstructionErrorScorer']
