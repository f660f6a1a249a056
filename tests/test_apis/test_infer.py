"""run_inference: same scores streamed or offline, every output written, and
on bad input or interruption the frames read before it are kept."""
import csv
import json

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from cbad.apis import find_events, infer, infer_outputs, run_inference
from cbad.structures.window_stream import WindowStream
from cbad.evaluation.functional import roc_auc
from cbad.registry import MODELS

LENGTH = 23


def _csv(out_dir):
    with open(out_dir / 'scores.csv') as f:
        return list(csv.reader(f))


def _events(out_dir):
    return json.loads((out_dir / 'events.json').read_text())


def _video_frames(path):
    cap = cv2.VideoCapture(str(path))
    count = 0
    while cap.read()[0]:
        count += 1
    cap.release()
    return count


def test_streaming_equals_offline(tmp_path, tiny, footage):
    video = footage.write_video(tmp_path / 'clip.mp4',
                                footage.frames_of(LENGTH), fps=10)
    streamed = run_inference(tiny, None, video, str(tmp_path / 's'),
                             progress=False)
    offline = run_inference(tiny, None, video, str(tmp_path / 'o'),
                            offline=True, progress=False)
    rows_s, rows_o = _csv(tmp_path / 's'), _csv(tmp_path / 'o')
    assert len(rows_s) == len(rows_o) == LENGTH + 1
    scores_s = np.array([float(r[2]) for r in rows_s[1:]])
    scores_o = np.array([float(r[2]) for r in rows_o[1:]])
    np.testing.assert_allclose(scores_s, scores_o, rtol=1e-5, atol=1e-7)
    assert [r[3] for r in rows_s] == [r[3] for r in rows_o]
    assert len(streamed['events']) == len(offline['events']) >= 2
    assert streamed['scoring'] == 'streaming'
    assert offline['scoring'] == 'offline'
    # chunks of any size give the same scores
    run_inference(tiny, None, video, str(tmp_path / 'c'), chunk=5,
                  progress=False)
    np.testing.assert_allclose(
        [float(r[2]) for r in _csv(tmp_path / 'c')[1:]], scores_s,
        rtol=1e-5, atol=1e-7)


def test_outputs(tmp_path, tiny, footage, monkeypatch):
    video = footage.write_video(tmp_path / 'clip.mp4',
                                footage.frames_of(LENGTH), fps=10)
    labels = np.zeros(LENGTH, np.uint8)
    labels[12:] = 1
    np.save(tmp_path / 'labels.npy', labels)
    out = tmp_path / 'out'
    seen = []  # rows on disk right after each frame was logged
    add = infer_outputs.ScoreLog.add

    def add_and_look(self, *args):
        add(self, *args)
        seen.append(len(_csv(out)) - 1)

    monkeypatch.setattr(infer_outputs.ScoreLog, 'add', add_and_look)
    summary = run_inference(tiny, None, video, str(out), save_video=True,
                            labels=str(tmp_path / 'labels.npy'),
                            merge_gap=0.1, progress=False,
                            meta=dict(model='tiny'))
    assert seen == list(range(1, LENGTH + 1))  # flushed after every row

    rows = _csv(out)
    assert rows[0] == ['frame', 'timestamp', 'score', 'is_anomalous']
    frames = [int(r[0]) for r in rows[1:]]
    times = [float(r[1]) for r in rows[1:]]
    scores = np.array([float(r[2]) for r in rows[1:]])
    assert frames == list(range(LENGTH))
    assert times == pytest.approx(np.arange(LENGTH) / 10)
    assert [int(r[3]) for r in rows[1:]] == (scores > 0.6).astype(
        int).tolist()

    events = _events(out)
    assert events['finished'] is True and events['error'] is None
    assert events['threshold'] == pytest.approx(0.6)
    assert (events['fps'], events['num_frames']) == (10.0, LENGTH)
    assert events['model'] == 'tiny' and events['name'] == 'clip'
    assert events['input'] == video
    assert (events['merge_gap'], events['merge_gap_frames']) == (0.1, 1)
    assert events['events'] == find_events(scores, 0.6, 10, merge_gap=1)
    assert events['frame_auc'] == pytest.approx(roc_auc(scores, labels))
    assert summary['max_score'] == pytest.approx(scores.max())

    curve = cv2.imread(str(out / 'score_curve.png'))
    assert curve is not None and curve.shape[1] == 1000
    assert summary['video'] == str(out / 'annotated.mp4')
    assert _video_frames(out / 'annotated.mp4') == LENGTH


