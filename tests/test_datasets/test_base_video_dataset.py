import pickle

import numpy as np
import pytest

from cbad.datasets import BaseVideoDataset

PIPELINE = [
    dict(type='LoadClipFrames'),
    dict(type='PackClipInputs'),
]


class ToyDataset(BaseVideoDataset):
    """Frame-folder videos under data_root/train/<name>, data_root/test/<name>.

    data_root/
      train/<video>/000.jpg ...
      test/<video>/000.jpg ...
    """
    EXPECTED_TREE = __doc__
    test_labels = {}

    def list_videos(self, split):
        root = f'{self.data_root}/{split}'
        import os
        return [(n, self.frame_folder(f'{root}/{n}'),
                 self.test_labels.get(n) if split == 'test' else None)
                for n in sorted(os.listdir(root))]


@pytest.fixture
def toy_root(tmp_path, fakes):
    def make(train_counts, test_counts=(20, )):
        for i, n in enumerate(train_counts):
            fakes.write_frames(tmp_path / 'train' / f'v{i:02d}', n)
        for i, n in enumerate(test_counts):
            fakes.write_frames(tmp_path / 'test' / f't{i:02d}', n)
        return str(tmp_path)
    return make


def frames_by_video(dataset):
    """Source frame ids each video's clips cover."""
    covered = {}
    for info in dataset.data_list:
        covered.setdefault(info['video'], set()).update(
            (info['frame_indices'] + info['frame_offset']).tolist())
    return covered


def test_val_by_whole_videos_is_disjoint_spread_and_covering(toy_root):
    root = toy_root([8] * 10)
    kw = dict(data_root=root, clip_len=4, stride=2, val_ratio=0.2)
    train = ToyDataset(split='train', **kw)
    val = ToyDataset(split='val', **kw)
    assert set(val.videos) == {'v02', 'v07'}  # 2 of 10, spread over the set
    assert set(train.videos).isdisjoint(val.videos)
    assert set(train.videos) | set(val.videos) == {f'v{i:02d}' for i in
                                                   range(10)}
    meta = val.metainfo
    assert meta['val_mode'] == 'videos' and meta['val_videos'] == [
        'v02', 'v07'
    ]
    assert meta['split'] == 'val' and meta['clip_len'] == 4
    assert meta['stride'] == 2 and meta['dataset_name'] == 'ToyDataset'
    assert train.metainfo['val_videos'] == meta['val_videos']
    # video_index counts videos within the split.
    assert sorted({i['video_index'] for i in val.data_list}) == [0, 1]


def test_val_takes_at_least_one_video(toy_root):
    root = toy_root([6] * 4)
    val = ToyDataset(data_root=root, split='val', clip_len=4, val_ratio=0.01)
    assert len(val.videos) == 1


def test_val_by_trailing_frames_with_few_videos(toy_root):
    root = toy_root([40, 40, 7])
    kw = dict(data_root=root, clip_len=4, stride=2, val_ratio=0.25)
    train = ToyDataset(split='train', **kw)
    val = ToyDataset(split='val', **kw)
    train_frames, val_frames = frames_by_video(train), frames_by_video(val)
    assert val.metainfo['val_mode'] == 'trailing_frames'
    # 10 of 40 frames held out; the 10-frame video is too short to split.
    assert val_frames == {v: set(range(30, 40)) for v in ('v00', 'v01')}
    assert val.metainfo['val_frame_ranges'] == {'v00': [30, 40],
                                                'v01': [30, 40]}
    for video in ('v00', 'v01'):
        assert train_frames[video] == set(range(30))
    assert train_frames['v02'] == set(range(7))
    # a carved part is scored as a video of its own: ids relative to it
    assert all(i['num_frames'] == 10 for i in val.data_list)
    assert all(i['frame_indices'].min() >= 0 and i['frame_indices'].max() < 10
               for i in val.data_list)
    assert val.videos == {'v00': 10, 'v01': 10}


