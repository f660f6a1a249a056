"""Causal post-processing of frame scores (a registry of plain objects).

A post-processor turns a video's frame scores into new ones using only the
current and earlier frames, so the same step runs offline on a whole video
(``__call__``) and in streaming one frame at a time (``reset`` / ``step``)
with the same result. Detectors apply theirs to every frame score they
output (``postprocess`` in the model config); ``metrics.json`` names it.
"""
from .trailing_mean import TrailingMean

__all__ = ['TrailingMean']