def test_mixed_frame_sizes_keep_the_frames_before(tmp_path, tiny, footage):
    frames = footage.frames_of(10)
    frames[7] = cv2.resize(frames[7], (40, 30))
    folder = footage.write_folder(tmp_path / 'mixed', frames)
    out = tmp_path / 'out'
    with pytest.raises(ValueError, match='frame 7 is'):
        run_inference(tiny, None, folder, str(out), save_video=True,
                      progress=False)
    assert [int(r[0]) for r in _csv(out)[1:]] == list(range(7))
    events = _events(out)
    assert events['finished'] is False and 'frame 7 is' in events['error']
    assert events['num_frames'] == 7
    assert (out / 'score_curve.png').stat().st_size > 0
    assert _video_frames(out / 'annotated.mp4') == 7


@pytest.mark.parametrize('make, error, match', [
    (lambda p: str(p / 'missing.mp4'), FileNotFoundError, 'does not exist'),
    (lambda p: (p / 'e.mp4').write_bytes(b'') or str(p / 'e.mp4'),
     ValueError, r'is empty \(0 bytes\)'),
    (lambda p: (p / 'n.mp4').write_bytes(bytes(range(256)) * 8)
     or str(p / 'n.mp4'), ValueError, 'OpenCV cannot open'),
    (lambda p: (p / 'd').mkdir() or str(p / 'd'), ValueError,
     'no images'),
])
def test_bad_input_fails_before_writing(tmp_path, tiny, make, error, match):
    with pytest.raises(error, match=match):
        run_inference(tiny, None, make(tmp_path), str(tmp_path / 'out'),
                      progress=False)
    assert not (tmp_path / 'out').exists()


def test_unfitted_detector_is_refused(tmp_path, tiny, footage):
    tiny.threshold.fill_(float('nan'))
    with pytest.raises(ValueError, match='no fitted threshold'):
        run_inference(tiny, None, str(tmp_path), str(tmp_path / 'out'))


def test_stream_drop_writes_everything(tmp_path, tiny, fake_stream,
                                      monkeypatch):
    fake_stream.plan = [9, 0]
    out = tmp_path / 'out'
    with pytest.raises(ConnectionError, match='dropped after 9 frames'):
        run_inference(tiny, None, 'rtsp://cam/live', str(out), reconnect=1,
                      reconnect_wait=0, save_video=True, status_every=0)
    assert fake_stream.opened == 2  # the stream, one reconnect attempt
    assert len(_csv(out)) == 1 + 9
    events = _events(out)
    assert events['finished'] is False and 'dropped' in events['error']
    monkeypatch.undo()  # the real VideoCapture, to read the output
    assert _video_frames(out / 'annotated.mp4') == 9


def test_ctrl_c_writes_everything(tmp_path, tiny, fake_stream):
    fake_stream.plan = [8]
    fake_stream.raise_after = KeyboardInterrupt()
    out = tmp_path / 'out'
    with pytest.raises(KeyboardInterrupt):
        run_inference(tiny, None, 'rtsp://cam/live', str(out))
    assert len(_csv(out)) == 1 + 8
    assert _events(out)['error'] == 'interrupted (KeyboardInterrupt)'


