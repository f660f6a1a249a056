from .checkpoint import (allow_full_pickle_checkpoints, load_checkpoint_file,
                         register_checkpoint_loader)
from .setup_env import register_all_modules

__all__ = [
    'register_all_modules', 'register_checkpoint_loader',
    'load_checkpoint_file', 'allow_full_pickle_checkpoints'
]
