"""End to end through the command-line tools, on a tiny synthetic scene."""
import csv
import json
import os
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(ROOT, 'tests', 'configs', 'convae_synthetic_tiny.py')


def run_tool(*args, check=True):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f'{args} failed:\n{proc.stdout[-3000:]}\n'
                             f'{proc.stderr[-3000:]}')
    return proc


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('work')
    run_tool('tools/train.py', TINY, '--work-dir', str(work_dir))
    return work_dir


def read_csv(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return rows


def test_train_writes_fitted_checkpoint(trained):
    ckpt = open(trained / 'last_checkpoint').read().strip()
    assert ckpt.endswith('epoch_2.pth')
    # mmengine's own checkpoint loads through cbad's weights-only loader
    from cbad.utils import load_checkpoint_file
    state = load_checkpoint_file(ckpt)['state_dict']
    assert torch.isfinite(state['threshold'])


def test_resume_continues_from_last_epoch(trained, tmp_path):
    work_dir = tmp_path / 'resume'
    work_dir.mkdir()
    ckpt = open(trained / 'last_checkpoint').read().strip()
    proc = run_tool('tools/train.py', TINY, '--work-dir', str(work_dir),
                    '--resume', ckpt, '--cfg-options',
                    'train_cfg.max_epochs=3')
    log = proc.stdout + proc.stderr
    assert 'resumed epoch: 2' in log
    assert osp.isfile(work_dir / 'epoch_3.pth')
    assert not osp.isfile(work_dir / 'epoch_1.pth')


def test_test_outputs_are_auditable_and_publish_round_trips(trained, tmp_path):
    ckpt = open(trained / 'last_checkpoint').read().strip()
    out = tmp_path / 'out'
    run_tool('tools/test.py', TINY, ckpt, '--work-dir', str(tmp_path),
             '--out-dir', str(out))
    rows = read_csv(out / 'frame_scores.csv')
    assert list(rows[0]) == ['video', 'frame', 'score', 'label']
    report = json.load(open(out / 'metrics.json'))
    scores = np.array([float(r['score']) for r in rows])
    labels = np.array([int(r['label']) for r in rows])
    assert report['metrics']['auc_micro'] == pytest.approx(
        roc_auc_score(labels, scores), abs=1e-12)
    assert report['config'] == 'convae_synthetic_tiny'
    assert len(report['checkpoint_sha256']) == 64
    # 4 test videos x 40 frames, each frame scored exactly once
    assert len(rows) == 160 and report['protocol']['num_frames'] == 160

    # publish: weights-only, OpenMMLab name, same numbers when tested
    zoo = tmp_path / 'zoo'
    run_tool('tools/publish_model.py', TINY, ckpt, '--out-root', str(zoo),
             '--date', '20260101')
    published = list(zoo.rglob('*.pth'))
    assert len(published) == 1, published
    assert published[0].parent.name == 'configs'  # <out-root>/<method>/
    name = published[0].name
    assert re.fullmatch(r'convae_synthetic_tiny_20260101-[0-9a-f]{8}\.pth',
                        name)
    from cbad.utils.report import file_sha256
    assert file_sha256(str(published[0])).startswith(name[-12:-4])
    blob = torch.load(published[0], weights_only=True)
    assert set(blob) == {'state_dict', 'meta'}
    out2 = tmp_path / 'out2'
    run_tool('tools/test.py', TINY, str(published[0]), '--work-dir',
             str(tmp_path), '--out-dir', str(out2))
    again = json.load(open(out2 / 'metrics.json'))['metrics']
    assert again == pytest.approx(report['metrics'], nan_ok=True)


def test_full_pickle_checkpoint_needs_opt_in(trained, tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ('pwned',))

    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': Evil()}, path)
    proc = run_tool('tools/test.py', TINY, str(path), '--work-dir',
                    str(tmp_path), check=False)
    assert proc.returncode != 0
    assert '--trust-checkpoint' in proc.stderr
    assert 'pwned' not in proc.stdout


@pytest.mark.skipif(sys.platform != 'linux', reason='torchrun + gloo')
def test_two_processes_give_the_same_metrics(trained, tmp_path):
    ckpt = open(trained / 'last_checkpoint').read().strip()
    one, two = tmp_path / 'one', tmp_path / 'two'
    run_tool('tools/test.py', TINY, ckpt, '--work-dir', str(tmp_path),
             '--out-dir', str(one))
    env_port = str(29500 + os.getpid() % 1000)
    proc = subprocess.run(
        ['bash', 'tools/dist_test.sh', TINY, ckpt, '2', '--work-dir',
         str(tmp_path), '--out-dir', str(two)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, PYTHON=sys.executable, PORT=env_port,
                 OMP_NUM_THREADS='1'))
    assert proc.returncode == 0, proc.stderr[-3000:]
    a = read_csv(one / 'frame_scores.csv')
    b = read_csv(two / 'frame_scores.csv')
    assert [(r['video'], r['frame']) for r in a] == [
        (r['video'], r['frame']) for r in b]
    np.testing.assert_allclose([float(r['score']) for r in a],
                               [float(r['score']) for r in b], rtol=1e-5)
    m1 = json.load(open(one / 'metrics.json'))['metrics']
    m2 = json.load(open(two / 'metrics.json'))['metrics']
    assert m1 == pytest.approx(m2, rel=1e-5, nan_ok=True)


@pytest.mark.skipif(sys.platform != 'linux', reason='torchrun + gloo')
def test_two_process_training_fits_on_the_whole_val_split(tmp_path):
    work_dir = tmp_path / 'dist'
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', TINY, '2', '--work-dir',
         str(work_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1',
                 PORT=str(30500 + os.getpid() % 1000)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    from cbad.utils import load_checkpoint_file
    state = load_checkpoint_file(str(work_dir / 'epoch_2.pth'))['state_dict']
    assert torch.isfinite(state['threshold'])
    # the fit saw the whole validation split (7 windows), not a rank's shard
    log = proc.stdout + proc.stderr
    assert 'on 7 normal validation windows' in log


def test_fit_tool_refits_threshold_for_another_scorer(trained, tmp_path):
    """tools/fit.py keeps the weights and re-fits the fitted state."""
    from cbad.utils import load_checkpoint_file
    ckpt = open(trained / 'last_checkpoint').read().strip()
    out = tmp_path / 'refit.pth'
    run_tool('tools/fit.py', TINY, ckpt, '--out', str(out), '--work-dir',
             str(tmp_path), '--cfg-options', 'model.scorer.reduce=mean')
    old = load_checkpoint_file(ckpt)['state_dict']
    new = torch.load(out, weights_only=True)['state_dict']
    for key, value in old.items():
        if key != 'threshold':
            torch.testing.assert_close(new[key], value)
    # the mean error is much smaller than the largest patch error
    assert 0 < new['threshold'] < old['threshold']
    # and 'none' fits a freshly initialised network
    fresh = tmp_path / 'fresh.pth'
    run_tool('tools/fit.py', TINY, 'none', '--out', str(fresh), '--work-dir',
             str(tmp_path))
    assert torch.isfinite(torch.load(fresh, weights_only=True)[
        'state_dict']['threshold'])