def test_folder_of_videos(tmp_path, tiny, footage):
    videos = tmp_path / 'videos'
    videos.mkdir()
    footage.write_video(videos / 'a.mp4', footage.frames_of(12, seed=1))
    footage.write_video(videos / 'b.avi', footage.frames_of(9, seed=2))
    out = tmp_path / 'out'
    summary = run_inference(tiny, None, str(videos), str(out),
                            progress=False)
    assert json.loads((out / 'summary.json').read_text()) == summary
    assert set(summary['videos']) == {'a', 'b'}
    for name, length in (('a', 12), ('b', 9)):
        video = summary['videos'][name]
        assert video['frames'] == length and video['finished']
        assert len(_csv(out / name)) == 1 + length
        assert video['events'] == len(_events(out / name)['events'])
        scores = [float(r[2]) for r in _csv(out / name)[1:]]
        assert video['max_score'] == pytest.approx(max(scores))

    (videos / 'c.mp4').write_bytes(b'')  # one bad video: the others run
    with pytest.raises(ValueError, match='1 of 3 videos .* stopped early'):
        run_inference(tiny, None, str(videos), str(out), progress=False)
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['videos']['c']['finished'] is False
    assert '0 bytes' in summary['videos']['c']['error']
    assert summary['videos']['b']['finished'] is True


def test_contrastive_streaming_equals_offline(tmp_path, contrastive,
                                              footage):
    """End to end with a fitted ContrastiveDetector (video-level windows,
    the T term): scores.csv is the same streamed or offline."""
    video = footage.write_video(tmp_path / 'clip.mp4',
                                footage.frames_of(LENGTH), fps=10)
    scores = {}
    for mode in ('streaming', 'offline'):
        summary = run_inference(contrastive, None, video,
                                str(tmp_path / mode), chunk=3,
                                offline=mode == 'offline', progress=False)
        assert summary['scoring'] == mode and summary['finished']
        rows = _csv(tmp_path / mode)
        assert [int(r[0]) for r in rows[1:]] == list(range(LENGTH))
        scores[mode] = np.array([float(r[2]) for r in rows[1:]])
    np.testing.assert_allclose(scores['streaming'], scores['offline'],
                               rtol=1e-5, atol=1e-5)


@pytest.fixture
def handcrafted():
    """A hand-crafted detector: it scores whole videos only (no streaming)
    and has no response map."""
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='HandcraftedDetector',
        data_preprocessor=dict(type='ClipDataPreprocessor'),
        encoder=dict(type='FlowHistogramEncoder', grid=(2, 3)),
        scorer=dict(type='KNNSupportScorer', k=1),
        clip_len=4, stride=2)).eval()
    model.scorers[0].fit(torch.rand(8, 2 * 3 * 12))
    model.threshold.fill_(0.5)
    model.cfg = Config(dict(
        test_dataloader=dict(dataset=dict(sample_unit='video', pipeline=[
            dict(type='LoadClipFrames', to_gray=True),
            dict(type='PackClipInputs')])),
        test_evaluator=dict(clip_to_frame='mean')))
    return model


def test_detector_that_cannot_stream_is_scored_offline(
        tmp_path, handcrafted, footage, warnings_log):
    video = footage.write_video(tmp_path / 'clip.mp4', footage.frames_of(12),
                                fps=10)
    out = tmp_path / 'out'
    summary = run_inference(handcrafted, None, video, str(out),
                            save_video=True, progress=False)
    assert summary['finished'] and summary['scoring'] == 'offline'
    assert _events(out)['scoring'] == 'offline'
    assert len(_csv(out)) == 1 + 12
    messages = [r.getMessage() for r in warnings_log]
    assert any('HandcraftedDetector cannot be scored streaming' in m
               and '--offline' in m for m in messages)
    # no response map for it either: score bars only, and a warning
    assert any('no map for HandcraftedDetector' in m and '--no-heatmap' in m
               for m in messages)
    assert summary['video'] == str(out / 'annotated.mp4')
    assert _video_frames(out / 'annotated.mp4') == 12


