"""Sampler whose batches hold runs of neighbouring clips of one video."""
import math
from typing import Iterator, List, Optional, Sized

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from cbad.registry import DATA_SAMPLERS


def clip_segments(dataset: Sized) -> List[List[int]]:
    """Stretches of dataset indices that are one video's clips in start order.

    A new stretch begins where ``video`` changes or the clip start
    (``frame_indices[0]``) does not increase, so concatenated datasets whose
    video names repeat stay apart.

    Args:
        dataset (Sized): A dataset with ``get_data_info(i)`` returning
            ``video`` and ``frame_indices``.

    Returns:
        list[list[int]]: The stretches, in dataset order, covering every
        index once.
    """
    segments: List[List[int]] = []
    previous = None
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        video, start = info['video'], int(info['frame_indices'][0])
        if previous is None or video != previous[0] or start <= previous[1]:
            segments.append([])
        segments[-1].append(index)
        previous = (video, start)
    return segments


@DATA_SAMPLERS.register_module()
class NeighbourClipSampler(Sampler):
    """Shuffle runs of ``run_length`` adjacent clips instead of single clips.

    The temporal smoothness loss (eq. 15) needs neighbouring segments of a
    video in the same batch. Each epoch, every video's clips (in start
    order) are cut into runs of ``run_length`` consecutive clips; the
    ``len % run_length`` clips left over are split at random between the
    video's head and tail, so run boundaries move from epoch to epoch. The
    left-over pieces are shuffled and packed into filler blocks of
    ``run_length`` (the only blocks mixing videos). Blocks are shuffled and
    dealt round-robin to the ranks, so a batch of B clips (B a multiple of
    ``run_length``) holds B / run_length whole blocks. Like mmengine's
    ``DefaultSampler``, it works with and without distributed training.

    Args:
        dataset (Sized): Dataset whose ``get_data_info(i)`` gives ``video``
            and ``frame_indices`` (a :class:`BaseVideoDataset`).
        run_length (int): Adjacent clips per run; set the batch size to a
            multiple of it. Defaults to 4.
        shuffle (bool): Shuffle runs, and the run phase, each epoch; if
            False, runs are dataset order from each video's first clip.
            Defaults to True.
        seed (int, optional): Seed, identical on every rank; None draws one
            shared by all ranks. Defaults to None.
        round_up (bool): Repeat blocks from the epoch's start so that the
            total is a multiple of ``run_length * world_size`` (every rank
            gets as many whole blocks); if False, nothing is added and
            ranks may get a different number of clips. Defaults to True.
    """

    def __init__(self,
                 dataset: Sized,
                 run_length: int = 4,
                 shuffle: bool = True,
                 seed: Optional[int] = None,
                 round_up: bool = True) -> None:
        if not isinstance(run_length, int) or run_length < 1:
            raise ValueError(
                f'run_length must be a positive int, got {run_length!r}.')
        if len(dataset) == 0:
            raise ValueError('NeighbourClipSampler got an empty dataset.')
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.run_length = run_length
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed
        self.round_up = round_up
        self.epoch = 0
        self.segments = clip_segments(dataset)
        num = len(dataset)
        block = run_length * self.world_size
        if round_up:
            self.total_size = math.ceil(num / block) * block
            self.num_samples = self.total_size // self.world_size
        else:
            self.total_size = num
            sizes = [min(run_length, num - start)
                     for start in range(0, num, run_length)]
            self.num_samples = sum(sizes[self.rank::self.world_size])

    def _blocks(self) -> List[List[int]]:
        """This epoch's blocks of ``run_length`` indices (last may be short),
        identical on every rank."""
        rng = np.random.default_rng(self.seed + self.epoch)
        length = self.run_length
        runs, pieces = [], []
        for segment in self.segments:
            left = len(segment) % length
            head = int(rng.integers(0, left + 1)) if self.shuffle else 0
            body = segment[head:len(segment) - (left - head)]
            pieces += [p for p in (segment[:head],
                                   segment[len(segment) - left + head:]) if p]
            runs += [body[i:i + length] for i in range(0, len(body), length)]
        if self.shuffle:
            pieces = [pieces[i] for i in rng.permutation(len(pieces))]
        filler = [i for piece in pieces for i in piece]
        fillers = [filler[i:i + length] for i in range(0, len(filler), length)]
        short = [] if not fillers or len(fillers[-1]) == length else [
            fillers.pop()]
        runs += fillers
        if self.shuffle:
            runs = [runs[i] for i in rng.permutation(len(runs))]
        return runs + short  # a short block only at the very end

    def __iter__(self) -> Iterator[int]:
        blocks = self._blocks()
        if self.round_up:
            flat = [i for block in blocks for i in block]
            while len(flat) < self.total_size:  # repeat from the start
                flat += flat[:self.total_size - len(flat)]
            blocks = [flat[i:i + self.run_length]
                      for i in range(0, len(flat), self.run_length)]
        mine = blocks[self.rank::self.world_size]
        return iter([i for block in mine for i in block])

    def __len__(self) -> int:
        """The number of indices this rank yields per epoch."""
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch; runs and their phase change with it when
        ``shuffle`` is True.

        Args:
            epoch (int): Epoch number.
        """
        self.epoch = epoch
