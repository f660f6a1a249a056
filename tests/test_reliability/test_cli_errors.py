"""Ordinary mistakes on the tools: one clear line, no traceback.

Issue 9, items 8 (raw tracebacks for a missing config, a truncated
checkpoint, ``--device cuda`` without CUDA, an unknown ``type``, a dataset
error) and 11 (mmengine's "Failed to search registry with scope 'cbad'"
warnings on every run). The tools run in-process through
:func:`cbad.utils.cli.run_cli` (what their ``__main__`` block calls); one
subprocess test checks that wiring end to end.
"""
import glob
import importlib.util
import logging
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from cbad.utils.checkpoint import CheckpointError, load_checkpoint_file
from cbad.utils.cli import run_cli, user_error_message
from cbad.utils.errors import UserInputError
from cbad.utils.launch import check_device

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(ROOT, 'tests', 'configs', 'convae_synthetic_tiny.py')


@pytest.fixture(autouse=True)
def _no_debug_env(monkeypatch):
    monkeypatch.delenv('CBAD_DEBUG', raising=False)
    monkeypatch.setenv('LOCAL_RANK', '0')  # train/test.py set it if absent
    yield
    # An in-process Runner's logger writes to this test's captured streams;
    # a later test must not reuse it (same-second names are shared).
    from mmengine.logging import MMLogger
    MMLogger._instance_dict.clear()


def _tool(relpath):
    """Import a script of tools/ as a module (once)."""
    name = 'cli_errors_' + re.sub(r'\W', '_', relpath[:-3])
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, osp.join(ROOT, 'tools', relpath))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name]


def _run(monkeypatch, relpath, *args):
    """``python tools/RELPATH ARGS`` in-process: the tool's exit status."""
    monkeypatch.setattr(sys, 'argv', [osp.basename(relpath), *args])
    return run_cli(_tool(relpath).main)


def _one_error_line(err, prog):
    """The stderr of a tool stopped by a user's mistake: exactly one line."""
    assert 'Traceback' not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f'{prog}: error: '), err
    return lines[0]


@pytest.fixture(scope='module')
def tiny_checkpoint(tmp_path_factory):
    """Weights of the tiny test config, saved without training."""
    from cbad.registry import MODELS
    from cbad.registry import register_all_modules
    register_all_modules()
    model = MODELS.build(Config.fromfile(TINY).model)
    path = tmp_path_factory.mktemp('ckpt') / 'tiny.pth'
    torch.save({'state_dict': model.state_dict()}, path)
    return str(path)


# ------------------------------------------------------------ the wrapper
def test_user_error_is_one_line_and_exit_2(monkeypatch, capsys):
    def main():
        raise UserInputError('labels.npy has 10 frames, the video 12: give '
                             'one label per frame.')

    monkeypatch.setattr(sys, 'argv', ['tool.py'])
    assert run_cli(main) == 2
    err = capsys.readouterr().err
    assert err == ('tool.py: error: labels.npy has 10 frames, the video 12: '
                   'give one label per frame.\n')


def test_debug_flag_or_env_shows_the_traceback(monkeypatch, capsys):
    def main():
        raise FileNotFoundError('data/ped2 does not exist')

    monkeypatch.setattr(sys, 'argv', ['tool.py', '--debug'])
    with pytest.raises(FileNotFoundError, match='data/ped2'):
        run_cli(main)
    monkeypatch.setattr(sys, 'argv', ['tool.py', '--', '--debug'])
    assert run_cli(main) == 2  # after "--" it is not an option
    monkeypatch.setenv('CBAD_DEBUG', '1')
    with pytest.raises(FileNotFoundError):
        run_cli(main)
    monkeypatch.setenv('CBAD_DEBUG', '0')
    assert run_cli(main) == 2
    assert 'Traceback' not in capsys.readouterr().err


def test_a_bug_keeps_its_traceback(monkeypatch):
    monkeypatch.setattr(sys, 'argv', ['tool.py'])
    with pytest.raises(ZeroDivisionError):
        run_cli(lambda: 1 / 0)
    with pytest.raises(KeyError, match='state_dict'):  # not a registry miss
        run_cli(lambda: {}['state_dict'])
    assert run_cli(lambda: 3) == 3 and run_cli(lambda: None) == 0


