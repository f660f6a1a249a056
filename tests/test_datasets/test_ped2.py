import numpy as np
import pytest
from scipy.io import savemat

from cbad.datasets import UCSDPed2Dataset, parse_ucsd_m

TRAIN = (10, 12, 8, 9)
TEST = (10, 12)
M_TEXT = ('TestVideoFile = {};\n'
          'TestVideoFile{end+1}.gt_frame = [3:5];\n'
          '% a comment with gt_frame = [1:2]\n'
          'TestVideoFile{end+1}.gt_frame = [1:2, 11:12];\n')


def expected_labels():
    first, second = np.zeros(10, np.uint8), np.zeros(12, np.uint8)
    first[2:5] = 1
    second[[0, 1, 10, 11]] = 1
    return {'first': first, 'second': second}


def write_community(root, fakes, gt=('m', )):
    for i, n in enumerate(TRAIN):
        fakes.write_frames(root / 'training' / 'frames' / f'{i + 1:02d}', n)
    for i, n in enumerate(TEST):
        fakes.write_frames(root / 'testing' / 'frames' / f'{i + 1:02d}', n)
    labels = expected_labels()
    if 'm' in gt:
        (root / 'UCSDped2.m').write_text(M_TEXT)
    if 'mat' in gt:
        cell = np.empty((1, 2), dtype=object)
        cell[0, 0] = np.array([[3], [5]], np.uint8)
        cell[0, 1] = np.array([[1, 11], [2, 12]], np.uint8)
        savemat(str(root / 'ped2.mat'), {'gt': cell})
    if 'npy' in gt:
        np.save(root / 'frame_labels.npy',
                np.concatenate([labels['first'], labels['second']]))
    return str(root)


def write_ucsd(root, fakes):
    base = root / 'UCSDped2'
    for i, n in enumerate(TRAIN):
        fakes.write_frames(base / 'Train' / f'Train{i + 1:03d}', n,
                           ext='.tif', start=1)
    for i, n in enumerate(TEST):
        fakes.write_frames(base / 'Test' / f'Test{i + 1:03d}', n, ext='.tif',
                           start=1)
    fakes.write_frames(base / 'Test' / 'Test001_gt', 10, ext='.bmp')
    (base / 'Test' / 'UCSDped2.m').write_text(M_TEXT)
    return str(root)


def check_test_split(ds, names):
    labels = expected_labels()
    assert list(ds.videos) == names
    assert list(ds.videos.values()) == list(TEST)
    got = ds.video_labels()
    np.testing.assert_array_equal(got[names[0]], labels['first'])
    np.testing.assert_array_equal(got[names[1]], labels['second'])


def test_parse_ucsd_m_handles_several_ranges_and_comments(tmp_path):
    path = tmp_path / 'gt.m'
    path.write_text(M_TEXT + 'TestVideoFile{end+1}.gt_frame = [];\n'
                    'TestVideoFile{end+1}.gt_frame = [7];\n')
    assert parse_ucsd_m(str(path)) == [[(3, 5)], [(1, 2), (11, 12)], [],
                                       [(7, 7)]]


@pytest.mark.parametrize('source', ['m', 'mat', 'npy'])
def test_community_layout_each_label_source(tmp_path, fakes, source):
    root = write_community(tmp_path, fakes, gt=('m', 'mat', 'npy'))
    ds = UCSDPed2Dataset(data_root=root, split='test', clip_len=4,
                         label_source=source)
    check_test_split(ds, ['01', '02'])
    assert ds.metainfo['label_source'] == source
    assert ds.metainfo['layout'] == 'frames'


def test_auto_prefers_m_then_mat(tmp_path, fakes):
    root = write_community(tmp_path, fakes, gt=('mat', 'npy'))
    ds = UCSDPed2Dataset(data_root=root, split='test', clip_len=4)
    assert ds.metainfo['label_source'] == 'mat'
    check_test_split(ds, ['01', '02'])


def test_original_ucsd_layout_skips_gt_folders(tmp_path, fakes):
    root = write_ucsd(tmp_path, fakes)
    test = UCSDPed2Dataset(data_root=root, split='test', clip_len=4)
    check_test_split(test, ['Test001', 'Test002'])
    assert test.metainfo['layout'] == 'ucsd'
    train = UCSDPed2Dataset(data_root=root, split='train', clip_len=4,
                            val_ratio=0.25)
    val = UCSDPed2Dataset(data_root=root, split='val', clip_len=4,
                          val_ratio=0.25)
    assert list(val.videos) == ['Train003']
    assert list(train.videos) == ['Train001', 'Train002', 'Train004']
    assert 'gt_labels' not in train.data_list[0]
    # data_root may also be the UCSDped2 folder itself.
    inner = UCSDPed2Dataset(data_root=root + '/UCSDped2', split='test',
                            clip_len=4)
    assert list(inner.videos) == ['Test001', 'Test002']


def test_ranges_past_video_end_raise(tmp_path, fakes):
    root = write_community(tmp_path, fakes, gt=())
    (tmp_path / 'UCSDped2.m').write_text(
        'TestVideoFile{end+1}.gt_frame = [3:11];\n'
        'TestVideoFile{end+1}.gt_frame = [1:2];\n')
    with pytest.raises(ValueError, match=r"'01'.*\[3:11\].*10 frames"):
        UCSDPed2Dataset(data_root=root, split='test', clip_len=4)


def test_wrong_number_of_gt_entries_raises(tmp_path, fakes):
    root = write_community(tmp_path, fakes, gt=())
    (tmp_path / 'UCSDped2.m').write_text(
        'TestVideoFile{end+1}.gt_frame = [3:5];\n')
    with pytest.raises(ValueError, match='1 test videos.*2 test video'):
        UCSDPed2Dataset(data_root=root, split='test', clip_len=4)


def test_npy_label_count_mismatch_raises(tmp_path, fakes):
    root = write_community(tmp_path, fakes, gt=())
    np.save(tmp_path / 'frame_labels.npy', np.zeros(21, np.uint8))
    with pytest.raises(ValueError, match='21 labels.*22 frames'):
        UCSDPed2Dataset(data_root=root, split='test', label_source='npy')


def test_missing_ground_truth_lists_what_was_searched(tmp_path, fakes):
    root = write_community(tmp_path, fakes, gt=())
    with pytest.raises(FileNotFoundError, match='UCSDped2.m'):
        UCSDPed2Dataset(data_root=root, split='test')
    # Training needs no ground truth.
    assert len(UCSDPed2Dataset(data_root=root, split='train', clip_len=4))


def test_unknown_layout_lists_found_and_accepted(tmp_path):
    (tmp_path / 'videos').mkdir()
    with pytest.raises(FileNotFoundError) as err:
        UCSDPed2Dataset(data_root=str(tmp_path), split='test')
    message = str(err.value)
    assert "['videos']" in message and 'UCSDped2/Train' in message
    assert 'training/frames' in message


def test_missing_root_prints_tree(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'testing/frames/01/000\.jpg'):
        UCSDPed2Dataset(data_root=str(tmp_path / 'missing'))


def test_bad_label_source_raises(tmp_path):
    with pytest.raises(ValueError, match='label_source'):
        UCSDPed2Dataset(data_root=str(tmp_path), label_source='csv')
