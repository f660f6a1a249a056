"""tools/infer.py: model arguments, summary, exit codes."""
import importlib.util
import json
import os.path as osp
import sys

import cv2
import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def cli():
    spec = importlib.util.spec_from_file_location(
        'infer_cli', osp.join(ROOT, 'tools', 'infer.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(cli, monkeypatch, *args):
    monkeypatch.setattr(sys, 'argv', ['infer.py', *args])
    return cli.main()


def test_config_and_checkpoint(cli, monkeypatch, capsys, tmp_path,
                               tiny_files, footage):
    config, checkpoint = tiny_files
    video = footage.write_video(tmp_path / 'clip.mp4', footage.frames_of(15))
    out = tmp_path / 'out'
    assert _run(cli, monkeypatch, video, '--config', config, '--checkpoint',
                checkpoint, '--out-dir', str(out), '--min-duration',
                '0.2') == 0
    printed = capsys.readouterr().out
    assert 'clip: 15 frames at' in printed and 'frames/s' in printed
    events = json.loads((out / 'events.json').read_text())
    assert events['config'] == config and events['checkpoint'] == checkpoint
    assert events['min_frames'] == 2  # 0.2 s at 10 fps
    assert all(e['num_frames'] >= 2 for e in events['events'])


def test_exit_codes(cli, monkeypatch, capsys, tmp_path, tiny_files,
                    footage):
    config, checkpoint = tiny_files
    model = ['--config', config, '--checkpoint', checkpoint]
    frames = footage.frames_of(9)
    frames[5] = cv2.resize(frames[5], (40, 30))
    folder = footage.write_folder(tmp_path / 'mixed', frames)
    out = tmp_path / 'out'
    assert _run(cli, monkeypatch, folder, *model, '--out-dir', str(out)) == 2
    assert 'frame 5 is' in capsys.readouterr().err
    assert json.loads((out / 'events.json').read_text())['num_frames'] == 5
    assert _run(cli, monkeypatch, str(tmp_path / 'none.mp4'), *model,
                '--out-dir', str(out)) == 2
    assert 'does not exist' in capsys.readouterr().err
    assert _run(cli, monkeypatch, folder, '--model', 'convae_pde2',
                '--out-dir', str(out)) == 2
    assert 'convae_ped2' in capsys.readouterr().err  # the nearest name
    with pytest.raises(SystemExit):  # argparse: no model at all
        _run(cli, monkeypatch, folder, '--out-dir', str(out))


def test_exit_codes_of_live_sources(cli, monkeypatch, capsys, tmp_path,
                                    tiny_files, fake_stream):
    config, checkpoint = tiny_files
    args = ['rtsp://cam/live', '--config', config, '--checkpoint', checkpoint,
            '--out-dir', str(tmp_path / 'out'), '--reconnect', '0']
    fake_stream.plan = [6]
    assert _run(cli, monkeypatch, *args) == 3
    assert 'stream dropped after 6 frames' in capsys.readouterr().err
    fake_stream.plan, fake_stream.opened = [4], 0
    fake_stream.raise_after = KeyboardInterrupt()
    assert _run(cli, monkeypatch, *args) == 130
    assert 'interrupted' in capsys.readouterr().err


@pytest.mark.parametrize('bad, message', [
    (['--model', 'convae_ped2', '--checkpoint', 'w.pth'],
     '--model takes the zoo checkpoint'),
    (['--model', 'convae_ped2', '--chunk', '0'], '--chunk: must be >= 1'),
    (['--model', 'convae_ped2', '--chunk', 'x'], "'x' is not an integer"),
    (['--model', 'convae_ped2', '--fps', '0'], '--fps: must be > 0'),
    (['--model', 'convae_ped2', '--fps', 'nan'], '--fps: must be > 0'),
    (['--model', 'convae_ped2', '--reconnect', '-1'], 'must be >= 0'),
])
def test_bad_arguments(cli, monkeypatch, capsys, tmp_path, bad, message):
    with pytest.raises(SystemExit) as exit_:
        _run(cli, monkeypatch, 'clip.mp4', '--out-dir', str(tmp_path), *bad)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
