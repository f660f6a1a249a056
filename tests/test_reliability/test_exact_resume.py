"""Kill + resume gives the run that was never interrupted, to the last digit.

Every run here goes through the real entry points (``tools/train.py`` and
``tools/test.py``'s ``main()``), in-process to stay fast, on the tiny
synthetic-scene variant of the paper's model
(tests/configs/cbad_synthetic_tiny.py): neighbour-clip sampler, the view
augmentation drawing from torch's generator, fitted scorers.
"""
import importlib.util
import os.path as osp
import random
import sys

import numpy as np
import pytest
import torch

from cbad.utils import load_checkpoint_file

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(ROOT, 'tests', 'configs', 'cbad_synthetic_tiny.py')


@pytest.fixture(scope='module', autouse=True)
def unformatted_config_text():
    """Skip yapf in mmengine's ``Config.pretty_text`` (the config text
    written to logs and checkpoints): it takes most of a tiny run's time
    and plays no part in what is trained."""
    import mmengine.config.config as mmengine_config
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mmengine_config, 'FormatCode',
                      lambda text, **kwargs: (text, False))
        yield


def run_tool(tool, *args, name):
    """``python tools/<tool>.py ARGS`` in this process.

    ``name`` becomes the experiment name: mmengine keys its MessageHub and
    logger by it, so runs in one process must not share one.
    """
    spec = importlib.util.spec_from_file_location(
        f'_cbad_tool_{tool}', osp.join(ROOT, 'tools', f'{tool}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    argv = sys.argv
    sys.argv = [f'{tool}.py', *args, '--cfg-options',
                f'experiment_name={name}']
    try:
        module.main()
    finally:
        sys.argv = argv


def train(work_dir, name, *extra):
    run_tool('train', TINY, '--work-dir', str(work_dir), *extra, name=name)


def frame_scores(checkpoint, out_dir, name):
    run_tool('test', TINY, str(checkpoint), '--work-dir', str(out_dir),
             '--out-dir', str(out_dir), name=name)
    return (out_dir / 'frame_scores.csv').read_bytes()


def assert_same_state(a, b):
    sa = load_checkpoint_file(str(a))['state_dict']
    sb = load_checkpoint_file(str(b))['state_dict']
    assert list(sa) == list(sb)
    different = [k for k in sa if not torch.equal(sa[k], sb[k])]
    assert not different, f'{len(different)} tensors differ: {different[:5]}'


@pytest.fixture(scope='module')
def uninterrupted(tmp_path_factory):
    """Three epochs in one go, and its frame scores."""
    work = tmp_path_factory.mktemp('uninterrupted')
    train(work, 'uninterrupted')
    return work, frame_scores(work / 'epoch_3.pth', work / 'test',
                              'uninterrupted_test')


def test_resume_after_epoch_two_reproduces_every_frame_score(
        uninterrupted, tmp_path):
    """Train 2 epochs (fitted and saved as a finished run), then --resume to
    3: same weights, fitted state and frame scores as 3 epochs in one go."""
    work, scores = uninterrupted
    first, resumed = tmp_path / 'first', tmp_path / 'resumed'
    train(first, 'first', '--cfg-options', 'train_cfg.max_epochs=2')
    # the process is gone; whatever it left in torch/numpy/random is not
    # what a fresh process starts from
    torch.manual_seed(12345)
    np.random.seed(12345)
    random.seed(12345)
    assert not (first / 'epoch_3.pth').exists()
    train(resumed, 'resumed', '--resume', str(first / 'epoch_2.pth'))
    assert_same_state(work / 'epoch_3.pth', resumed / 'epoch_3.pth')
    assert frame_scores(resumed / 'epoch_3.pth', resumed / 'test',
                        'resumed_test') == scores


def test_resume_from_a_killed_run_matches(uninterrupted, tmp_path):
    """A 3-epoch run killed after its epoch-2 checkpoint (the uninterrupted
    run's own epoch_2.pth is that file) and resumed ends where it would."""
    work, _ = uninterrupted
    torch.manual_seed(999)
    train(tmp_path, 'killed_resumed', '--resume', str(work / 'epoch_2.pth'))
    assert_same_state(work / 'epoch_3.pth', tmp_path / 'epoch_3.pth')


def test_same_seed_twice_gives_byte_identical_frame_scores(
        uninterrupted, tmp_path):
    _, scores = uninterrupted
    train(tmp_path, 'again')
    again = frame_scores(tmp_path / 'epoch_3.pth', tmp_path / 'test',
                         'again_test')
    assert scores.count(b'\n') > 100  # a real table: header + every frame
    assert again == scores


class _RecordDraws:
    """A random transform: one draw from each global generator."""

    def __call__(self, results):
        return dict(clip=(results['video'], int(results['frame_indices'][0])),
                    draws=(random.random(), float(np.random.rand()),
                           float(torch.rand(()))))


def _worker_draws(epochs, persistent):
    """Run the hooks' epoch protocol over a 2-worker loader: the draws of
    each epoch in ``epochs`` (a run resumed at epoch e starts at e)."""
    from types import SimpleNamespace
    from functools import partial

    from mmengine.dataset import DefaultSampler
    from mmengine.dataset import worker_init_fn as mmengine_init
    from mmengine.logging import MMLogger
    from torch.utils.data import DataLoader

    from cbad.datasets import SyntheticDataset
    from cbad.engine.hooks import RandomStateHook

    dataset = SyntheticDataset(
        split='train', clip_len=4, stride=8, val_ratio=0,
        scene_kwargs=dict(num_videos=2, num_frames=24, height=32, width=32),
        pipeline=[_RecordDraws()])
    sampler = DefaultSampler(dataset, shuffle=True, seed=3)
    loader = DataLoader(
        dataset, batch_size=2, sampler=sampler, num_workers=2,
        persistent_workers=persistent, collate_fn=list,
        # what mmengine's Runner gives a loader: a fixed seed per worker
        worker_init_fn=partial(mmengine_init, num_workers=2, rank=0,
                               seed=7))
    runner = SimpleNamespace(train_dataloader=loader, seed=7, epoch=0,
                             logger=MMLogger.get_current_instance())
    hook = RandomStateHook()
    hook.before_train(runner)
    draws = {}
    for epoch in epochs:
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        sampler.set_epoch(epoch)  # DistSamplerSeedHook
        draws[epoch] = [(item['clip'], item['draws'])
                        for batch in loader for item in batch]
    return draws


@pytest.mark.parametrize('persistent', [True, False])
def test_dataloader_workers_draw_the_same_after_a_resume(persistent):
    """Workers live in other processes, so their state is not saved: they
    draw from (seed, epoch, rank, worker) instead, persistent or not."""
    unbroken = _worker_draws([0, 1, 2], persistent)
    resumed = _worker_draws([2], persistent)
    assert resumed[2] == unbroken[2]
    # and the draws still change from epoch to epoch
    assert [d for _, d in unbroken[1]] != [d for _, d in unbroken[2]]


def test_short_epochs_of_a_long_run_resume_exactly(tmp_path):
    """Long runs train in short epochs (EpochSliceSampler, a checkpoint
    every few minutes): a run resumed after its first short epoch ends
    with the uninterrupted run's weights."""
    tiny = osp.join(ROOT, 'tests', 'configs', 'convae_synthetic_tiny.py')
    sliced = ['train_dataloader.sampler.type=EpochSliceSampler',
              'train_dataloader.sampler.samples_per_epoch=12',
              'train_dataloader.batch_size=4']

    def run(work, name, *extra):
        run_tool('train', tiny, '--work-dir', str(work), *extra,
                 name=name)

    whole, first, resumed = (tmp_path / n for n in ('whole', 'first',
                                                    'resumed'))
    run(whole, 'slice_whole', '--cfg-options', *sliced,
        'train_cfg.max_epochs=3')
    run(first, 'slice_first', '--cfg-options', *sliced,
        'train_cfg.max_epochs=1')
    torch.manual_seed(4321)
    run(resumed, 'slice_resumed', '--resume', str(first / 'epoch_1.pth'),
        '--cfg-options', *sliced, 'train_cfg.max_epochs=3')
    assert_same_state(whole / 'epoch_3.pth', resumed / 'epoch_3.pth')
    # 3 epochs of 12 clips in batches of 4: 9 steps, whatever the data size
    meta = load_checkpoint_file(str(whole / 'epoch_3.pth'))['meta']
    assert meta['iter'] == 9
