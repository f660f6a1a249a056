"""An inference copy of a module with each BatchNorm folded into its conv.

In eval mode a BatchNorm after a convolution is an affine map per channel,
so it can be folded into the convolution's weights and bias
(``mmcv.cnn.fuse_conv_bn``): the same outputs up to float rounding, one
layer fewer to run. Folding changes the module's structure (the norms
become ``nn.Identity``), so it is done on a copy and the trained module,
its state dict and its checkpoints are never touched.

The copy is rebuilt whenever any parameter or buffer of the source changes:
it is keyed by each tensor's identity, storage, version counter (bumped by
an optimiser step, ``load_state_dict`` or a manual ``copy_``), device,
dtype, and each floating-point tensor's norm (which also sees writes
through ``.data``, which bypass the version counter). The module is held while cached, so no identity is
reused. A stale copy can therefore not score with old weights.
"""
import copy
from typing import Optional, Tuple

import torch
from mmcv.cnn import fuse_conv_bn
from torch import nn


def _state_key(module: nn.Module) -> Tuple:
    """Identity, storage, version, device and dtype of every tensor, and the
    norm of every floating-point one (one ``_foreach_norm`` call: this runs
    on every scoring call, a chunk of frames when streaming)."""
    tensors = (*module.parameters(), *module.buffers())
    floats = [t.detach() for t in tensors if t.is_floating_point()]
    with torch.no_grad():
        norms = (torch.stack(torch._foreach_norm(floats)).tolist()
                 if floats else [])
    return tuple((id(t), t.data_ptr(), t._version, t.device, t.dtype)
                 for t in tensors) + tuple(norms)


class FusedInferenceCopy:
    """A cache of one conv-BN-folded copy, for no-grad eval use.

    Not an ``nn.Module`` on purpose: kept as a plain attribute it stays out
    of the owner's state dict, ``.to()`` and ``.train()``; :meth:`get`
    rebuilds the copy when the module changed (another module, new weights,
    device or dtype).
    """

    def __init__(self) -> None:
        self._module: Optional[nn.Module] = None
        self._copy: Optional[nn.Module] = None
        self._key: Optional[Tuple] = None

    def get(self, module: nn.Module) -> nn.Module:
        """The folded copy of ``module`` as it is now (eval mode);
        ``module`` itself is left unchanged."""
        key = (id(module), ) + _state_key(module)
        if self._copy is None or key != self._key:
            with torch.no_grad():
                folded = fuse_conv_bn(copy.deepcopy(module).eval())
            self._module, self._copy, self._key = module, folded, key
        return self._copy
