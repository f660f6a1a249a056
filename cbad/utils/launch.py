"""Config adjustments shared by the tools (work dir, launcher, device)."""
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config


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
        # NCCL needs GPUs; gloo runs the same collectives on CPU.
        cfg.env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
    return cfg
