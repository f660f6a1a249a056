"""Every random generator a training run draws from, saved and restored.

A resumed run gives the same weights and frame scores as one that was never
stopped only if it draws the same random numbers. Three kinds of generator
are involved:

* the main process's global generators (python ``random``, numpy's legacy
  ``np.random``, torch's CPU generator and each CUDA device's): the view
  augmentation, dropout and the DataLoader's per-epoch base seed draw from
  them. :func:`get_random_state` / :func:`set_random_state` save and restore
  them as plain tensors, tuples and ints (``weights_only`` loadable);
* the sampler: mmengine's ``DefaultSampler`` and cbad's
  ``NeighbourClipSampler`` shuffle with a generator seeded by
  ``seed + epoch``, so only their ``seed`` must survive;
* dataloader workers: they live in other processes (for the whole run when
  ``persistent_workers=True``), so their state cannot be saved. Instead
  :class:`WorkerSeeder` makes it a function of ``(seed, epoch, rank,
  worker_id)``: every worker is seeded from it when it starts and, through
  :func:`reseed_worker_for_epoch` (called by
  :class:`~cbad.datasets.BaseVideoDataset` for every item), again at the
  first item of each new epoch.

:class:`~cbad.engine.hooks.RandomStateHook` ties them to the training loop.
"""
import random
from typing import Any, Dict, List, Optional

import numpy as np
import torch

#: In a dataloader worker started by a :class:`WorkerSeeder`: its seeder,
#: worker id and the epoch it last seeded for. Empty elsewhere.
_WORKER: Dict[str, Any] = {}


def get_random_state() -> Dict[str, Any]:
    """The global generators' states, in weights-only loadable types.

    CUDA states are included when CUDA has been initialised (before that no
    CUDA generator has drawn anything).

    Returns:
        dict: ``python``, ``numpy``, ``torch`` and ``cuda`` (a list, one
        state per device, empty without CUDA).
    """
    name, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    cuda: List[torch.Tensor] = []
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        cuda = torch.cuda.get_rng_state_all()
    return dict(
        python=random.getstate(),
        numpy=dict(
            name=str(name),
            keys=torch.from_numpy(keys.astype(np.int64)),  # 624 x uint32
            pos=int(pos),
            has_gauss=int(has_gauss),
            cached_gaussian=float(cached)),
        torch=torch.get_rng_state(),
        cuda=cuda)


def set_random_state(state: Dict[str, Any]) -> Optional[str]:
    """Restore what :func:`get_random_state` returned.

    Args:
        state (dict): A state from :func:`get_random_state`.

    Returns:
        str | None: A warning when the CUDA states could not be restored
        (saved on a machine with another number of GPUs, or restored on one
        without CUDA); None otherwise.
    """
    version, internal, gauss = state['python']
    random.setstate((version, tuple(internal), gauss))
    np_state = state['numpy']
    np.random.set_state(
        (np_state['name'], np_state['keys'].numpy().astype(np.uint32),
         np_state['pos'], np_state['has_gauss'],
         np_state['cached_gaussian']))
    torch.set_rng_state(state['torch'])
    cuda = list(state.get('cuda') or [])
    if not cuda:
        return None
    found = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if found != len(cuda):
        return (f'the checkpoint holds the random state of {len(cuda)} CUDA '
                f'device(s) and this machine has {found}; the CUDA '
                'generators were not restored, so GPU-side random draws '
                'will differ from the interrupted run.')
    torch.cuda.set_rng_state_all(cuda)
    return None


def _seed_everything(entropy: List[int]) -> None:
    """Seed python, numpy and torch from a list of non-negative ints."""
    words = np.random.SeedSequence(entropy).generate_state(4, np.uint64)
    random.seed(int(words[0]))
    np.random.seed(int(words[1]) % 2**32)
    torch.manual_seed(int(words[2]) % 2**63)


class WorkerSeeder:
    """A ``worker_init_fn`` that seeds workers from (seed, epoch, rank, id).

    mmengine's default seeds each worker from ``seed + worker_id`` once: with
    ``persistent_workers=True`` the workers then carry their state across
    epochs, and workers started by a resumed run start over, so random
    transforms draw other numbers than in the run that was never stopped.
    Here a worker's generators depend only on ``(seed, epoch, rank,
    worker_id)``: set when it starts, and reset when a dataset item is
    fetched in a new epoch (:func:`reseed_worker_for_epoch`). The epoch
    lives in shared memory, so the main process can announce it to
    persistent workers with :meth:`set_epoch`.

    Args:
        seed (int): The run's seed.
        rank (int): This process's rank. Defaults to 0.
    """

    def __init__(self, seed: int, rank: int = 0) -> None:
        self.seed = int(seed)
        self.rank = int(rank)
        self.epoch = torch.zeros((), dtype=torch.int64).share_memory_()

    def set_epoch(self, epoch: int) -> None:
        """Announce the epoch about to start (before its iterator is made).

        Args:
            epoch (int): The epoch index.
        """
        self.epoch.fill_(int(epoch))

    def __call__(self, worker_id: int) -> None:
        _WORKER.clear()
        _WORKER.update(seeder=self, worker_id=int(worker_id), seeded_for=None)
        reseed_worker_for_epoch()


def reseed_worker_for_epoch() -> None:
    """In a worker of a :class:`WorkerSeeder`, reseed once per epoch.

    Cheap enough to call for every item (one shared-memory read); does
    nothing in the main process or in workers started otherwise.
    """
    if not _WORKER:
        return
    seeder = _WORKER['seeder']
    epoch = int(seeder.epoch)
    if epoch == _WORKER['seeded_for']:
        return
    # the words are kept apart from those of the main process's seeds
    _seed_everything(
        [seeder.seed % 2**32, epoch, seeder.rank, _WORKER['worker_id'], 1])
    _WORKER['seeded_for'] = epoch
