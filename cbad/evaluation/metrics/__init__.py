"""Evaluation metrics (registered in ``cbad.registry.METRICS``)."""
from .video_anomaly_metric import VideoAnomalyMetric

__all__ = ['VideoAnomalyMetric']
