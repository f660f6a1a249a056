"""Zoo names as the CONFIG / CHECKPOINT arguments of tools/test.py."""
import importlib.util
import os.path as osp
import sys

import pytest

from cbad.apis import (get_model_info, resolve_checkpoint,
                       resolve_config_and_checkpoint)
from cbad.apis.model_zoo import repo_root

ROOT = repo_root()
CONFIG = osp.join('configs', 'convae', 'convae_ped2.py')


def test_paths_are_returned_unchanged(tmp_path):
    ckpt = tmp_path / 'epoch_1.pth'
    ckpt.write_bytes(b'')
    assert resolve_checkpoint(str(ckpt)) == str(ckpt)
    # a missing path keeps tools/test.py's "Checkpoint not found"
    assert resolve_checkpoint('work_dirs/x/epoch_9.pth') == \
        'work_dirs/x/epoch_9.pth'
    assert resolve_config_and_checkpoint(CONFIG, str(ckpt)) == (CONFIG,
                                                                str(ckpt))


def test_a_zoo_name_as_checkpoint_is_its_weights():
    weights = get_model_info('memae_ped2')['Weights']
    assert resolve_checkpoint('memae_ped2') == weights
    assert resolve_config_and_checkpoint(CONFIG, 'memae_ped2') == (CONFIG,
                                                                   weights)


def test_a_zoo_name_alone_is_its_config_and_weights():
    info = get_model_info('convae_ped2_patchmax')
    assert resolve_config_and_checkpoint('convae_ped2_patchmax') == (
        info['Config'], info['Weights'])


def test_a_file_named_like_a_model_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'convae_ped2').write_bytes(b'')
    assert resolve_checkpoint('convae_ped2') == 'convae_ped2'


def test_config_file_without_checkpoint_is_an_error():
    with pytest.raises(ValueError, match='No checkpoint given'):
        resolve_config_and_checkpoint(CONFIG)


def test_unknown_name_is_an_error_naming_the_nearest():
    with pytest.raises(KeyError, match="'memae_pde2' is not a file.*"
                       'Nearest names: memae_ped2'):
        resolve_checkpoint('memae_pde2')
    with pytest.raises(KeyError, match='Nearest names: futurepred_ped2'):
        resolve_config_and_checkpoint('futurepred_ped')


@pytest.mark.parametrize('argv, message', [
    (['convae_pde2'], 'Nearest names: convae_ped2'),
    ([CONFIG], 'No checkpoint given'),
    ([CONFIG, 'missing/epoch_1.pth'], 'Checkpoint not found: missing/'),
])
def test_tools_test_reports_bad_arguments(argv, message, monkeypatch,
                                          capsys):
    """The CLI takes one or two positionals and fails before any data (in
    process: the tool's own main under run_cli, as its __main__ runs it)."""
    spec = importlib.util.spec_from_file_location(
        'cbad_tools_test', osp.join(ROOT, 'tools', 'test.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, 'argv', ['tools/test.py', *argv])
    try:
        status, text = tool.run_cli(tool.main), capsys.readouterr().err
    except SystemExit as err:  # sys.exit(message): Python prints it
        status, text = err.code, str(err.code)
    assert status not in (0, None)
    assert message in text
