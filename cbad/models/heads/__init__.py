from .convae_decoder import ConvAEDecoder
from .projection_head import ProjectionHead

__all__ = ['ConvAEDecoder', 'ProjectionHead']

from .memae_decoder import MemAEDecoder  # noqa: E402
__all__ += ['MemAEDecoder']

from .memory_module import MemoryModule  # noqa: E402
__all__ += ['MemoryModule']

from .patch_discriminator import PatchDiscriminator  # noqa: E402
from .unet_predictor import UNetPredictor  # noqa: E402
__all__ += ['PatchDiscriminator', 'UNetPredictor']
