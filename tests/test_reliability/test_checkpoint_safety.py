"""A "weights-only" checkpoint reaches nothing beyond tensors and numpy.

With ``builtins.getattr`` on the weights-only allowlist, ``getattr(getattr,
'__self__')`` is the ``builtins`` module, so a file could, for one, put
``builtins.exit`` where its state dict's ``items`` and ``keys`` methods are:
``tools/test.py`` and ``tools/infer.py`` then stopped with exit status 0 and
no output. The files below are built so that torch's weights-only unpickler
accepts them exactly when getattr is allowed.
"""
import builtins
import collections
import importlib.util
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import Runner

import cbad.utils.checkpoint as checkpoint_module
from cbad.engine.hooks import PlainMessageHubHook
from cbad.registry import register_all_modules
from cbad.utils import load_checkpoint_file

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(ROOT, 'tests', 'configs', 'convae_synthetic_tiny.py')


class Attr:
    """Pickles as ``getattr(obj, name)``: a GLOBAL builtins.getattr, REDUCE."""

    def __init__(self, obj, name):
        self.obj, self.name = obj, name

    def __reduce__(self):
        return getattr, (self.obj, self.name)


BUILTINS = Attr(getattr, '__self__')  # the builtins module


class ExitAsItems:
    """A state dict whose ``items``/``keys`` are ``builtins.exit``: an
    OrderedDict (allowed) whose BUILD step sets its ``__dict__``."""

    def __reduce__(self):
        exit_fn = Attr(BUILTINS, 'exit')
        return (collections.OrderedDict, (), {'items': exit_fn,
                                              'keys': exit_fn}, None,
                iter([('weight', torch.zeros(2))]))


PAYLOADS = {
    'exit_as_state_dict_items': dict(state_dict=ExitAsItems(), meta={}),
    'builtins_module_in_meta': dict(state_dict={'w': torch.zeros(1)},
                                    meta={'m': BUILTINS}),
    'eval_in_meta': dict(state_dict={'w': torch.zeros(1)},
                         meta={'f': Attr(BUILTINS, 'eval')}),
}


@pytest.fixture(autouse=True)
def no_full_pickle(monkeypatch):
    """Every test starts (and ends) without the --trust-checkpoint opt-in."""
    monkeypatch.setattr(checkpoint_module, '_ALLOW_FULL_PICKLE', False)


@pytest.fixture
def crafted(tmp_path):
    def write(kind):
        path = tmp_path / f'{kind}.pth'
        torch.save(PAYLOADS[kind], path)
        return path
    return write


def load_with_getattr_allowed(path):
    with torch.serialization.safe_globals([getattr]):
        return torch.load(path, weights_only=True)


def test_the_crafted_files_are_real_attacks_if_getattr_is_allowed(crafted):
    """Guard for the tests below: each file loads weights-only and hands
    over a builtin exactly when getattr is allowlisted."""
    loaded = load_with_getattr_allowed(crafted('exit_as_state_dict_items'))
    assert loaded['state_dict'].items is builtins.exit
    loaded = load_with_getattr_allowed(crafted('builtins_module_in_meta'))
    assert loaded['meta']['m'] is builtins
    loaded = load_with_getattr_allowed(crafted('eval_in_meta'))
    assert loaded['meta']['f'] is builtins.eval


def test_allowlist_holds_no_builtin():
    trusted = checkpoint_module._safe_globals()
    assert getattr not in trusted
    assert HistoryBuffer not in trusted
    assert not [t for t in trusted
                if getattr(t, '__module__', None) == 'builtins']


@pytest.mark.parametrize('kind', sorted(PAYLOADS))
def test_loader_refuses_files_that_reach_builtins(crafted, kind):
    path = crafted(kind)
    with pytest.raises(RuntimeError) as info:
        load_checkpoint_file(str(path))
    message = str(info.value)
    assert str(path) in message and '--trust-checkpoint' in message
    assert 'getattr' in message  # says what was refused


