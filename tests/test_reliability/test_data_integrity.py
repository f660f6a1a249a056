"""Data that is wrong must be reported, never scored as if it were right.

Covers issue 9: gaps and duplicates in frame numbering, a data root holding
quotes or backslashes, and clear errors (naming the file and what to do) for
an empty video folder, missing labels, a missing data root, a symbolic-link
cycle and a corrupt frame.
"""
import glob
import importlib.util
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from cbad.datasets import (FrameFolderSource, ShanghaiTechDataset,
                           UCSDPed2Dataset, VideoFolderDataset)
from cbad.utils.errors import (CorruptDataError, DataNotFoundError,
                               UserInputError)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
M_TEXT = ('TestVideoFile{end+1}.gt_frame = [3:5];\n'
          'TestVideoFile{end+1}.gt_frame = [1:2];\n')


def write_frames(folder, num_frames, start=0, digits=3, ext='.jpg'):
    os.makedirs(folder, exist_ok=True)
    for i in range(start, start + num_frames):
        frame = np.full((24, 32, 3), (i * 10) % 250, np.uint8)
        assert cv2.imwrite(osp.join(str(folder), f'{i:0{digits}d}{ext}'),
                           frame)
    return str(folder)


def write_ped2(root, test_frames=(12, 10)):
    for i in range(4):
        write_frames(root / 'training' / 'frames' / f'{i + 1:02d}', 8)
    for i, n in enumerate(test_frames):
        write_frames(root / 'testing' / 'frames' / f'{i + 1:02d}', n)
    (root / 'UCSDped2.m').write_text(M_TEXT)
    return root


def ped2_test(root, **kwargs):
    return UCSDPed2Dataset(data_root=str(root), split='test', clip_len=4,
                           **kwargs)


# --------------------------------------------------------- frame numbering
def test_missing_middle_frame_is_named_not_shifted(tmp_path):
    root = write_ped2(tmp_path)
    os.remove(root / 'testing' / 'frames' / '01' / '005.jpg')
    with pytest.raises(UserInputError) as err:
        ped2_test(root)
    message = str(err.value)
    assert osp.join('testing', 'frames', '01') in message
    assert 'missing frame numbers [5]' in message


@pytest.mark.parametrize('extra', ['10.jpg', '010.png'])
def test_duplicate_frame_numbers_are_named(tmp_path, extra):
    root = write_ped2(tmp_path)
    folder = root / 'testing' / 'frames' / '01'  # 000.jpg .. 011.jpg
    cv2.imwrite(str(folder / extra), np.zeros((24, 32, 3), np.uint8))
    with pytest.raises(UserInputError) as err:
        ped2_test(root)
    message = str(err.value)
    assert str(folder) in message and '010.jpg' in message
    assert extra in message


def test_frames_missing_before_the_first_are_reported(tmp_path):
    folder = write_frames(tmp_path / 'v', 5, start=3)  # 003.jpg .. 007.jpg
    with pytest.raises(UserInputError, match=r'start at 3'):
        FrameFolderSource(folder)


def test_unnumbered_file_among_numbered_frames_is_reported(tmp_path):
    folder = write_frames(tmp_path / 'v', 5)
    cv2.imwrite(osp.join(folder, 'thumbnail.jpg'),
                np.zeros((24, 32, 3), np.uint8))
    with pytest.raises(UserInputError, match='thumbnail.jpg'):
        FrameFolderSource(folder)


def test_valid_numberings_are_accepted(tmp_path):
    assert FrameFolderSource(write_frames(tmp_path / 'a', 12, start=1,
                                          ext='.tif')).num_frames == 12
    assert FrameFolderSource(write_frames(tmp_path / 'b', 12,
                                          digits=1)).num_frames == 12
    folder = tmp_path / 'c'  # names without numbers: nothing to check
    folder.mkdir()
    for name in ('first.jpg', 'second.jpg'):
        cv2.imwrite(str(folder / name), np.zeros((8, 8, 3), np.uint8))
    assert FrameFolderSource(str(folder)).num_frames == 2
    # a gap is accepted only when the check is switched off on purpose
    gap = write_frames(tmp_path / 'd', 6)
    os.remove(osp.join(gap, '002.jpg'))
    assert FrameFolderSource(gap, check_numbering=False).num_frames == 5