def test_dataloader_worker_error_prints_the_original_message():
    from torch.utils.data._utils import ExceptionWrapper
    try:
        raise UserInputError('frame 3 of video 01 is unreadable: '
                             'ped2/01/003.tif')
    except UserInputError:
        wrapped = ExceptionWrapper(where='in DataLoader worker process 0')
    with pytest.raises(UserInputError) as err:
        wrapped.reraise()
    assert 'Original Traceback' in str(err.value)
    assert user_error_message(err.value) == (
        'frame 3 of video 01 is unreadable: ped2/01/003.tif')


def test_torch_cuda_assertion_is_a_user_error():
    message = user_error_message(
        AssertionError('Torch not compiled with CUDA enabled'))
    assert 'CUDA' in message and '--device cpu' in message
    assert user_error_message(AssertionError('x == y')) is None


# ---------------------------------------------------------- the five cases
def test_missing_config(monkeypatch, capsys, tmp_path):
    missing = str(tmp_path / 'convae_ped3.py')
    assert _run(monkeypatch, 'train.py', missing) == 2
    line = _one_error_line(capsys.readouterr().err, 'train.py')
    assert line == (f'train.py: error: No such file or directory: '
                    f'{missing}. Check the path.')
    with pytest.raises(FileNotFoundError):
        _run(monkeypatch, 'train.py', missing, '--debug')


def test_truncated_checkpoint_names_the_file(monkeypatch, capsys, tmp_path,
                                            tiny_checkpoint):
    data = open(tiny_checkpoint, 'rb').read()
    truncated = tmp_path / 'epoch_2.pth'
    truncated.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointError) as err:
        load_checkpoint_file(str(truncated))
    assert str(truncated) in str(err.value)
    assert 'truncated or corrupt' in str(err.value)
    # still a RuntimeError for callers that caught the old refusal
    assert isinstance(err.value, RuntimeError)
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    with pytest.raises(CheckpointError, match=re.escape(str(empty))):
        load_checkpoint_file(str(empty))

    args = ['--config', TINY, '--checkpoint', str(truncated),
            '--out-dir', str(tmp_path / 'out'), str(tmp_path)]
    assert _run(monkeypatch, 'infer.py', *args) == 2
    line = _one_error_line(capsys.readouterr().err, 'infer.py')
    assert str(truncated) in line
    with pytest.raises(CheckpointError):
        _run(monkeypatch, 'infer.py', *args, '--debug')


def test_truncated_checkpoint_through_test_py(monkeypatch, capsys, tmp_path,
                                              tiny_checkpoint):
    """mmengine's Runner loads through cbad's loader: same message."""
    data = open(tiny_checkpoint, 'rb').read()
    truncated = tmp_path / 'epoch_2.pth'
    truncated.write_bytes(data[:len(data) - 100])
    assert _run(monkeypatch, 'test.py', TINY, str(truncated),
                '--work-dir', str(tmp_path)) == 2
    line = _one_error_line(capsys.readouterr().err, 'test.py')
    assert str(truncated) in line and 'truncated' in line


def test_cuda_without_cuda(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    args = [str(tmp_path), '--model', 'convae_ped2', '--device', 'cuda',
            '--out-dir', str(tmp_path / 'out')]
    assert _run(monkeypatch, 'infer.py', *args) == 2
    line = _one_error_line(capsys.readouterr().err, 'infer.py')
    assert "'cuda'" in line and '--device cpu' in line
    with pytest.raises(UserInputError, match='CUDA is not available'):
        _run(monkeypatch, 'infer.py', *args, '--debug')


def test_check_device_names_the_value(monkeypatch):
    assert check_device('cpu') == 'cpu'
    with pytest.raises(UserInputError, match="'gpu'"):
        check_device('gpu')
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 1)
    assert check_device('cuda:0') == 'cuda:0'
    with pytest.raises(UserInputError, match=r"'cuda:3'.*1 CUDA GPU"):
        check_device('cuda:3')


def test_unknown_type_name(monkeypatch, capsys, tmp_path):
    args = [TINY, '--work-dir', str(tmp_path), '--cfg-options',
            'model.encoder.type=ConvAEEncodr']
    assert _run(monkeypatch, 'train.py', *args) == 2
    line = _one_error_line(capsys.readouterr().err, 'train.py')
    assert 'ConvAEEncodr is not in the' in line
    assert 'Nearest registered names: ConvAEEncoder' in line
    with pytest.raises(KeyError, match='ConvAEEncoder'):
        _run(monkeypatch, 'train.py', *args, '--debug')


