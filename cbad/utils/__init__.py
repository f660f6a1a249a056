from .checkpoint import (allow_full_pickle_checkpoints, load_checkpoint_file,
                         register_checkpoint_loader)

__all__ = [
    'register_checkpoint_loader', 'load_checkpoint_file',
    'allow_full_pickle_checkpoints'
]
