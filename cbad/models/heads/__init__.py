from .convae_decoder import ConvAEDecoder
from .projection_head import ProjectionHead

__all__ = ['ConvAEDecoder', 'ProjectionHead']
