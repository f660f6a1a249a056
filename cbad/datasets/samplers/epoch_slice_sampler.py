"""Sampler whose epochs are fixed-size slices of one endless shuffled
stream."""
from typing import Iterator, List, Optional, Sized

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from cbad.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class EpochSliceSampler(Sampler):
    """Epochs of ``samples_per_epoch`` indices, whatever the dataset's size.

    The indices form one endless stream: a permutation of the dataset
    (drawn from ``seed + k`` for the k-th pass), then the next, and so on;
    epoch ``e`` is the stream's ``e``-th slice of ``samples_per_epoch``.
    Every pass over the data is whole and uniform, as with mmengine's
    ``DefaultSampler``, but an "epoch" is as short as the config says, so a
    long run trains in short epochs and writes a checkpoint every few
    minutes. Resuming after epoch ``e`` continues the same stream exactly:
    the slice depends only on ``seed`` and the epoch, both of which the
    checkpoint holds (:class:`~cbad.engine.hooks.RandomStateHook`).

    Iteration-count recipes (FFP's 80,000 steps of batch 4) become
    ``samples_per_epoch = steps_per_epoch * batch_size`` (times the number
    of ranks: the slice is dealt round-robin to them) and
    ``max_epochs = total_steps / steps_per_epoch``.

    Args:
        dataset (Sized): The dataset to draw from (not empty).
        samples_per_epoch (int): Indices per epoch over all ranks; rounded
            up to a multiple of the number of ranks.
        shuffle (bool): Permute each pass; if False, passes are in dataset
            order. Defaults to True.
        seed (int, optional): Seed, identical on every rank; None draws one
            shared by all ranks. Defaults to None.
    """

    def __init__(self,
                 dataset: Sized,
                 samples_per_epoch: int,
                 shuffle: bool = True,
                 seed: Optional[int] = None) -> None:
        if isinstance(samples_per_epoch, bool) or not isinstance(
                samples_per_epoch, int) or samples_per_epoch < 1:
            raise ValueError('samples_per_epoch must be a positive int, got '
                             f'{samples_per_epoch!r}.')
        if len(dataset) == 0:
            raise ValueError('EpochSliceSampler got an empty dataset.')
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0
        self.num_samples = -(-samples_per_epoch // self.world_size)
        self.total_size = self.num_samples * self.world_size

    def _pass(self, k: int) -> np.ndarray:
        """The ``k``-th pass over the dataset."""
        size = len(self.dataset)
        if not self.shuffle:
            return np.arange(size)
        return np.random.default_rng(self.seed + k).permutation(size)

    def indices(self, epoch: int) -> List[int]:
        """Every rank's indices of ``epoch``, in stream order."""
        size = len(self.dataset)
        k, offset = divmod(epoch * self.total_size, size)
        out: List[int] = []
        while len(out) < self.total_size:
            take = self._pass(k)[offset:offset + self.total_size - len(out)]
            out.extend(int(i) for i in take)
            k, offset = k + 1, 0
        return out

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices(self.epoch)[self.rank::self.world_size])

    def __len__(self) -> int:
        """The number of indices this rank yields per epoch."""
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch: which slice of the stream comes next.

        Args:
            epoch (int): Epoch number.
        """
        self.epoch = epoch