def test_dataset_error_through_test_py(monkeypatch, capsys, tmp_path):
    """A data root that does not exist, raised while the Runner builds the
    test dataset (inside mmengine), reaches the user as its own message."""
    monkeypatch.setenv('CBAD_DATA_ROOT', str(tmp_path / 'datasets'))
    args = ['convae_ped2', '--work-dir', str(tmp_path / 'work')]
    assert _run(monkeypatch, 'test.py', *args) == 2
    err = capsys.readouterr().err
    assert 'Traceback' not in err
    first = err.splitlines()[0]
    assert first.startswith('test.py: error: UCSDPed2Dataset')
    assert str(tmp_path / 'datasets' / 'ped2') in first
    with pytest.raises(UserInputError):
        _run(monkeypatch, 'test.py', *args, '--debug')


# ------------------------------------------------------ the tools' wiring
def test_every_tool_runs_main_through_run_cli():
    scripts = sorted(glob.glob(osp.join(ROOT, 'tools', '**', '*.py'),
                               recursive=True))
    assert len(scripts) >= 12
    for script in scripts:
        source = open(script).read()
        main_block = source.split("if __name__ == '__main__':")[-1]
        name = osp.relpath(script, ROOT)
        assert 'run_cli(main)' in main_block, name
        assert 'add_debug_argument(parser)' in source, name


def test_tool_process_prints_one_line_and_exits_2(tmp_path):
    """The ``__main__`` wiring, once in a real process (the ``--debug``
    traceback is run_cli re-raising, tested in-process above)."""
    missing = str(tmp_path / 'missing.py')
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    env.pop('CBAD_DEBUG', None)
    proc = subprocess.run([sys.executable, 'tools/train.py', missing],
                          cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert missing in _one_error_line(proc.stderr, 'train.py')


# ----------------------------------------------- item 11: no scope warnings
def test_every_mmengine_registry_finds_the_cbad_scope():
    """mmengine warns "Failed to search registry with scope 'cbad'" for each
    root registry without a cbad child: every root has one."""
    import mmengine.registry.root as roots
    from mmengine.registry import Registry

    import cbad.registry  # noqa: F401
    for name, root in vars(roots).items():
        if isinstance(root, Registry):
            with root.switch_scope_and_registry('cbad') as found:
                assert found.scope == 'cbad', name


def test_runs_log_no_failed_scope_search(tmp_path, capfd):
    from mmengine.runner import Runner

    from cbad.registry import register_all_modules
    from cbad.utils.launch import prepare_cfg
    register_all_modules()
    cfg = prepare_cfg(Config.fromfile(TINY), TINY, work_dir=str(tmp_path))
    cfg.train_cfg.max_epochs = 1
    Runner.from_cfg(cfg).train()
    out, err = capfd.readouterr()
    log = out + err
    assert 'Epoch(train)' in log  # the log was captured
    assert osp.isfile(tmp_path / 'epoch_1.pth')
    assert 'Failed to search registry' not in log
    assert 'may cause unexpected failure' not in log


def test_a_wrong_scope_still_warns():
    """The fix adds cbad's nodes; it does not silence mmengine's logger."""
    from mmengine.logging import MMLogger
    from mmengine.registry import OPTIMIZERS
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        with OPTIMIZERS.switch_scope_and_registry('cbadx'):
            pass
    finally:
        logger.removeHandler(handler)
    assert any('Failed to search registry with scope "cbadx"' in
               r.getMessage() for r in records)


@pytest.mark.parametrize('fails', [False, True])
def test_run_cli_destroys_the_process_group_it_leaves(tmp_path, fails):
    """A tool's process group is destroyed before the interpreter exits,
    whether the tool returns or fails."""
    dist = torch.distributed
    dist.init_process_group(
        'gloo', init_method=f'file://{tmp_path / "store"}', rank=0,
        world_size=1)
    assert dist.is_initialized()

    def tool():
        if fails:
            raise UserInputError('bad input')

    try:
        status = run_cli(tool, argv=[])
    finally:
        if dist.is_initialized():  # keep the other tests clean either way
            dist.destroy_process_group()
            pytest.fail('run_cli left the process group open')
    assert status == (2 if fails else 0)
