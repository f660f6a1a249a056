import numpy as np
import pytest

from cbad.datasets import VideoFolderDataset


def test_train_test_layout_with_mixed_sources_and_labels(tmp_path, fakes):
    fakes.write_video(tmp_path / 'train' / 'cam1.avi', 9)
    fakes.write_frames(tmp_path / 'train' / 'cam2', 8)
    fakes.write_video(tmp_path / 'test' / 'cam1_fri.avi', 7)
    fakes.write_frames(tmp_path / 'test' / 'cam2_sat', 6)
    (tmp_path / 'labels').mkdir()
    np.save(tmp_path / 'labels' / 'cam1_fri.npy',
            np.array([0, 0, 1, 1, 0, 0, 0], np.uint8))
    (tmp_path / 'labels' / 'cam2_sat.txt').write_text('0 1\n1 0\n0 0\n')
    root = str(tmp_path)
    train = VideoFolderDataset(data_root=root, split='train', clip_len=4,
                               val_ratio=0.4)
    # 2 videos: val takes trailing frames, train keeps the first part
    assert train.videos == {'cam1': 5, 'cam2': 4}
    assert train.metainfo['layout'] == 'train/test'
    test = VideoFolderDataset(data_root=root, split='test', clip_len=4,
                              pipeline=[dict(type='LoadClipFrames'),
                                        dict(type='PackClipInputs')])
    labels = test.video_labels()
    np.testing.assert_array_equal(labels['cam2_sat'], [0, 1, 1, 0, 0, 0])
    assert labels['cam1_fri'].tolist() == [0, 0, 1, 1, 0, 0, 0]
    sample = test[0]['data_samples']
    assert sample.gt_labels.tolist() == [0, 0, 1, 1]


def test_single_folder_is_a_test_set(tmp_path, fakes):
    fakes.write_video(tmp_path / 'a.avi', 5)
    fakes.write_frames(tmp_path / 'b', 5)
    (tmp_path / 'labels').mkdir()  # not a video, even though it is a folder
    (tmp_path / 'labels' / 'a.txt').write_text('0,0,0,1,1')
    test = VideoFolderDataset(data_root=str(tmp_path), split='test',
                              clip_len=4)
    assert list(test.videos) == ['a', 'b']
    assert list(test.video_labels()) == ['a']  # b is unlabelled
    assert 'gt_labels' not in [i for i in test.data_list
                               if i['video'] == 'b'][0]
    with pytest.raises(FileNotFoundError, match='no train/ folder'):
        VideoFolderDataset(data_root=str(tmp_path), split='train')


def test_loose_images_and_bad_labels_raise(tmp_path, fakes):
    fakes.write_frames(tmp_path, 3)
    with pytest.raises(ValueError, match='subfolder'):
        VideoFolderDataset(data_root=str(tmp_path), split='test')


def test_label_values_must_be_binary(tmp_path, fakes):
    fakes.write_frames(tmp_path / 'v', 3)
    (tmp_path / 'labels').mkdir()
    (tmp_path / 'labels' / 'v.txt').write_text('0 2 1')
    with pytest.raises(ValueError, match='0/1'):
        VideoFolderDataset(data_root=str(tmp_path), split='test')


def test_empty_folder_and_missing_root(tmp_path):
    with pytest.raises(FileNotFoundError, match='no video files'):
        VideoFolderDataset(data_root=str(tmp_path), split='test')
    with pytest.raises(FileNotFoundError, match='labels/'):
        VideoFolderDataset(data_root=str(tmp_path / 'missing'))
