"""Loading checkpoints safely under torch >= 2.6 and mmengine 0.10.7.

torch 2.6 changed ``torch.load`` to ``weights_only=True`` by default, and
mmengine 0.10.7 still calls ``torch.load(filename)`` without the argument. Its
own training checkpoints hold a few non-tensor objects (the message hub's
``HistoryBuffer``, numpy scalars and arrays in the runtime info), so resume and
``load_from`` fail with an ``UnpicklingError``. (cbad's training checkpoints
store the buffers as plain tensors, see
:class:`~cbad.engine.hooks.PlainMessageHubHook`: a buffer needs
``builtins.getattr``, which cannot be allowed safely.) The usual advice, an
environment variable that turns the safety off for everything, would also let
any downloaded ``.pth`` run code on load.

cbad instead registers a local-file loader that keeps ``weights_only=True``
and adds numpy's array and scalar types to torch's allowlist.
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

from cbad.utils.errors import UserInputError

_ALLOW_FULL_PICKLE = False
# torch's weights-only unpickler refusing an object (rather than a broken
# file, which it reports as e.g. "Unsupported operand").
_REFUSED = re.compile(r'Unsupported global|Unsupported class|Can only build|'
                      r'Trying to (call reduce|instantiate)', re.IGNORECASE)


class CheckpointError(UserInputError, RuntimeError):
    """A checkpoint file that cannot be loaded; the message names it."""


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
    """Classes mmengine's own checkpoints contain besides tensors.

    Neither ``builtins.getattr`` nor mmengine's ``HistoryBuffer`` is here.
    A buffer pickles its statistics table as ``getattr(HistoryBuffer,
    'min')``, but with getattr allowed a file reaches every builtin
    (``getattr(getattr, '__self__')`` is the ``builtins`` module) and can,
    say, put ``builtins.exit`` where a state dict's ``items`` method should
    be. cbad's :class:`~cbad.engine.hooks.PlainMessageHubHook` writes the
    buffers as plain tensors instead; older training checkpoints need
    ``--trust-checkpoint``.
    """
    trusted = [
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
    """Load a local checkpoint with ``weights_only=True`` plus numpy's types.

    Args:
        filename (str): Path of the ``.pth`` file.
        map_location: Same as :func:`torch.load`. Defaults to None.

    Returns:
        The loaded object (usually a dict with ``state_dict`` and ``meta``).

    Raises:
        FileNotFoundError: If the file does not exist.
        CheckpointError: A ``RuntimeError`` (and a
            :class:`~cbad.utils.errors.UserInputError`) naming the file, if
            it needs a full unpickle and the user has not opted in, or if it
            cannot be read at all (truncated, corrupt, not a checkpoint).
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint not found: {filename}')
    trusted = [] if _ALLOW_FULL_PICKLE else _safe_globals()
    try:
        with torch.serialization.safe_globals(trusted):
            return torch.load(filename, map_location=map_location,
                              weights_only=not _ALLOW_FULL_PICKLE)
    except Exception as err:  # noqa: B902 - the file is the user's input
        if (isinstance(err, pickle.UnpicklingError)
                and not _ALLOW_FULL_PICKLE and _REFUSED.search(str(err))):
            raise CheckpointError(
                f'{filename} holds Python objects beyond tensors and the '
                'types mmengine writes, so it was not loaded (unpickling '
                'runs code). If you trust the file, pass --trust-checkpoint '
                'to the tool or call '
                'cbad.utils.allow_full_pickle_checkpoints() first; better, '
                're-export it with tools/publish_model.py. '
                f'torch said: {_torch_said(err).rstrip(".")}.'
                f'{_old_training_hint(err)}') from err
        raise CheckpointError(
            f'Could not read checkpoint {filename} '
            f'({osp.getsize(filename)} bytes): {type(err).__name__}: '
            f'{_torch_said(err)}. A truncated or corrupt file (an '
            'interrupted copy or download) fails this way: copy or '
            'download it again, or save it again.') from err


def _old_training_hint(err: Exception) -> str:
    """What to do with a training checkpoint of an older cbad."""
    if 'HistoryBuffer' not in str(err):
        return ''
    return (' This looks like a training checkpoint written by an older '
            "cbad: its message hub pickles mmengine's HistoryBuffer, which "
            'needs builtins.getattr, and with getattr allowed a file can '
            'reach every builtin. If you wrote it yourself, add '
            '--trust-checkpoint (tools/train.py --resume, tools/test.py, '
            'tools/infer.py); training checkpoints written now need no flag.')


def _strip_ansi(text: str) -> str:
    return re.sub(r'\x1b\[[0-9;]*m', '', text)


def _torch_said(err: Exception) -> str:
    """The line of torch's error that says what went wrong."""
    text = _strip_ansi(str(err))
    refused = _REFUSED.search(text)
    if refused is not None:
        return text[refused.start():].splitlines()[0].split(' Please')[0]
    # A weights-only failure puts the actual reason after this marker.
    text = text.split('WeightsUnpickler error:')[-1]
    return (text.strip().splitlines() or ['no message'])[0]


