"""Config adjustments shared by the tools (work dir, launcher, device)."""
import os.path as osp
from typing import Optional, Union

import torch
from mmengine.config import Config

from cbad.utils.errors import UserInputError


def check_device(device: Union[str, torch.device]) -> str:
    """Refuse, before any work, a device this machine does not have.

    Args:
        device (str | torch.device): e.g. ``'cpu'``, ``'cuda'``,
            ``'cuda:1'``.

    Returns:
        str: ``device`` as a string, unchanged.

    Raises:
        UserInputError: If torch does not know the name, or it names a CUDA
            device and CUDA (or that GPU) is not available.
    """
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise UserInputError(
            f'Unknown device {str(device)!r} ({err}); use cpu, cuda or '
            'cuda:N.') from None
    if parsed.type == 'cuda':
        if not torch.cuda.is_available():
            why = ('this torch is a CPU-only build' if torch.version.cuda
                   is None else 'torch finds no CUDA GPU')
            raise UserInputError(
                f'Device {str(device)!r} was asked for, but CUDA is not '
                f'available on this machine ({why}); use --device cpu.')
        count = torch.cuda.device_count()
        if parsed.index is not None and parsed.index >= count:
            raise UserInputError(
                f'Device {str(device)!r} was asked for, but this machine '
                f'has {count} CUDA GPU(s) (cuda:0 to cuda:{count - 1}).')
    return str(device)


def load_cfg(config_path: str,
             cfg_options: Optional[dict] = None,
             launcher: str = 'none',
             work_dir: Optional[str] = None) -> Config:
    """A tool's config: the file, its ``--cfg-options`` overrides, then
    :func:`prepare_cfg`."""
    cfg = Config.fromfile(config_path)
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    return prepare_cfg(cfg, config_path, launcher, work_dir)


def prepare_cfg(cfg: Config,
                config_path: str,
                launcher: str = 'none',
                work_dir: Optional[str] = None) -> Config:
    """Fill in the work dir and launcher; pick gloo when CUDA is absent.

    Args:
        cfg (Config): The loaded config.
        config_path (str): Its file path (names the default work dir).
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        work_dir (str, optional): Overrides ``cfg.work_dir``.

    Returns:
        Config: The same config, changed in place.
    """
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs',
                                osp.splitext(osp.basename(config_path))[0])
    if launcher != 'none' and not torch.cuda.is_available():
        _prepare_cpu_distributed(cfg, launcher)
    return cfg


def _prepare_cpu_distributed(cfg: Config, launcher: str) -> None:
    """Distributed runs without CUDA: gloo, and DDP without device ids.

    mmengine 0.10.7's ``init_dist`` calls ``torch.cuda.set_device`` before it
    creates the process group, which fails on a CPU build. The Runner skips
    its own initialisation when a group already exists, so for the
    ``pytorch`` launcher (torchrun's environment variables) the group is
    created here with gloo. DDP over CPU modules needs ``device_ids=None``.
    """
    import torch.distributed as dist
    cfg.env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False)
    wrapper.setdefault('device_ids', None)
    cfg.model_wrapper_cfg = wrapper
    if launcher == 'pytorch' and not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    elif launcher != 'pytorch':
        raise RuntimeError(
            f'--launcher {launcher} without CUDA is not supported by '
            'mmengine 0.10.7; use --launcher pytorch (tools/dist_*.sh).')
