"""open_input: every kind of footage, and a clear error for each bad one."""
import itertools
import logging

import cv2
import numpy as np
import pytest

from cbad.datasets.sources.inputs import CaptureInput, list_videos, open_input


def test_video_file(tmp_path, footage):
    frames = footage.frames_of(7)
    source = open_input(footage.write_video(tmp_path / 'clip.mp4', frames,
                                            fps=5))
    assert (source.name, source.fps, source.total) == ('clip', 5.0, 7)
    assert not source.is_live and not source.dropped
    got = list(source)
    assert [i for i, _, _ in got] == list(range(7))
    assert [t for _, t, _ in got] == pytest.approx(np.arange(7) / 5)
    assert got[0][2].shape == (24, 32, 3) and got[0][2].dtype == np.uint8
    assert open_input(str(tmp_path / 'clip.mp4'), fps=2).fps == 2.0


def test_frame_folder_natural_order_and_fps(tmp_path, footage):
    frames = footage.frames_of(12)
    source = open_input(footage.write_folder(tmp_path / 'v01', frames))
    assert (source.name, source.fps, source.total) == ('v01', 25.0, 12)
    got = list(source)
    # 10.png and 11.png come after 9.png, not after 1.png
    for (index, timestamp, frame), expected in zip(got, frames):
        np.testing.assert_array_equal(frame, expected)
    assert got[-1][:2] == (11, 11 / 25)
    assert open_input(str(tmp_path / 'v01'), fps=10).fps == 10.0


def test_camera_index_and_url_are_live(fake_stream):
    fake_stream.plan = [5, 5]
    source = open_input('0')
    assert isinstance(source, CaptureInput) and source.spec == 0
    assert source.is_live and source.total is None and source.fps == 10.0
    assert source.name == 'camera0'
    url = open_input('rtsp://cam.local/live/stream1', reconnect=0)
    assert url.is_live and url.name == 'stream1'
    got = list(url)
    assert [i for i, _, _ in got] == list(range(5))
    times = [t for _, t, _ in got]
    assert times[0] >= 0 and times == sorted(times)  # since start


def test_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.mp4 does not exist.*'
                       'camera index'):
        open_input(str(tmp_path / 'nope.mp4'))


def test_zero_length_file(tmp_path):
    (tmp_path / 'empty.mp4').write_bytes(b'')
    with pytest.raises(ValueError, match=r'empty.mp4 is empty \(0 bytes\)'):
        open_input(str(tmp_path / 'empty.mp4'))


def test_file_opencv_cannot_open(tmp_path):
    path = tmp_path / 'noise.mp4'
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ValueError, match='OpenCV cannot .*noise.mp4.*ffmpeg'):
        open_input(str(path))


def test_file_that_opens_but_yields_no_frame(tmp_path, monkeypatch,
                                              fake_stream):
    (tmp_path / 'clip.avi').write_bytes(b'x')
    fake_stream.plan = [0]
    with pytest.raises(ValueError, match='cannot open .*clip.avi'):
        open_input(str(tmp_path / 'clip.avi'))

    class OpensButEmpty(fake_stream):
        def isOpened(self):
            return True

    monkeypatch.setattr(cv2, 'VideoCapture', OpensButEmpty)
    with pytest.raises(ValueError, match='cannot read a frame from .*clip'):
        open_input(str(tmp_path / 'clip.avi'))


def test_folders_without_frames(tmp_path, footage):
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'empty' / 'notes.txt').write_text('x')
    with pytest.raises(ValueError, match='holds no images .* and no videos'):
        open_input(str(tmp_path / 'empty'))
    videos = tmp_path / 'videos'
    videos.mkdir()
    for name in ('b10.mp4', 'b2.mp4'):
        footage.write_video(videos / name, footage.frames_of(3))
    assert list_videos(str(videos)) == ['b2.mp4', 'b10.mp4']
    with pytest.raises(ValueError, match='folder of 2 videos.*list_videos'):
        open_input(str(videos))


def test_unreadable_image_is_named(tmp_path, footage):
    folder = footage.write_folder(tmp_path / 'v', footage.frames_of(4))
    (tmp_path / 'v' / '2.png').write_bytes(b'not a png')
    source = open_input(folder)
    with pytest.raises(ValueError, match=r'2.png \(frame 2 of'):
        list(source)
    (tmp_path / 'v' / '0.png').write_bytes(b'')
    with pytest.raises(ValueError, match='0.png'):  # at once: first frame
        open_input(folder)


def test_stream_drop_reconnects_and_keeps_numbering(fake_stream,
                                                    warnings_log):
    # 4 frames, drop; a failed reopen; back for 3 frames; drop for good
    fake_stream.plan = [4, 0, 3]
    source = open_input('rtsp://cam/x', reconnect=2, reconnect_wait=0)
    got = list(source)
    assert [i for i, _, _ in got] == list(range(7))
    messages = [r.getMessage() for r in warnings_log]
    assert sum('stream dropped after 4 frames, reconnecting (1/2)' in m
               for m in messages) == 1
    assert sum('after 4 frames, reconnecting (2/2)' in m
               for m in messages) == 1
    assert sum('after 7 frames, reconnecting' in m for m in messages) == 2
    assert source.dropped