def test_reduce_streaming_lacks_is_scored_offline(tmp_path, tiny, footage,
                                                  fake_stream, warnings_log):
    tiny.cfg.test_evaluator.clip_to_frame = 'center'
    folder = footage.write_folder(tmp_path / 'v', footage.frames_of(9))
    summary = run_inference(tiny, None, folder, str(tmp_path / 'out'),
                            progress=False)
    assert summary['finished'] and summary['scoring'] == 'offline'
    assert any("clip_to_frame='center'" in r.getMessage()
               for r in warnings_log)
    # windows that leave frames uncovered: refused before anything opens,
    # whatever the reduce
    tiny.cfg.test_dataloader.dataset.stride = 5
    with pytest.raises(ValueError, match='no window covers'):
        run_inference(tiny, None, 'rtsp://cam/live', str(tmp_path / 'o2'))
    assert fake_stream.opened == 0


@pytest.mark.parametrize('fails', ['labels', 'pipeline', 'events.json'])
def test_failed_setup_releases_the_capture_and_csv(
        tmp_path, tiny, fake_stream, monkeypatch, fails):
    released, files = [], []

    class Capture(fake_stream):
        def release(self):
            released.append(self)

    monkeypatch.setattr(cv2, 'VideoCapture', Capture)
    labels = None
    if fails == 'labels':
        labels = str(tmp_path / 'labels.txt')
        (tmp_path / 'labels.txt').write_text('0\n2\n')
    elif fails == 'pipeline':
        tiny.cfg.test_dataloader.dataset.pipeline = [dict(type='NoSuchStep')]
    else:
        def no_json(*args, **kwargs):
            raise OSError('disk full')

        def tracked_open(*args, **kwargs):
            files.append(open(*args, **kwargs))
            return files[-1]

        monkeypatch.setattr(infer_outputs, 'write_json_atomic', no_json)
        monkeypatch.setattr(infer_outputs, 'open', tracked_open,
                            raising=False)
    with pytest.raises((ValueError, KeyError, OSError)):
        run_inference(tiny, None, 'rtsp://cam/live', str(tmp_path / 'out'),
                      labels=labels, progress=False)
    if fails == 'labels':  # checked before the input is opened
        assert Capture.opened == 0
    else:
        assert Capture.opened == 1 and len(released) >= 1
    assert all(f.closed for f in files)
    assert len(files) == (fails == 'events.json')


def test_bad_arguments_fail_before_opening(tmp_path, tiny, fake_stream):
    for kwargs, match in ((dict(chunk=0), 'chunk must be >= 1'),
                          (dict(fps=0), 'fps must be a number > 0'),
                          (dict(fps=float('nan')), 'fps must be')):
        with pytest.raises(ValueError, match=match):
            run_inference(tiny, None, 'rtsp://cam/live', str(tmp_path),
                          **kwargs)
    assert fake_stream.opened == 0


def test_second_ctrl_c_while_finishing_is_recorded(tmp_path, tiny,
                                                   fake_stream, monkeypatch,
                                                   warnings_log):
    fake_stream.plan = [8]
    fake_stream.raise_after = KeyboardInterrupt()

    def interrupted(self, chunk):
        raise KeyboardInterrupt

    # chunk 100: the first push() is in finish(); Ctrl-C there, no frame
    # is scored, so none goes into the video
    monkeypatch.setattr(WindowStream, 'push', interrupted)
    results = []

    def infer_one(*args):
        results.append(infer_one.real(*args))
        return results[-1]

    infer_one.real = infer._infer_one
    monkeypatch.setattr(infer, '_infer_one', infer_one)
    out = tmp_path / 'out'
    with pytest.raises(KeyboardInterrupt):
        run_inference(tiny, None, 'rtsp://cam/live', str(out), chunk=100,
                      save_video=True)
    events = _events(out)
    assert events['finished'] is False
    assert events['error'] == 'interrupted (KeyboardInterrupt)'
    assert any('failed too: interrupted' in r.getMessage()
               for r in warnings_log)
    summary, error = results[0]
    assert isinstance(error, KeyboardInterrupt)
    assert summary['video'] is None and summary['num_frames'] == 0
    assert not list(out.glob('annotated.*'))
