import numpy as np
import pytest

from cbad.datasets import ShanghaiTechDataset, load_shanghaitech_labels

TEST = {'01_0014': 9, '02_0161': 7}


TRAIN = ('01_001', '01_002', '02_001', '03_001', '04_001')


def write_tree(root, fakes, train='videos',
               mask_dir='testing/test_frame_mask'):
    for i, name in enumerate(TRAIN):
        if train == 'videos':
            fakes.write_video(root / 'training' / 'videos' / f'{name}.avi',
                              6 + i)
        elif train == 'frames':
            fakes.write_frames(root / 'training' / 'frames' / name, 6 + i)
    labels = {}
    for name, n in TEST.items():
        fakes.write_frames(root / 'testing' / 'frames' / name, n)
        labels[name] = (np.arange(n) % 3 == 0).astype(np.uint8)
    (root / mask_dir).mkdir(parents=True)
    for name, lab in labels.items():
        np.save(root / mask_dir / f'{name}.npy', lab)
    return str(root), labels


@pytest.mark.parametrize('mask_dir', ['testing/test_frame_mask',
                                      'test_frame_mask'])
def test_test_split_with_labels(tmp_path, fakes, mask_dir):
    root, labels = write_tree(tmp_path, fakes, mask_dir=mask_dir)
    ds = ShanghaiTechDataset(data_root=root, split='test', clip_len=4)
    assert ds.videos == TEST
    for name, lab in ds.video_labels().items():
        np.testing.assert_array_equal(lab, labels[name])
    assert ds.metainfo['label_source'] == 'test_frame_mask'


def test_label_loader_needs_no_frames(tmp_path):
    (tmp_path / 'test_frame_mask').mkdir()
    np.save(tmp_path / 'test_frame_mask' / '02_0001.npy', np.ones(3, np.uint8))
    np.save(tmp_path / 'test_frame_mask' / '01_0001.npy',
            np.zeros(2, np.uint8))
    labels = load_shanghaitech_labels(str(tmp_path))
    assert list(labels) == ['01_0001', '02_0001']
    assert [len(v) for v in labels.values()] == [2, 3]


@pytest.mark.parametrize('train', ['videos', 'frames'])
def test_train_from_videos_or_frames(tmp_path, fakes, train):
    root, _ = write_tree(tmp_path, fakes, train=train)
    ds = ShanghaiTechDataset(data_root=root, split='train', clip_len=4,
                             val_ratio=0.2)
    val = ShanghaiTechDataset(data_root=root, split='val', clip_len=4,
                              val_ratio=0.2)
    assert ds.metainfo['layout'] == f'training/{train}'
    assert list(val.videos) == ['02_001']
    assert list(ds.videos.values()) == [6, 7, 9, 10]


def test_label_length_mismatch_and_missing_label(tmp_path, fakes):
    root, _ = write_tree(tmp_path, fakes)
    mask_dir = tmp_path / 'testing' / 'test_frame_mask'
    np.save(mask_dir / '02_0161.npy', np.zeros(8, np.uint8))
    with pytest.raises(ValueError, match="'02_0161'.*8 labels.*7 frames"):
        ShanghaiTechDataset(data_root=root, split='test', clip_len=4)
    (mask_dir / '02_0161.npy').unlink()
    with pytest.raises(ValueError, match='02_0161.*no label file'):
        ShanghaiTechDataset(data_root=root, split='test', clip_len=4)


def test_missing_training_data_prints_tree(tmp_path):
    (tmp_path / 'testing').mkdir()
    with pytest.raises(FileNotFoundError, match='training/videos/01_001.avi'):
        ShanghaiTechDataset(data_root=str(tmp_path), split='train')
