import numpy as np
import pytest
from scipy.io import savemat

from cbad.datasets import AvenueDataset

TEST_LABELS = {
    '01': np.array([0, 0, 1, 1, 1, 0, 0, 0], np.uint8),
    '02': np.array([1, 0, 0, 0, 0, 1], np.uint8),
}
# The ranges file disagrees with the masks on one frame, as the real ones do.
MAT_LABELS = {
    '01': np.array([0, 1, 1, 1, 1, 0, 0, 0], np.uint8),
    '02': np.array([1, 0, 0, 0, 0, 1], np.uint8),
}


def write_masks(folder, labels):
    folder.mkdir(parents=True, exist_ok=True)
    for name, video_labels in labels.items():
        cell = np.empty((1, len(video_labels)), dtype=object)
        for t, abnormal in enumerate(video_labels):
            mask = np.zeros((6, 8), np.uint8)
            mask[2, 3] = abnormal  # one abnormal pixel is enough
            cell[0, t] = mask
        savemat(str(folder / f'{int(name)}_label.mat'), {'volLabel': cell})


def write_avenue(root, fakes, masks='testing_label_mask', mat=True):
    for name in ('01', '02', '03'):
        fakes.write_video(root / 'training_videos' / f'{name}.avi', 7)
    for name, labels in TEST_LABELS.items():
        fakes.write_video(root / 'testing_videos' / f'{name}.avi', len(labels))
    if masks:
        write_masks(root / masks, TEST_LABELS)
    if mat:
        cell = np.empty((1, 2), dtype=object)
        cell[0, 0] = np.array([[2], [5]])
        cell[0, 1] = np.array([[1, 6], [1, 6]])
        savemat(str(root / 'avenue.mat'), {'gt': cell})
    return str(root)


@pytest.mark.parametrize('mask_dir', [
    'testing_label_mask', 'ground_truth_demo/testing_label_mask'])
def test_mask_labels(tmp_path, fakes, mask_dir):
    root = write_avenue(tmp_path, fakes, masks=mask_dir)
    ds = AvenueDataset(data_root=root, split='test', clip_len=4, stride=2)
    assert ds.metainfo['label_source'] == 'mask'  # auto prefers masks
    assert ds.videos == {'01': 8, '02': 6}
    for name, labels in ds.video_labels().items():
        np.testing.assert_array_equal(labels, TEST_LABELS[name])


def test_mat_ranges_labels_and_recorded_source(tmp_path, fakes):
    root = write_avenue(tmp_path, fakes)
    ds = AvenueDataset(data_root=root, split='test', clip_len=4,
                       label_source='mat')
    assert ds.metainfo['label_source'] == 'mat'
    assert ds.metainfo['label_file'].endswith('avenue.mat')
    for name, labels in ds.video_labels().items():
        np.testing.assert_array_equal(labels, MAT_LABELS[name])


def test_auto_falls_back_to_mat(tmp_path, fakes):
    root = write_avenue(tmp_path, fakes, masks=None)
    ds = AvenueDataset(data_root=root, split='test', clip_len=4)
    assert ds.metainfo['label_source'] == 'mat'


def test_train_clips_read_video_frames(tmp_path, fakes):
    root = write_avenue(tmp_path, fakes)
    ds = AvenueDataset(
        data_root=root, split='train', clip_len=4, stride=3, val_ratio=0.3,
        pipeline=[dict(type='LoadClipFrames'), dict(type='PackClipInputs')])
    assert ds.metainfo['val_mode'] == 'trailing_frames'  # only 3 videos
    out = ds[1]
    assert out['inputs'].shape == (3, 4, fakes.HEIGHT, fakes.WIDTH)
    ids = out['data_samples'].frame_indices
    frames = out['inputs'].permute(1, 2, 3, 0).numpy()
    assert [fakes.frame_id(f) for f in frames] == ids.tolist()


def test_missing_mask_file_and_wrong_mask_length(tmp_path, fakes):
    root = write_avenue(tmp_path, fakes, mat=False)
    (tmp_path / 'testing_label_mask' / '2_label.mat').unlink()
    with pytest.raises(FileNotFoundError, match="'02'.*2_label.mat"):
        AvenueDataset(data_root=root, split='test', clip_len=4)
    write_masks(tmp_path / 'testing_label_mask',
                {'02': np.zeros(5, np.uint8)})
    with pytest.raises(ValueError, match="'02'.*5 labels.*6 frames"):
        AvenueDataset(data_root=root, split='test', clip_len=4)


def test_no_labels_at_all_raises_with_tree(tmp_path, fakes):
    root = write_avenue(tmp_path, fakes, masks=None, mat=False)
    with pytest.raises(FileNotFoundError, match='testing_label_mask'):
        AvenueDataset(data_root=root, split='test')


def test_missing_root_prints_tree(tmp_path):
    with pytest.raises(FileNotFoundError, match='training_videos/01.avi'):
        AvenueDataset(data_root=str(tmp_path / 'avenue'))


def test_empty_video_file_raises_with_its_path(tmp_path, fakes):
    root = write_avenue(tmp_path, fakes)
    (tmp_path / 'training_videos' / '02.avi').write_bytes(b'')
    with pytest.raises(ValueError, match='02.avi'):
        AvenueDataset(data_root=root, split='train')
