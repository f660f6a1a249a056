"""Weights-only checkpoints for the model zoo (DESIGN.md, Checkpoints)."""
import datetime
import os
import os.path as osp
import tempfile
from typing import Optional, Tuple

import torch
from mmengine.config import Config

from cbad.registry import MODELS, register_all_modules
from cbad.utils.checkpoint import load_checkpoint_file
from cbad.utils.report import file_sha256
from cbad.version import __version__


def _plain(value):
    """Keep only types ``torch.load(weights_only=True)`` accepts as meta."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def _training_only_prefixes(config_path: str) -> Tuple[str, ...]:
    """``training_only_prefixes`` of the detector class a config builds."""
    register_all_modules()
    detector = MODELS.get(Config.fromfile(config_path).model['type'])
    return tuple(getattr(detector, 'training_only_prefixes', ()))


def publish_checkpoint(config_path: str,
                       checkpoint_path: str,
                       out_root: str = 'model_zoo',
                       date: Optional[str] = None) -> str:
    """Write ``<out_root>/<method>/<config>_<YYYYMMDD>-<sha8>.pth``.

    Args:
        config_path (str): The config, ``configs/<method>/<name>.py``.
        checkpoint_path (str): An mmengine training checkpoint.
        out_root (str): The model-zoo folder. Defaults to ``'model_zoo'``.
        date (str, optional): ``YYYYMMDD``; defaults to today (UTC).

    Submodules the detector class marks as training-only
    (``training_only_prefixes``, e.g. FFP's discriminator) are left out.

    Returns:
        str: The path written.
    """
    name = osp.splitext(osp.basename(config_path))[0]
    drop = _training_only_prefixes(config_path)
    method = osp.basename(osp.dirname(osp.abspath(config_path)))
    ckpt = load_checkpoint_file(checkpoint_path, map_location='cpu')
    state_dict = ckpt.get('state_dict', ckpt)
    if not all(isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise ValueError(f'{checkpoint_path} has no tensor state dict.')
    meta = ckpt.get('meta', {})
    published = dict(
        state_dict={k: v.detach().cpu().contiguous()
                    for k, v in state_dict.items()
                    if not k.startswith(drop)},
        meta=dict(
            config=name,
            method=method,
            epoch=_plain(meta.get('epoch')),
            iter=_plain(meta.get('iter')),
            seed=_plain(meta.get('seed')),
            cbad_version=__version__,
            torch_version=str(torch.__version__),
            source_checkpoint=osp.basename(checkpoint_path),
            dataset_meta=_plain(meta.get('dataset_meta', {}))))
    date = date or datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y%m%d')
    out_dir = osp.join(out_root, method)
    os.makedirs(out_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix='.pth', dir=out_dir)
    os.close(fd)
    try:
        torch.save(published, tmp)
        torch.load(tmp, weights_only=True)  # proves it is weights-only
        final = osp.join(out_dir, f'{name}_{date}-{file_sha256(tmp)[:8]}.pth')
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only
        os.replace(tmp, final)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return final
