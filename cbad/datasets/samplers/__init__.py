"""Data samplers (registered in ``cbad.registry.DATA_SAMPLERS``)."""
from .neighbour_clip_sampler import NeighbourClipSampler

__all__ = ['NeighbourClipSampler']
