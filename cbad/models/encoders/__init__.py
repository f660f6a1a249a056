from .convae_encoder import ConvAEEncoder

__all__ = ['ConvAEEncoder']