def test_numbering_is_checked_by_every_frame_folder_dataset(tmp_path):
    # ShanghaiTech test frames
    sh = tmp_path / 'sh'
    write_frames(sh / 'testing' / 'frames' / '01_0014', 9)
    (sh / 'testing' / 'test_frame_mask').mkdir(parents=True)
    np.save(sh / 'testing' / 'test_frame_mask' / '01_0014.npy',
            np.zeros(8, np.uint8))
    os.remove(sh / 'testing' / 'frames' / '01_0014' / '004.jpg')
    with pytest.raises(UserInputError, match=r'01_0014.*\[4\]'):
        ShanghaiTechDataset(data_root=str(sh), split='test', clip_len=4)
    # your own footage
    own = tmp_path / 'own'
    write_frames(own / 'test' / 'cam2', 9)
    os.remove(own / 'test' / 'cam2' / '007.jpg')
    with pytest.raises(UserInputError, match=r'cam2.*\[7\]'):
        VideoFolderDataset(data_root=str(own), split='test', clip_len=4)
    # opting out at dataset level keeps the position-based reading
    ds = VideoFolderDataset(data_root=str(own), split='test', clip_len=4,
                            check_frame_numbers=False)
    assert ds.videos == {'cam2': 8}


# ------------------------------------------------------- data root in env
def _data_roots(node, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'data_root':
                found.append(value)
            _data_roots(value, found)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _data_roots(value, found)
    return found


def test_every_config_takes_a_data_root_with_quotes_and_backslashes(
        tmp_path, monkeypatch):
    data_root = str(tmp_path / 'o\'brien "data" a\\d b\\1 c')
    monkeypatch.setenv('CBAD_DATA_ROOT', data_root)
    configs = sorted(glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                               recursive=True))
    assert len(configs) > 30
    datasets = set()
    for path in configs:
        cfg = Config.fromfile(path)
        for value in _data_roots(cfg.to_dict(), []):
            assert osp.dirname(value) == data_root, (path, value)
            datasets.add(osp.basename(value))
    assert datasets == {'ped2', 'avenue', 'shanghaitech'}
    # what the runner dumps into work_dir reads back the same
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'cbad', 'cbad_ped2.py'))
    again = Config.fromstring(cfg.pretty_text, '.py')
    assert again.test_dataloader.dataset.data_root == osp.join(
        data_root, 'ped2')


def test_unset_or_empty_data_root_falls_back_to_data(monkeypatch):
    path = osp.join(ROOT, 'configs', 'memae', 'memae_shanghaitech.py')
    for value in (None, ''):
        if value is None:
            monkeypatch.delenv('CBAD_DATA_ROOT', raising=False)
        else:
            monkeypatch.setenv('CBAD_DATA_ROOT', value)
        cfg = Config.fromfile(path)
        assert cfg.test_dataloader.dataset.data_root == osp.join(
            'data', 'shanghaitech')


# ------------------------------------------------ clear errors for mistakes
def test_missing_data_root_names_it_and_the_variable(tmp_path):
    with pytest.raises(DataNotFoundError) as err:
        ped2_test(tmp_path / 'nowhere')
    assert str(tmp_path / 'nowhere') in str(err.value)
    assert 'CBAD_DATA_ROOT' in str(err.value)
    assert isinstance(err.value, FileNotFoundError)  # old handlers still work


def test_empty_video_folder_is_named(tmp_path):
    root = write_ped2(tmp_path)
    (root / 'testing' / 'frames' / '03').mkdir()
    with pytest.raises(UserInputError) as err:
        ped2_test(root)
    assert str(root / 'testing' / 'frames' / '03') in str(err.value)
    assert 'no image frames' in str(err.value)