def test_video_sample_unit_gives_one_sample_per_part(toy_root):
    root = toy_root([40, 40, 7])
    kw = dict(data_root=root, clip_len=4, stride=2, val_ratio=0.25,
              sample_unit='video')
    val = ToyDataset(split='val', **kw)
    assert len(val) == 2
    assert [i['frame_indices'].tolist() for i in val.data_list] == [
        list(range(10))] * 2
    assert [i['frame_offset'] for i in val.data_list] == [30, 30]
    train = ToyDataset(split='train', **kw)
    assert [i['num_frames'] for i in train.data_list] == [30, 30, 7]
    with pytest.raises(ValueError, match='sample_unit'):
        ToyDataset(split='train', data_root=root, sample_unit='frame')


def test_val_ratio_zero_keeps_all_for_train_and_empty_val_errors(toy_root):
    root = toy_root([8] * 5)
    train = ToyDataset(data_root=root, split='train', clip_len=4,
                       val_ratio=0)
    assert len(train.videos) == 5
    with pytest.raises(ValueError, match='val split is empty'):
        ToyDataset(data_root=root, split='val', clip_len=4, val_ratio=0)


def test_clips_carry_labels_and_cover_test_frames(toy_root):
    root = toy_root([8] * 2, test_counts=(13, ))
    labels = np.zeros(13, np.uint8)
    labels[5:9] = 1
    ToyDataset.test_labels = {'t00': labels}
    try:
        test = ToyDataset(data_root=root, split='test', clip_len=4, stride=4)
    finally:
        ToyDataset.test_labels = {}
    assert [int(i['frame_indices'][0]) for i in test.data_list] == [0, 4, 8, 9]
    for info in test.data_list:
        np.testing.assert_array_equal(info['gt_labels'],
                                      labels[info['frame_indices']])
        assert info['gt_labels'].dtype == np.uint8
    assert frames_by_video(test)['t00'] == set(range(13))
    np.testing.assert_array_equal(test.video_labels()['t00'], labels)
    assert test.videos == {'t00': 13}


def test_label_count_mismatch_names_video_and_counts(toy_root):
    root = toy_root([8] * 2, test_counts=(13, ))
    ToyDataset.test_labels = {'t00': np.zeros(12, np.uint8)}
    try:
        with pytest.raises(ValueError, match=r"'t00'.*12 labels.*13 frames"):
            ToyDataset(data_root=root, split='test', clip_len=4)
    finally:
        ToyDataset.test_labels = {}


