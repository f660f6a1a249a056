import os
import pickle

import numpy as np
import pytest

from cbad.datasets import FrameFolderSource, VideoFileSource
from cbad.datasets.sources import natural_key


def test_frame_folder_sorts_numerically_and_reads_bgr(tmp_path, fakes):
    folder = tmp_path / 'vid'
    fakes.write_frames(folder, 3, digits=1)  # 0.jpg 1.jpg 2.jpg
    fakes.write_frames(folder, 9, start=3, digits=1, ext='.png')  # .. 11.png
    (folder / 'notes.txt').write_text('ignored')
    source = FrameFolderSource(str(folder))
    assert source.name == 'vid' and source.num_frames == 12
    assert source.files[:4] == ['0.jpg', '1.jpg', '2.jpg', '3.png']
    assert source.files[-2:] == ['10.png', '11.png']  # not 10 before 2
    img = source.read(11)
    assert img.shape == (fakes.HEIGHT, fakes.WIDTH, 3)
    assert img.dtype == np.uint8
    clip = source.read_clip([0, 5, 11, 11])
    assert clip.shape == (4, fakes.HEIGHT, fakes.WIDTH, 3)
    assert [fakes.frame_id(f) for f in clip] == [0, 5, 11, 11]


def test_natural_key_orders_numbers_by_value():
    names = ['img10.jpg', 'img2.jpg', 'img1.jpg']
    assert sorted(names, key=natural_key) == ['img1.jpg', 'img2.jpg',
                                              'img10.jpg']


def test_frame_folder_out_of_range_index(tmp_path, fakes):
    source = FrameFolderSource(fakes.write_frames(tmp_path / 'v', 3))
    with pytest.raises(IndexError, match='3 frames'):
        source.read(3)


def test_empty_frame_folder_raises(tmp_path):
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'empty' / 'readme.txt').write_text('x')
    with pytest.raises(ValueError, match='no image frames'):
        FrameFolderSource(str(tmp_path / 'empty'))


def test_missing_frame_folder_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match='does not exist'):
        FrameFolderSource(str(tmp_path / 'nope'))


def test_corrupt_frame_error_names_the_file(tmp_path, fakes):
    folder = fakes.write_frames(tmp_path / 'v', 4)
    with open(os.path.join(folder, '002.jpg'), 'wb') as f:
        f.write(b'not a jpeg at all')
    source = FrameFolderSource(folder)
    source.read(1)
    with pytest.raises(OSError, match=r'002\.jpg'):
        source.read_clip([0, 1, 2, 3])


def test_frame_cache_is_lru_and_not_pickled(tmp_path, fakes):
    folder = fakes.write_frames(tmp_path / 'v', 5)
    source = FrameFolderSource(folder, cache_frames=2)
    for i in (0, 1, 2):
        source.read(i)
    assert list(source._cache) == [1, 2]  # 0 evicted first
    os.remove(os.path.join(folder, '001.jpg'))
    assert fakes.frame_id(source.read(1)) == 1  # served from the cache
    clone = pickle.loads(pickle.dumps(source))
    assert len(clone._cache) == 0 and clone.num_frames == 5
    assert fakes.frame_id(clone.read(4)) == 4


def test_mixed_frame_sizes_raise_clear_error(tmp_path, fakes):
    import cv2
    folder = fakes.write_frames(tmp_path / 'v', 2)
    cv2.imwrite(os.path.join(folder, '002.jpg'), np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match='differ in size'):
        FrameFolderSource(folder).read_clip([0, 1, 2])


@pytest.mark.parametrize('cache', [True, False])
def test_video_file_reads_any_order(tmp_path, fakes, cache):
    path = fakes.write_video(tmp_path / 'clip01.avi', 9)
    source = VideoFileSource(path, cache=cache)
    assert source.name == 'clip01' and source.num_frames == 9
    clip = source.read_clip([8, 0, 4, 4, 5])
    assert clip.shape == (5, fakes.HEIGHT, fakes.WIDTH, 3)
    assert clip.dtype == np.uint8
    assert [fakes.frame_id(f) for f in clip] == [8, 0, 4, 4, 5]
    with pytest.raises(IndexError):
        source.read(9)


def test_video_file_counts_frames_when_header_is_wrong(tmp_path, fakes,
                                                       monkeypatch):
    import cv2
    path = fakes.write_video(tmp_path / 'v.avi', 6)
    real_capture = cv2.VideoCapture

    class LyingCapture:
        """Wraps a real capture but reports a broken frame count."""

        def __init__(self, *args):
            self._cap = real_capture(*args)

        def get(self, prop):
            if prop == cv2.CAP_PROP_FRAME_COUNT:
                return 40.0  # broken container header
            return self._cap.get(prop)

        def __getattr__(self, name):
            return getattr(self._cap, name)

    monkeypatch.setattr(cv2, 'VideoCapture', LyingCapture)
    assert VideoFileSource(path).num_frames == 6


def test_video_file_is_picklable_after_reading(tmp_path, fakes):
    path = fakes.write_video(tmp_path / 'v.avi', 5)
    for cache in (True, False):
        source = VideoFileSource(path, cache=cache)
        source.read(3)
        clone = pickle.loads(pickle.dumps(source))
        assert clone._cap is None
        assert fakes.frame_id(clone.read(2)) == 2
        source.release()


def test_decoded_video_cache_stays_under_its_budget(tmp_path, fakes,
                                                    monkeypatch):
    from cbad.datasets.sources import video_file
    one_video = 5 * fakes.HEIGHT * fakes.WIDTH * 3
    monkeypatch.setattr(VideoFileSource, 'cache_limit_bytes', 2 * one_video)
    monkeypatch.setattr(video_file, '_DECODED', type(video_file._DECODED)())
    sources = [VideoFileSource(fakes.write_video(tmp_path / f'{i}.avi', 5))
               for i in range(3)]
    for source in sources:
        source.read(0)
    assert [k[0] for k in video_file._DECODED] == [s.path for s in sources[1:]]
    assert fakes.frame_id(sources[0].read(4)) == 4  # re-decoded on demand


def test_empty_video_file_raises_with_path(tmp_path):
    path = tmp_path / 'empty.avi'
    path.write_bytes(b'')
    with pytest.raises(ValueError, match='empty.avi'):
        VideoFileSource(str(path))


def test_unopenable_video_raises_with_path(tmp_path):
    path = tmp_path / 'garbage.avi'
    path.write_bytes(b'\x00' * 100)
    source = VideoFileSource(str(path))
    with pytest.raises((OSError, ValueError), match='garbage.avi'):
        source.num_frames


def test_missing_video_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.avi'):
        VideoFileSource(str(tmp_path / 'nope.avi'))
