"""NeighbourClipSampler: runs of adjacent clips, shuffled, distributed."""
from collections import Counter

import numpy as np
import pytest
from torch.utils.data import DataLoader

from cbad.datasets import NeighbourClipSampler
from cbad.datasets.samplers import neighbour_clip_sampler as module
from cbad.registry import DATA_SAMPLERS

CLIPS_PER_VIDEO = (7, 5, 9, 1, 4, 6)  # 32 clips


class FakeClips:
    """Clip infos of several videos (starts 0, 4, 8, ...), in start order."""

    def __init__(self, counts=CLIPS_PER_VIDEO, stride=4):
        self.infos = [dict(video=f'v{v}', frame_indices=np.arange(16) + s)
                      for v, n in enumerate(counts)
                      for s in range(0, n * stride, stride)]

    def __len__(self):
        return len(self.infos)

    def get_data_info(self, index):
        return dict(self.infos[index])

    def __getitem__(self, index):
        return index


def is_run(dataset, block):
    """Consecutive clips of one video (starts one stride apart)."""
    infos = [dataset.get_data_info(i) for i in block]
    starts = [int(info['frame_indices'][0]) for info in infos]
    return (len({info['video'] for info in infos}) == 1
            and np.all(np.diff(starts) == 4))


def blocks_of(indices, length=4):
    return [indices[i:i + length] for i in range(0, len(indices), length)]


def sampler(dataset, rank=0, world_size=1, monkeypatch=None, **kwargs):
    if monkeypatch is not None:
        monkeypatch.setattr(module, 'get_dist_info',
                            lambda: (rank, world_size))
    return NeighbourClipSampler(dataset, **dict(dict(seed=0), **kwargs))


def test_every_clip_once_in_runs_of_adjacent_clips():
    dataset = FakeClips()
    indices = list(sampler(dataset, round_up=False))
    assert sorted(indices) == list(range(len(dataset)))
    runs = sum(is_run(dataset, b) for b in blocks_of(indices))
    # Each video yields len // 4 runs (filler blocks may add lucky ones).
    assert runs >= sum(n // 4 for n in CLIPS_PER_VIDEO) == 6
    assert len(blocks_of(indices)) == 8


def test_round_up_pads_to_whole_blocks():
    dataset = FakeClips(counts=(7, 6))  # 13 clips -> 16
    s = sampler(dataset)
    indices = list(s)
    assert len(indices) == len(s) == 16
    counts = Counter(indices)
    assert set(counts) == set(range(13)) and sum(counts.values()) == 16


def test_epochs_differ_and_seed_makes_it_deterministic():
    dataset = FakeClips()
    first = sampler(dataset)
    epoch0 = list(first)
    assert list(sampler(dataset)) == epoch0  # same seed, same epoch
    first.set_epoch(1)
    assert list(first) != epoch0
    assert list(sampler(dataset, seed=1)) != epoch0


def test_run_phase_moves_between_epochs():
    dataset = FakeClips(counts=(7, ))  # 3 left over: runs start 0..3
    s = sampler(dataset, round_up=False)
    first_runs = set()
    for epoch in range(20):
        s.set_epoch(epoch)
        for block in blocks_of(list(s)):
            if len(block) == 4 and is_run(dataset, block):
                first_runs.add(block[0])
    assert first_runs == {0, 1, 2, 3}


def test_without_shuffle_runs_follow_dataset_order():
    dataset = FakeClips(counts=(8, 4))
    indices = list(sampler(dataset, shuffle=False, round_up=False))
    assert indices == list(range(12))


@pytest.mark.parametrize('round_up', [True, False])
def test_two_ranks_partition_whole_runs(monkeypatch, round_up):
    dataset = FakeClips()  # 32 clips = 8 blocks, 4 per rank
    parts = [list(sampler(dataset, rank, 2, monkeypatch, round_up=round_up))
             for rank in (0, 1)]
    assert sorted(parts[0] + parts[1]) == list(range(32))
    assert len(parts[0]) == len(parts[1]) == 16
    for rank in (0, 1):
        s = sampler(dataset, rank, 2, monkeypatch, round_up=round_up)
        assert len(s) == 16
    runs = sum(is_run(dataset, b) for p in parts for b in blocks_of(p))
    assert runs >= 6


def test_two_ranks_with_uneven_data(monkeypatch):
    dataset = FakeClips(counts=(7, 6))  # 13 clips: blocks 4, 4, 4, 1
    padded = [sampler(dataset, r, 2, monkeypatch) for r in (0, 1)]
    assert [len(s) for s in padded] == [8, 8]
    assert set(list(padded[0]) + list(padded[1])) == set(range(13))
    exact = [sampler(dataset, r, 2, monkeypatch, round_up=False)
             for r in (0, 1)]
    assert [len(s) for s in exact] == [8, 5]
    assert sorted(list(exact[0]) + list(exact[1])) == list(range(13))


def test_built_from_registry_batches_hold_whole_runs():
    dataset = FakeClips(counts=(8, 8, 8, 8))
    s = DATA_SAMPLERS.build(
        dict(type='NeighbourClipSampler', run_length=4, seed=3),
        default_args=dict(dataset=dataset))
    for batch in DataLoader(dataset, batch_size=8, sampler=s):
        assert all(is_run(dataset, b) for b in blocks_of(batch.tolist()))


def test_same_name_after_a_restart_is_a_new_video():
    dataset = FakeClips(counts=(3, ))
    dataset.infos += FakeClips(counts=(3, )).infos  # a concatenated copy
    assert module.clip_segments(dataset) == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match='run_length'):
        NeighbourClipSampler(dataset, run_length=0, seed=0)
