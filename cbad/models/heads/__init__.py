from .convae_decoder import ConvAEDecoder

__all__ = ['ConvAEDecoder']
