"""Loading checkpoints safely under torch >= 2.6 and mmengine 0.10.7.

torch 2.6 changed ``torch.load`` to ``weights_only=True`` by default, and
mmengine 0.10.7 still calls ``torch.load(filename)`` without the argument. Its
own training checkpoints hold a few non-tensor objects (the message hub's
``HistoryBuffer``, numpy scalars and arrays in the runtime info), so resume and
``load_from`` fail with an ``UnpicklingError``. The usual advice, an
environment variable that turns the safety off for everything, would also let
any downloaded ``.pth`` run code on load.

cbad instead registers a local-file loader that keeps ``weights_only=True``
and adds the handful of classes mmengine itself writes to torch's allowlist.
Anything else is refused with a message that says how to opt in, for a file
the user trusts, to a full unpickle (:func:`allow_full_pickle_checkpoints`,
``--trust-checkpoint`` on the tools).
"""
import os.path as osp
import pickle
import re
from typing import Any, List, Optional

import numpy as np
import torch
from mmengine.runner.checkpoint import CheckpointLoader

_ALLOW_FULL_PICKLE = False


def allow_full_pickle_checkpoints(flag: bool = True) -> None:
    """Opt in (or back out) to full-pickle loading of checkpoint files.

    Unpickling runs arbitrary code: use it only for files you trust.

    Args:
        flag (bool): Whether non-allowlisted objects may be unpickled.
            Defaults to True.
    """
    global _ALLOW_FULL_PICKLE
    _ALLOW_FULL_PICKLE = bool(flag)


def _safe_globals() -> List[Any]:
    """Classes mmengine's own checkpoints contain besides tensors."""
    from mmengine.logging.history_buffer import HistoryBuffer
    trusted = [
        HistoryBuffer,
        # HistoryBuffer pickles its statistics table as getattr(HistoryBuffer,
        # 'min') etc. Allowing getattr is safe here: the weights-only
        # unpickler still refuses to *call* anything not on this allowlist,
        # so an attribute fetched this way can be stored, never executed.
        getattr,
        np.ndarray,
        np.dtype,
        np._core.multiarray._reconstruct,
        np._core.multiarray.scalar,
    ]
    # numpy 2 pickles dtypes as instances of per-type classes (Float64DType).
    trusted += [type(np.dtype(t)) for t in set(np.sctypeDict.values())]
    return list(dict.fromkeys(trusted))


def load_checkpoint_file(filename: str,
                         map_location: Optional[Any] = None) -> Any:
    """Load a local checkpoint with ``weights_only=True`` plus mmengine's types.

    Args:
        filename (str): Path of the ``.pth`` file.
        map_location: Same as :func:`torch.load`. Defaults to None.

    Returns:
        The loaded object (usually a dict with ``state_dict`` and ``meta``).

    Raises:
        FileNotFoundError: If the file does not exist.
        RuntimeError: If the file needs a full unpickle and the user has not
            opted in.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint not found: {filename}')
    if _ALLOW_FULL_PICKLE:
        return torch.load(filename, map_location=map_location,
                          weights_only=False)
    try:
        with torch.serialization.safe_globals(_safe_globals()):
            return torch.load(filename, map_location=map_location,
                              weights_only=True)
    except pickle.UnpicklingError as err:
        raise RuntimeError(
            f'{filename} holds Python objects beyond tensors and the types '
            'mmengine writes, so it was not loaded (unpickling runs code). '
            'If you trust the file, pass --trust-checkpoint to the tool or '
            'call cbad.utils.allow_full_pickle_checkpoints() first; better, '
            're-export it with tools/publish_model.py. '
            f'torch said: {_strip_ansi(str(err).splitlines()[0])}') from err


def _strip_ansi(text: str) -> str:
    return re.sub(r'\x1b\[[0-9;]*m', '', text)


def _local_loader(filename: str, map_location: Optional[Any]) -> Any:
    return load_checkpoint_file(filename, map_location)


# mmengine reads the class name for its log line ("Loads checkpoint by ...").
_local_loader.__name__ = 'load_from_local'


def register_checkpoint_loader() -> None:
    """Make mmengine load local files through :func:`load_checkpoint_file`."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=_local_loader, force=True)