def test_missing_data_root_shows_expected_tree(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        ToyDataset(data_root=str(tmp_path / 'nowhere'), split='train')
    assert 'nowhere' in str(err.value)
    assert 'train/<video>/000.jpg' in str(err.value)


def test_short_video_warns_with_its_name(toy_root):
    root = toy_root([8] * 2, test_counts=(3, ))
    with pytest.warns(UserWarning, match="Video 't00'.*3 frames"):
        test = ToyDataset(data_root=root, split='test', clip_len=4)
    np.testing.assert_array_equal(test.data_list[0]['frame_indices'],
                                  [0, 1, 2, 2])


def test_max_videos_and_bad_arguments(toy_root):
    root = toy_root([8] * 6)
    assert len(ToyDataset(data_root=root, split='train', clip_len=4,
                          val_ratio=0, max_videos=2).videos) == 2
    with pytest.raises(ValueError, match='split must be one of'):
        ToyDataset(data_root=root, split='training')
    with pytest.raises(ValueError, match='val_ratio'):
        ToyDataset(data_root=root, val_ratio=1.0)
    with pytest.raises(ValueError, match='clip_len'):
        ToyDataset(data_root=root, clip_len=0)


def test_getitem_shares_source_and_dataset_pickles(toy_root, fakes):
    root = toy_root([10] * 4)
    ds = ToyDataset(data_root=root, split='train', clip_len=4, stride=4,
                    pipeline=PIPELINE, frame_cache=64)
    info = ds.get_data_info(1)
    assert info['source'] is ds.data_list[1]['source']  # no deep copy
    info['frame_indices'][0] = -1
    assert ds.data_list[1]['frame_indices'][0] != -1
    out = ds[1]
    assert out['inputs'].shape == (3, 4, fakes.HEIGHT, fakes.WIDTH)
    clone = pickle.loads(pickle.dumps(ds))
    assert len(clone) == len(ds)
    assert (clone[1]['inputs'] == out['inputs']).all()


def test_serialize_data_still_works(toy_root):
    root = toy_root([10] * 4)
    ds = ToyDataset(data_root=root, split='train', clip_len=4,
                    pipeline=PIPELINE, serialize_data=True)
    assert ds[0]['inputs'].shape[1] == 4


def test_frame_steps_add_skipped_clips_to_training(toy_root):
    root = toy_root([20] * 2)
    kw = dict(data_root=root, split='train', clip_len=4, stride=4,
              val_ratio=0)
    plain = ToyDataset(**kw)
    steps = ToyDataset(frame_steps=(1, 2, 3), **kw)
    ids = [tuple(info['frame_indices'].tolist()) for info in steps.data_list
           if info['video'] == 'v00']
    # step 1: the plain clips, first and unchanged
    plain_ids = [tuple(info['frame_indices'].tolist())
                 for info in plain.data_list if info['video'] == 'v00']
    assert ids[:len(plain_ids)] == plain_ids
    # step 2 (span 7): starts 0, 4, 8, 12 and 13 (end-aligned)
    assert ids[len(plain_ids):len(plain_ids) + 5] == [
        (0, 2, 4, 6), (4, 6, 8, 10), (8, 10, 12, 14), (12, 14, 16, 18),
        (13, 15, 17, 19)]
    # step 3 (span 10): starts 0, 4, 8 and 10
    assert ids[len(plain_ids) + 5:] == [
        (0, 3, 6, 9), (4, 7, 10, 13), (8, 11, 14, 17), (10, 13, 16, 19)]
    assert steps.metainfo['frame_steps'] == (1, 2, 3)
    assert len(steps) == 2 * len(ids)
    # a step alone leaves out the consecutive clips
    only_two = ToyDataset(frame_steps=(2, ), **kw)
    assert all((np.diff(info['frame_indices']) == 2).all()
               for info in only_two.data_list)


def test_frame_steps_skip_videos_shorter_than_the_span(toy_root, fakes):
    root = toy_root([6, 20])
    steps = ToyDataset(data_root=root, split='train', clip_len=4, stride=4,
                       val_ratio=0, frame_steps=(1, 2), pipeline=PIPELINE)
    short = [info['frame_indices'].tolist() for info in steps.data_list
             if info['video'] == 'v00']
    assert short == [[0, 1, 2, 3], [2, 3, 4, 5]]  # span 7 > 6 frames
    # a skipped clip loads the frames it names: the last is 13, 15, 17, 19
    clip = steps[len(steps) - 1]['inputs'][0]  # (T, H, W), one channel
    assert [fakes.frame_id(f.numpy()) for f in clip] == [13, 15, 17, 19]


@pytest.mark.parametrize('kw, match', [
    (dict(frame_steps=()), 'distinct positive ints'),
    (dict(frame_steps=(1, 1)), 'distinct positive ints'),
    (dict(frame_steps=(0, )), 'distinct positive ints'),
    (dict(frame_steps=(1.5, )), 'distinct positive ints'),
    (dict(frame_steps=(1, 2), split='test'), 'training clips only'),
    (dict(frame_steps=(1, 2), sample_unit='video'), 'training clips only'),
])
def test_frame_steps_bad_arguments(toy_root, kw, match):
    root = toy_root([20] * 2)
    kw = dict(dict(data_root=root, split='train', clip_len=4, stride=4), **kw)
    with pytest.raises(ValueError, match=match):
        ToyDataset(pipeline=PIPELINE, **kw)