def run_tool(tool, argv, capsys):
    """``python tools/<tool>.py ARGV`` in this process: (status, output)."""
    spec = importlib.util.spec_from_file_location(
        f'_cbad_tool_{tool}', osp.join(ROOT, 'tools', f'{tool}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    saved = sys.argv
    sys.argv = [f'{tool}.py', *argv]
    message = ''
    try:
        # as `if __name__ == '__main__'` runs it, whichever form it has
        cli = getattr(module, 'run_cli', None)
        status = cli(module.main) if cli else module.main()
    except SystemExit as err:  # builtins.exit() ends up here, code None
        status = err.code
    except Exception as err:  # an uncaught error: exit status 1
        status, message = 1, str(err)
    finally:
        sys.argv = saved
    captured = capsys.readouterr()
    return status, message + captured.out + captured.err


@pytest.fixture(scope='module', autouse=True)
def unformatted_config_text():
    """Skip yapf in mmengine's ``Config.pretty_text`` (slow, irrelevant)."""
    import mmengine.config.config as mmengine_config
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mmengine_config, 'FormatCode',
                      lambda text, **kwargs: (text, False))
        yield


def test_tools_test_exits_nonzero_naming_the_file(crafted, tmp_path, capsys):
    path = crafted('exit_as_state_dict_items')
    status, output = run_tool(
        'test', [TINY, str(path), '--work-dir', str(tmp_path / 'work'),
                 '--cfg-options', 'experiment_name=crafted_test'], capsys)
    assert status not in (0, None), output
    assert str(path) in output and '--trust-checkpoint' in output


def test_tools_infer_exits_nonzero_naming_the_file(crafted, tmp_path,
                                                   capsys):
    path = crafted('exit_as_state_dict_items')
    frames = tmp_path / 'frames'
    frames.mkdir()
    status, output = run_tool(
        'infer', [str(frames), '--config', TINY, '--checkpoint', str(path),
                  '--out-dir', str(tmp_path / 'out')], capsys)
    assert status not in (0, None), output
    assert str(path) in output and '--trust-checkpoint' in output
    assert not (tmp_path / 'out').exists()


def test_init_detector_and_get_model_refuse_the_file(crafted, monkeypatch):
    from cbad.apis import init_detector, model_zoo
    path = crafted('exit_as_state_dict_items')
    with pytest.raises(RuntimeError, match='--trust-checkpoint') as info:
        init_detector(TINY, str(path))
    assert str(path) in str(info.value)
    # a zoo entry whose weights were replaced (metafile hash included)
    monkeypatch.setattr(model_zoo, 'get_model_info',
                        lambda name: dict(Config=TINY, Weights=str(path)))
    monkeypatch.setattr(model_zoo, 'verify_weights', lambda info: None)
    with pytest.raises(RuntimeError, match='--trust-checkpoint') as info:
        model_zoo.get_model('convae_ped2')
    assert str(path) in str(info.value)


def hub_with_history():
    hub = MessageHub.get_instance('checkpoint_safety_hub')
    for step, loss in enumerate([0.5, 0.25, 0.125]):
        hub.update_scalar('train/loss', loss)
        hub.update_scalar('train/lr', 1e-3, count=step + 1)
    hub.update_info('epoch', 3)
    hub.update_info('eta', np.float64(1.5))
    return hub


def test_message_hub_round_trips_through_a_weights_only_file(tmp_path):
    hub = hub_with_history()
    ckpt = dict(meta=dict(epoch=3), state_dict={'w': torch.ones(1)},
                message_hub=hub.state_dict())
    hook = PlainMessageHubHook()
    hook.before_save_checkpoint(None, ckpt)
    path = tmp_path / 'new.pth'
    torch.save(ckpt, path)
    unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(str(path))
    assert not [g for g in unsafe if 'getattr' in g or 'History' in g]
    loaded = load_checkpoint_file(str(path))  # no opt-in needed
    hook.after_load_checkpoint(None, loaded)
    restored = MessageHub.get_instance('checkpoint_safety_restored')
    restored.load_state_dict(loaded['message_hub'])
    for key in ('train/loss', 'train/lr'):
        before, after = hub.get_scalar(key).data, restored.get_scalar(
            key).data
        for a, b in zip(before, after):
            assert a.dtype == b.dtype and np.array_equal(a, b)
    assert restored.get_scalar('train/loss').mean() == pytest.approx(
        0.875 / 3)
    assert restored.get_info('eta') == 1.5


def test_old_training_checkpoint_needs_the_flag_and_still_resumes(
        tmp_path):
    """Files from before the fix hold HistoryBuffers: refused with a
    message naming the file and the flag; loaded (and resumable) with it."""
    hub = hub_with_history()
    path = tmp_path / 'old.pth'
    torch.save(dict(meta=dict(epoch=3), state_dict={'w': torch.ones(1)},
                    message_hub=hub.state_dict()), path)
    with pytest.raises(RuntimeError) as info:
        load_checkpoint_file(str(path))
    message = str(info.value)
    assert str(path) in message and '--trust-checkpoint' in message
    assert 'older cbad' in message
    checkpoint_module.allow_full_pickle_checkpoints(True)
    loaded = load_checkpoint_file(str(path))
    PlainMessageHubHook().after_load_checkpoint(None, loaded)
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer) and buffer.current() == 0.125


def test_training_checkpoints_load_weights_only_and_resume(tmp_path):
    """tools/train.py's checkpoints need nothing beyond the allowlist, and a
    resume from one carries the logged history on."""
    register_all_modules()
    work = tmp_path / 'work'

    def runner(name, **cfg_options):
        cfg = Config.fromfile(TINY)
        cfg.merge_from_dict(dict(work_dir=str(work), experiment_name=name,
                                 **cfg_options))
        return Runner.from_cfg(cfg)

    runner('first', **{'train_cfg.max_epochs': 1}).train()
    path = work / 'epoch_1.pth'
    allowed = {f'{g.__module__}.{g.__qualname__}'
               for g in checkpoint_module._safe_globals()}
    unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(str(path))
    assert set(unsafe) <= allowed, set(unsafe) - allowed
    assert not [g for g in unsafe if 'getattr' in g or 'History' in g]
    iters = load_checkpoint_file(str(path))['meta']['iter']
    resumed = runner('resumed', resume=True, load_from=str(path))
    resumed.train()
    losses = resumed.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == 2 * iters  # epoch 1's history, then epoch 2's
