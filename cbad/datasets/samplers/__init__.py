"""Data samplers (registered in ``cbad.registry.DATA_SAMPLERS``)."""
from .epoch_slice_sampler import EpochSliceSampler
from .neighbour_clip_sampler import NeighbourClipSampler

__all__ = ['EpochSliceSampler', 'NeighbourClipSampler']
