import numpy as np
import pytest
import torch

from cbad.datasets import FrameFolderSource
from cbad.datasets.transforms import LoadClipFrames, PackClipInputs, ResizeClip
from cbad.registry import TRANSFORMS
from cbad.structures import ClipDataSample


@pytest.fixture
def results(tmp_path, fakes):
    source = FrameFolderSource(fakes.write_frames(tmp_path / 'v01', 6))
    return dict(video='v01', video_index=0, num_frames=6, source=source,
                frame_indices=np.array([2, 3, 4, 5]),
                gt_labels=np.array([0, 0, 1, 1], np.uint8))


def test_load_color_and_gray(results, fakes):
    out = LoadClipFrames()(dict(results))
    assert out['imgs'].shape == (4, fakes.HEIGHT, fakes.WIDTH, 3)
    assert out['imgs'].dtype == np.uint8
    assert out['ori_shape'] == (fakes.HEIGHT, fakes.WIDTH)
    assert [fakes.frame_id(f) for f in out['imgs']] == [2, 3, 4, 5]
    gray = LoadClipFrames(to_gray=True)(dict(results))['imgs']
    assert gray.shape == (4, fakes.HEIGHT, fakes.WIDTH, 1)


@pytest.mark.parametrize('channels', [1, 3])
def test_resize_keeps_channels_and_dtype(channels):
    imgs = np.random.randint(0, 255, (5, 20, 30, channels), np.uint8)
    out = ResizeClip(size=(10, 12))(dict(imgs=imgs))
    assert out['imgs'].shape == (5, 10, 12, channels)
    assert out['imgs'].dtype == np.uint8
    assert out['img_shape'] == (10, 12)


def test_resize_area_averages_and_rejects_bad_args():
    imgs = np.zeros((1, 2, 2, 1), np.uint8)
    imgs[0, 0, 0] = 200
    assert ResizeClip((1, 1))(dict(imgs=imgs))['imgs'][0, 0, 0, 0] == 50
    with pytest.raises(ValueError, match='interpolation'):
        ResizeClip((4, 4), interpolation='cubic-ish')
    with pytest.raises(ValueError, match='size'):
        ResizeClip((4, ))


def test_pipeline_packs_cthw_uint8_and_metainfo(results):
    pipeline = [TRANSFORMS.build(t) for t in (
        dict(type='LoadClipFrames', to_gray=True),
        dict(type='ResizeClip', size=(8, 16)),
        dict(type='PackClipInputs'))]
    out = dict(results)
    for transform in pipeline:
        out = transform(out)
    assert set(out) == {'inputs', 'data_samples'}
    assert out['inputs'].shape == (1, 4, 8, 16)
    assert out['inputs'].dtype == torch.uint8
    sample = out['data_samples']
    assert isinstance(sample, ClipDataSample)
    assert sample.video == 'v01' and sample.num_frames == 6
    assert sample.frame_indices.tolist() == [2, 3, 4, 5]
    assert sample.gt_labels.dtype == torch.uint8
    assert sample.gt_labels.tolist() == [0, 0, 1, 1]


def test_pack_without_labels_and_frame_order(results):
    results.pop('gt_labels')
    imgs = np.arange(2 * 3 * 4 * 2, dtype=np.uint8).reshape(2, 3, 4, 2)
    out = PackClipInputs()(dict(results, imgs=imgs))
    assert 'gt_labels' not in out['data_samples']
    # (T, H, W, C) -> (C, T, H, W)
    assert torch.equal(out['inputs'][1, 0], torch.from_numpy(imgs[0, :, :, 1]))
    with pytest.raises(KeyError, match='LoadClipFrames'):
        PackClipInputs()(dict(results))