def test_stream_gives_up_after_reconnect_attempts(fake_stream,
                                                  warnings_log):
    fake_stream.plan = [6]
    source = open_input('rtsp://cam/x', reconnect=3, reconnect_wait=0)
    assert len(list(source)) == 6
    assert source.dropped and fake_stream.opened == 1 + 3
    errors = [r.getMessage() for r in warnings_log
              if r.levelno == logging.ERROR]
    assert len(errors) == 1 and '3 reconnect attempts failed' in errors[0]


def test_truncated_video_file_warns_and_ends(tmp_path, monkeypatch,
                                             fake_stream, warnings_log):
    (tmp_path / 'cut.avi').write_bytes(b'x')

    class Truncated(fake_stream):
        def get(self, prop):
            return 20.0 if prop == cv2.CAP_PROP_FRAME_COUNT else 10.0

    monkeypatch.setattr(cv2, 'VideoCapture', Truncated)
    source = open_input(str(tmp_path / 'cut.avi'))
    assert source.total == 20 and not source.is_live
    assert len(list(source)) == 5 and not source.dropped
    assert any('container announced 20 frames, 5 were decoded' in
               r.getMessage() for r in warnings_log)


@pytest.mark.parametrize('url, name', [
    ('http://host/media/clip.mp4?token=1', 'clip'),
    ('file:///data/videos/walk.avi', 'walk'),
])
def test_url_of_a_file_ends_at_its_end(url, name, fake_stream, monkeypatch,
                                       warnings_log):
    class Served(fake_stream):  # a file: the container announces 5 frames
        plan = [5, 5, 5]

        def get(self, prop):
            return 5.0 if prop == cv2.CAP_PROP_FRAME_COUNT else 10.0

    monkeypatch.setattr(cv2, 'VideoCapture', Served)
    source = open_input(url, reconnect=3, reconnect_wait=0)
    assert not source.is_live and source.total == 5 and source.name == name
    got = list(source)  # not replayed from the start after its end
    assert [i for i, _, _ in got] == list(range(5))
    assert [t for _, t, _ in got] == pytest.approx(np.arange(5) / 10)
    assert Served.opened == 1 and not source.dropped
    assert not any('reconnecting' in r.getMessage() for r in warnings_log)


def test_file_url_with_real_opencv(tmp_path, footage):
    path = footage.write_video(tmp_path / 'clip.mp4', footage.frames_of(7))
    source = open_input('file://' + path, reconnect_wait=0)
    assert not source.is_live and source.total == 7
    assert len(list(itertools.islice(source, 50))) == 7  # once, not again


def test_stream_reconnects_are_capped_over_the_run(fake_stream,
                                                   warnings_log):
    # every reconnect works, and every one drops after 2 frames
    fake_stream.plan = [2] * 40
    source = open_input('rtsp://cam/x', reconnect=1, reconnect_wait=0)
    assert len(list(source)) == 2 * (1 + 10)  # default: 10 x reconnect
    assert source.dropped and fake_stream.opened == 1 + 10
    assert 'max_reconnects=10' in source.drop_reason
    errors = [r.getMessage() for r in warnings_log
              if r.levelno == logging.ERROR]
    assert len(errors) == 1 and 'reconnected 10 times' in errors[0]

    fake_stream.opened = 0
    source = open_input('rtsp://cam/x', reconnect=1, reconnect_wait=0,
                        max_reconnects=2)
    assert len(list(source)) == 2 * 3 and source.dropped


@pytest.mark.parametrize('reported', [0.0, float('nan'), -1.0, 90000.0])
def test_unknown_frame_rate_falls_back_to_25(reported, tmp_path, footage,
                                             fake_stream, monkeypatch,
                                             warnings_log):
    (tmp_path / 'clip.avi').write_bytes(b'x')

    class NoRate(fake_stream):
        plan = [5, 5]

        def get(self, prop):
            return (reported if prop == cv2.CAP_PROP_FPS else
                    float('nan'))  # no frame count either

    monkeypatch.setattr(cv2, 'VideoCapture', NoRate)
    source = open_input(str(tmp_path / 'clip.avi'))
    assert source.fps == 25.0 and source.total is None
    assert any('frame rate is unknown' in r.getMessage()
               for r in warnings_log)
    got = list(source)
    assert [t for _, t, _ in got] == pytest.approx(np.arange(5) / 25)
    assert open_input(str(tmp_path / 'clip.avi'), fps=8).fps == 8.0


@pytest.mark.parametrize('fps', [0, -5, float('nan'), float('inf')])
def test_bad_fps_is_refused(fps, tmp_path, footage):
    folder = footage.write_folder(tmp_path / 'v', footage.frames_of(2))
    with pytest.raises(ValueError, match='fps must be a number > 0'):
        open_input(folder, fps=fps)
