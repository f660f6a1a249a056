from .base_fitted_scorer import BaseFittedScorer
from .centre_distance_scorer import CentreDistanceScorer
from .knn_support_scorer import KNNSupportScorer
from .motion_attribute_scorer import MotionAttributeScorer
from .prototype_mahalanobis_scorer import PrototypeMahalanobisScorer
from .quantile_normalizer import QuantileNormalizer
from .reconstruction_error_scorer import ReconstructionErrorScorer
from .temporal_residual_scorer import TemporalResidualScorer
from .weighted_score_fusion import WeightedScoreFusion

__all__ = [
    'BaseFittedScorer', 'CentreDistanceScorer', 'KNNSupportScorer',
    'MotionAttributeScorer', 'PrototypeMahalanobisScorer', 'QuantileNormalizer',
    'ReconstructionErrorScorer', 'TemporalResidualScorer',
    'WeightedScoreFusion'
]

from .psnr_scorer import PSNRScorer  # noqa: E402
__all__ += ['PSNRScorer']
