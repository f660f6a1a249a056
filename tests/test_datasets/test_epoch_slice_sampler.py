"""EpochSliceSampler: short epochs cut from one endless shuffled stream."""
from collections import Counter

import pytest

from cbad.datasets.samplers import EpochSliceSampler
from cbad.datasets.samplers import epoch_slice_sampler as module
from cbad.registry import DATA_SAMPLERS


def epochs(sampler, count):
    out = []
    for epoch in range(count):
        sampler.set_epoch(epoch)
        out.append(list(sampler))
    return out


def test_epochs_are_consecutive_slices_of_whole_shuffled_passes():
    data = list(range(10))
    sampler = EpochSliceSampler(data, samples_per_epoch=4, seed=3)
    assert len(sampler) == 4
    got = epochs(sampler, 5)  # 20 indices = exactly two passes
    assert all(len(e) == 4 for e in got)
    stream = [i for e in got for i in e]
    assert sorted(stream[:10]) == data and sorted(stream[10:]) == data
    assert stream[:10] != data  # shuffled
    assert stream[:10] != stream[10:]  # each pass its own order


def test_the_slice_depends_on_seed_and_epoch_only():
    """What exact resume needs: a fresh sampler (a new process) set to
    epoch e yields what the long-lived one yielded at e."""
    long_lived = EpochSliceSampler(list(range(7)), 5, seed=11)
    got = epochs(long_lived, 4)
    fresh = EpochSliceSampler(list(range(7)), 5, seed=11)
    fresh.set_epoch(3)
    assert list(fresh) == got[3]
    other = EpochSliceSampler(list(range(7)), 5, seed=12)
    assert epochs(other, 4) != got


def test_longer_epochs_than_the_dataset_and_no_shuffle():
    sampler = EpochSliceSampler(list(range(3)), 7, shuffle=False)
    assert epochs(sampler, 2) == [[0, 1, 2, 0, 1, 2, 0], [1, 2, 0, 1, 2, 0, 1]]
    counts = Counter(i for e in epochs(
        EpochSliceSampler(list(range(3)), 7, seed=0), 3) for i in e)
    assert sorted(counts.values()) == [7, 7, 7]  # 21 = 7 whole passes


def test_ranks_split_each_slice(monkeypatch):
    data = list(range(9))
    slices = {}
    for rank in range(2):
        monkeypatch.setattr(module, 'get_dist_info', lambda r=rank: (r, 2))
        sampler = EpochSliceSampler(data, samples_per_epoch=5, seed=0)
        assert len(sampler) == 3  # 5 rounded up to 6 over 2 ranks
        slices[rank] = list(sampler)
    assert sorted(slices[0] + slices[1]) == sorted(sampler.indices(0))


def test_registered_and_bad_arguments_refused():
    built = DATA_SAMPLERS.build(dict(type='EpochSliceSampler',
                                     samples_per_epoch=2, seed=0),
                                default_args=dict(dataset=[1, 2, 3]))
    assert isinstance(built, EpochSliceSampler)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match='samples_per_epoch'):
            EpochSliceSampler([1], bad)
    with pytest.raises(ValueError, match='empty'):
        EpochSliceSampler([], 3)
