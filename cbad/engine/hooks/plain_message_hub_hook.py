"""Training checkpoints that load with torch's weights-only unpickler."""
from collections import OrderedDict
from typing import Any

import torch
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.runner import Runner

from cbad.registry import HOOKS

#: Marks a ``HistoryBuffer`` written as plain data.
PLAIN_TAG = '__cbad_history_buffer__'


def history_buffer_to_plain(buffer: HistoryBuffer) -> dict:
    """A ``HistoryBuffer`` as a dict of tensors and ints.

    Args:
        buffer (HistoryBuffer): A buffer of mmengine's message hub.

    Returns:
        dict: Its logs and counts (dtype kept), ``max_length`` and the tag.
    """
    logs, counts = buffer.data
    return {
        PLAIN_TAG: 1,
        'log_history': torch.from_numpy(logs.copy()),
        'count_history': torch.from_numpy(counts.copy()),
        'max_length': int(buffer.max_length),
    }


def plain_to_history_buffer(value: Any) -> Any:
    """Undo :func:`history_buffer_to_plain`; anything else is returned as is.

    Args:
        value: A ``log_scalars`` entry of a loaded checkpoint.

    Returns:
        The rebuilt ``HistoryBuffer``, or ``value`` unchanged.
    """
    if not (isinstance(value, dict) and value.get(PLAIN_TAG)):
        return value
    return HistoryBuffer(value['log_history'].numpy(),
                         value['count_history'].numpy(),
                         value['max_length'])


@HOOKS.register_module()
class PlainMessageHubHook(Hook):
    """Write the message hub's ``HistoryBuffer``s as plain data.

    mmengine puts its message hub (the logged losses, learning rates and
    timings) into every training checkpoint. A ``HistoryBuffer`` pickles its
    table of statistics functions, which ``pickle`` writes as
    ``getattr(HistoryBuffer, 'min')``: loading that with
    ``torch.load(weights_only=True)`` needs ``builtins.getattr`` on the
    allowlist, and with ``getattr`` allowed a crafted file reaches every
    builtin (``getattr(getattr, '__self__')`` is the ``builtins`` module).
    cbad's loader therefore does not allow it
    (:mod:`cbad.utils.checkpoint`), and this hook keeps cbad's own
    checkpoints within the allowlist: ``before_save_checkpoint`` replaces
    each buffer by its logs and counts (tensors) and its ``max_length``;
    ``after_load_checkpoint`` (which mmengine's resume calls before it loads
    the message hub) rebuilds the buffers. Custom statistics registered with
    ``HistoryBuffer.register_statistics`` are class-level and registered again
    when their module is imported, so nothing is lost.

    Checkpoints written before this hook existed still hold the buffers
    themselves: they load only with ``--trust-checkpoint``, and resume as
    before. ``configs/_base_/default_runtime.py`` adds the hook to every cbad
    config (``default_hooks.plain_message_hub``).
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        hub = checkpoint.get('message_hub')
        if not isinstance(hub, dict) or 'log_scalars' not in hub:
            return
        scalars = OrderedDict(
            (key, history_buffer_to_plain(value)
             if isinstance(value, HistoryBuffer) else value)
            for key, value in hub['log_scalars'].items())
        checkpoint['message_hub'] = dict(hub, log_scalars=scalars)

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        hub = checkpoint.get('message_hub')
        if not isinstance(hub, dict) or 'log_scalars' not in hub:
            return
        hub['log_scalars'] = OrderedDict(
            (key, plain_to_history_buffer(value))
            for key, value in hub['log_scalars'].items())