def test_missing_labels_are_named(tmp_path):
    root = write_ped2(tmp_path)
    os.remove(root / 'UCSDped2.m')
    with pytest.raises(DataNotFoundError, match='UCSDped2.m'):
        ped2_test(root)
    sh = tmp_path / 'sh'
    write_frames(sh / 'testing' / 'frames' / '01_0014', 6)
    write_frames(sh / 'testing' / 'frames' / '01_0015', 6)
    (sh / 'testing' / 'test_frame_mask').mkdir(parents=True)
    np.save(sh / 'testing' / 'test_frame_mask' / '01_0014.npy',
            np.zeros(6, np.uint8))
    with pytest.raises(UserInputError, match=r"01_0015.*test_frame_mask"):
        ShanghaiTechDataset(data_root=str(sh), split='test', clip_len=4)


def test_symlink_cycles_are_named_not_skipped(tmp_path):
    root = write_ped2(tmp_path)
    frames = root / 'testing' / 'frames'
    os.symlink('04', frames / '03')  # 03 -> 04 -> 03
    os.symlink('03', frames / '04')
    with pytest.raises(CorruptDataError) as err:
        ped2_test(root)
    assert str(frames / '03') in str(err.value) and 'loop' in str(err.value)

    root = write_ped2(tmp_path / 'b')
    os.symlink('012.jpg', root / 'testing' / 'frames' / '01' / '012.jpg')
    with pytest.raises(CorruptDataError, match=r'012\.jpg.*loop'):
        ped2_test(root)

    os.symlink('loop', tmp_path / 'loop')  # the data root itself
    with pytest.raises(CorruptDataError, match='loop'):
        ped2_test(tmp_path / 'loop')


def _corrupt(path, how):
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2] if how == 'truncated' else b'junk')


@pytest.mark.parametrize('how', ['truncated', 'undecodable'])
def test_corrupt_frame_fails_when_read_and_names_the_file(tmp_path, how):
    folder = tmp_path / 'v'
    folder.mkdir()
    for i in range(4):  # noise, so that half a JPEG still holds a frame
        noise = np.random.default_rng(i).integers(0, 255, (48, 64, 3))
        cv2.imwrite(str(folder / f'{i:03d}.jpg'), noise.astype(np.uint8))
    _corrupt(folder / '002.jpg', how)
    source = FrameFolderSource(str(folder))
    assert source.read(1).shape == (48, 64, 3)
    with pytest.raises(CorruptDataError, match=r"video 'v'.*002\.jpg"):
        source.read(2)


def test_check_frames_finds_every_corrupt_frame_up_front(tmp_path):
    root = write_ped2(tmp_path)
    _corrupt(root / 'testing' / 'frames' / '01' / '003.jpg', 'undecodable')
    _corrupt(root / 'testing' / 'frames' / '02' / '007.jpg', 'truncated')
    assert ped2_test(root).videos == {'01': 12, '02': 10}  # lazy by default
    with pytest.raises(CorruptDataError) as err:
        ped2_test(root, check_frames=True)
    assert osp.join('01', '003.jpg') in str(err.value)
    assert osp.join('02', '007.jpg') in str(err.value)


def test_test_tool_check_frames_flag_fails_before_scoring(tmp_path,
                                                          monkeypatch):
    root = write_ped2(tmp_path / 'ped2')
    _corrupt(root / 'testing' / 'frames' / '02' / '004.jpg', 'undecodable')
    ckpt = tmp_path / 'not_loaded.pth'
    ckpt.write_bytes(b'never read: the frame check comes first')
    spec = importlib.util.spec_from_file_location(
        'cbad_tools_test_check_frames', osp.join(ROOT, 'tools', 'test.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.setattr(sys, 'argv', [
        'test.py', osp.join(ROOT, 'configs', 'convae', 'convae_ped2.py'),
        str(ckpt), '--check-frames', '--work-dir', str(tmp_path / 'work'),
        '--cfg-options', f'test_dataloader.dataset.data_root={root}',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False'
    ])
    with pytest.raises((CorruptDataError, SystemExit)) as err:
        tool.main()
    message = str(getattr(err.value, 'code', None) or err.value)
    assert osp.join('02', '004.jpg') in message