def _local_loader(filename: str, map_location: Optional[Any]) -> Any:
    return load_checkpoint_file(filename, map_location)


# mmengine reads the class name for its log line ("Loads checkpoint by ...").
_local_loader.__name__ = 'load_from_local'


def register_checkpoint_loader() -> None:
    """Make mmengine load local files through :func:`load_checkpoint_file`."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=_local_loader, force=True)


class CheckpointMismatchError(CheckpointError):
    """A checkpoint whose state dict does not fit the model it is loaded
    into: keys missing or unexpected, or tensors of another shape."""


#: Keys named per kind in a mismatch message; the rest are only counted.
_KEYS_SHOWN = 4
_SIZE_MISMATCH = re.compile(
    r'size mismatch for (\S+): copying a param with shape '
    r'torch\.Size\((\[[^\]]*\])\) from checkpoint, the shape in current '
    r'model is torch\.Size\((\[[^\]]*\])\)')


def _some(keys: List[str]) -> str:
    shown = ', '.join(keys[:_KEYS_SHOWN])
    more = len(keys) - _KEYS_SHOWN
    return shown + (f', ... ({more} more)' if more > 0 else '')


def _plural(count: int, word: str, plural: str = '') -> str:
    return f'{count} {word if count == 1 else plural or word + "s"}'


def load_checkpoint_strictly(model: torch.nn.Module,
                             filename: str,
                             config: Optional[str] = None) -> dict:
    """Load a checkpoint file into ``model``, refusing one that does not fit.

    mmengine's ``load_from`` loads with ``strict=False``: whatever the file
    lacks keeps its initial (random) value, so another model's checkpoint or
    an empty one "loads". Here every entry of the model's state dict must be
    in the file with its shape, and the file may hold nothing else. The only
    keys that may be absent are those ``model.may_be_missing(key)`` allows
    (:class:`~cbad.models.detectors.BaseAnomalyDetector`): a training-only
    submodule's (``training_only_prefixes``, e.g. FFP's discriminator, left
    out of published checkpoints) and the ``threshold_fit_*`` record, which
    is newer than the published checkpoints. A ``module.`` prefix (a
    DDP-wrapped model's) is stripped, as mmengine does.

    Args:
        model (nn.Module): The model built from ``config``.
        filename (str): The checkpoint file (loaded weights-only, see
            :func:`load_checkpoint_file`).
        config (str, optional): What the model was built from, for the
            message. Defaults to None (the model's class name).

    Returns:
        dict: The checkpoint's ``meta`` (empty if it has none).

    Raises:
        CheckpointMismatchError: If the file does not fit. The message names
            the file, counts the missing, unexpected and mis-shaped keys
            (naming a few of each) and says what to do.
        FileNotFoundError, CheckpointError: From :func:`load_checkpoint_file`.
    """
    ckpt = load_checkpoint_file(filename, map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else ckpt
    meta = ckpt.get('meta') if isinstance(ckpt, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    built = config or type(model).__name__
    if not isinstance(state, dict):
        raise CheckpointMismatchError(
            f'Checkpoint {filename} holds a {type(state).__name__}, not a '
            f'state dict (or a dict with one under "state_dict"), so it '
            f'cannot be loaded into the model built from {built}.')
    state = {re.sub(r'^module\.', '', key): value
             for key, value in state.items()}
    may_be_missing = getattr(model, 'may_be_missing', lambda key: False)
    own = model.state_dict()
    missing = [k for k in own if k not in state and not may_be_missing(k)]
    unexpected = [k for k in state if k not in own]
    mismatched = []
    if not missing and not unexpected:
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as err:
            mismatched = [f'{key} (file {found}, model {wanted})'
                          for key, found, wanted in
                          _SIZE_MISMATCH.findall(str(err))]
            if not mismatched:
                raise
    if not (missing or unexpected or mismatched):
        return meta
    found = []
    if missing:
        found.append(f'{_plural(len(missing), "missing key")} (in the model, '
                     f'not in the file): {_some(missing)}')
    if unexpected:
        found.append(f'{_plural(len(unexpected), "unexpected key")} (in the '
                     f'file, not in the model): {_some(unexpected)}')
    if mismatched:
        kind = _plural(len(mismatched), 'shape mismatch', 'shape mismatches')
        found.append(f'{kind}: {_some(mismatched)}')
    written_for = meta.get('config')
    origin = (f" The file's meta says it was written for config "
              f'{written_for!r}.' if isinstance(written_for, str) else '')
    raise CheckpointMismatchError(
        f'Checkpoint {filename} does not fit the model built from {built} '
        f'({type(model).__name__}): {"; ".join(found)}.{origin} It was not '
        'loaded (a partial load would leave parts of the model at their '
        'initial random values, or ignore parts of the file). Use the config it was trained with (a model-zoo name gives both), '
        'or train this config with tools/train.py. To re-fit only the '
        'threshold and scorers of a checkpoint that fits, use tools/fit.py.')
