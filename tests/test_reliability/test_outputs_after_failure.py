"""Issue 9, outputs after failures: nothing a run wrote is lost or wrong
because the run (or an earlier one) failed, and a message never points at
another run's files.

tools/test.py checks ``--out-dir`` before loading anything and keeps
metrics.json when frame_scores.csv cannot be written; tools/infer.py never
replaces an earlier run before it has a frame to score (the earlier outputs
go to ``previous_run/``), handles SIGTERM like Ctrl-C, marks the frames an
early stop scored as if the input ended, takes an existing path before a
camera index and refuses labels of the wrong length.
"""
import csv
import importlib.util
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
import torch

from cbad.apis import run_inference
from cbad.datasets.sources.inputs import CaptureInput, FolderInput, open_input
from cbad.apis.scoring import FramePreprocessor, init_detector
from cbad.apis.infer_outputs import load_frame_labels
from cbad.evaluation import VideoAnomalyMetric

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_TEST_CFG = osp.join(ROOT, 'tests', 'configs',
                         'convae_synthetic_tiny.py')


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The inference fixtures (tiny detector, footage writers, fake stream) of
# tests/test_apis/conftest.py, under a name of their own.
_apis = _load('reliability_apis_fixtures',
              osp.join(ROOT, 'tests', 'test_apis', 'conftest.py'))
tiny, tiny_files, footage = _apis.tiny, _apis.tiny_files, _apis.footage
fake_stream, warnings_log = _apis.fake_stream, _apis.warnings_log


@pytest.fixture(scope='module')
def test_tool():
    return _load('reliability_test_tool', osp.join(ROOT, 'tools', 'test.py'))


@pytest.fixture(scope='module')
def infer_tool():
    return _load('reliability_infer_tool',
                 osp.join(ROOT, 'tools', 'infer.py'))


def _run(tool, monkeypatch, name, *args):
    monkeypatch.setattr(sys, 'argv', [name, *args])
    return tool.main()


def _rows(out_dir):
    with open(osp.join(out_dir, 'scores.csv')) as f:
        return list(csv.reader(f))[1:]


def _events(out_dir):
    with open(osp.join(out_dir, 'events.json')) as f:
        return json.load(f)


# ---------------------------------------------------------------- 4a test.py
@pytest.mark.parametrize('where', ['under a file', 'a file'])
def test_test_tool_checks_out_dir_before_loading(tmp_path, monkeypatch,
                                                 test_tool, where):
    (tmp_path / 'notes.txt').write_text('not a folder')
    out = tmp_path / 'notes.txt' / 'results' if where == 'under a file' \
        else tmp_path / 'notes.txt'
    checkpoint = tmp_path / 'w.pth'
    checkpoint.write_bytes(b'never loaded')

    class NoRunner:
        @staticmethod
        def from_cfg(cfg):
            raise AssertionError('the model and data were loaded before '
                                 'checking --out-dir')

    monkeypatch.setattr(test_tool, 'Runner', NoRunner)
    with pytest.raises(SystemExit) as exc:
        _run(test_tool, monkeypatch, 'test.py', TINY_TEST_CFG,
             str(checkpoint), '--out-dir', str(out))
    message = str(exc.value.code)
    assert '--out-dir' in message and str(out) in message
    assert (tmp_path / 'notes.txt').read_text() == 'not a folder'


def _metric_samples():
    scores = np.array([0.1, 0.2, 0.9, 0.8, 0.1, 0.3])
    labels = np.array([0, 0, 1, 1, 0, 0])
    return [dict(video='v', video_index=0, frame_indices=np.arange(i, i + 3),
                 num_frames=6, pred_scores=torch.tensor(scores[i:i + 3]),
                 gt_labels=torch.tensor(labels[i:i + 3]),
                 pred_threshold=0.5) for i in (0, 3)]


def test_metrics_json_is_written_when_the_csv_fails(tmp_path, warnings_log):
    (tmp_path / 'frame_scores.csv').mkdir()  # open() for writing fails
    metric = VideoAnomalyMetric(segment_len=3, segment_stride=3,
                                out_dir=str(tmp_path),
                                extra_meta=dict(config='c'))
    metric.process({}, _metric_samples())
    metrics = metric.compute_metrics(metric.results)
    assert metrics['auc_micro'] == 1.0
    report = json.loads((tmp_path / 'metrics.json').read_text())
    assert report['metrics']['auc_micro'] == 1.0 and report['config'] == 'c'
    assert len(report['output_errors']) == 1
    assert 'frame_scores.csv' in report['output_errors'][0]
    assert metric.output_errors == report['output_errors']
    assert any('frame_scores.csv' in r.getMessage() and
               r.levelname == 'ERROR' for r in warnings_log)


def test_test_tool_exits_non_zero_but_keeps_metrics_when_the_csv_fails(
        tmp_path, monkeypatch, capsys, test_tool):
    model = init_detector(TINY_TEST_CFG)
    model.threshold.fill_(0.5)  # a fitted checkpoint (fitting is not tested)
    checkpoint = tmp_path / 'w.pth'
    torch.save(model.state_dict(), str(checkpoint))
    out = tmp_path / 'out'
    (out / 'frame_scores.csv').mkdir(parents=True)
    with pytest.raises(SystemExit) as exc:
        _run(test_tool, monkeypatch, 'test.py', TINY_TEST_CFG,
             str(checkpoint), '--out-dir', str(out), '--work-dir',
             str(tmp_path / 'work'))
    assert exc.value.code not in (0, None)
    assert 'frame_scores.csv' in str(exc.value.code)
    report = json.loads((out / 'metrics.json').read_text())
    assert 0.0 <= report['metrics']['auc_micro'] <= 1.0
    assert 'auc_micro' in capsys.readouterr().out  # the table is printed


# ------------------------------------------------------ 4b infer.py re-runs
def _finished_run(tmp_path, tiny, footage, out):
    video = footage.write_video(tmp_path / 'clip.mp4', footage.frames_of(15))
    run_inference(tiny, None, video, str(out), save_video=True,
                  progress=False)
    assert _events(out)['finished'] is True
    return {name: (out / name).read_bytes() for name in os.listdir(out)}


def test_rerun_failing_before_a_frame_keeps_the_earlier_run(
        tmp_path, tiny, footage, monkeypatch):
    out = tmp_path / 'out'
    before = _finished_run(tmp_path, tiny, footage, out)

    def unreadable(self, frames):
        raise ValueError('no frame of this input fits the model')

    monkeypatch.setattr(FramePreprocessor, '__call__', unreadable)
    folder = footage.write_folder(tmp_path / 'frames', footage.frames_of(9))
    with pytest.raises(ValueError, match='fits the model') as exc:
        run_inference(tiny, None, folder, str(out), progress=False)
    assert exc.value.outputs is None  # this run wrote nothing
    assert {name: (out / name).read_bytes()
            for name in os.listdir(out)} == before


def test_rerun_failing_after_some_frames_moves_the_earlier_run_aside(
        tmp_path, tiny, footage):
    out = tmp_path / 'out'
    before = _finished_run(tmp_path, tiny, footage, out)
    frames = footage.frames_of(9)
    frames[4] = cv2.resize(frames[4], (40, 30))
    folder = footage.write_folder(tmp_path / 'mixed', frames)
    with pytest.raises(ValueError, match='frame 4 is') as exc:
        run_inference(tiny, None, folder, str(out), progress=False)
    assert exc.value.outputs == str(out / 'events.json')
    events = _events(out)
    assert events['finished'] is False and events['num_frames'] == 4
    assert len(_rows(out)) == 4
    assert not (out / 'annotated.mp4').exists()  # not this run's
    previous = out / 'previous_run'
    assert {name: (previous / name).read_bytes()
            for name in os.listdir(previous)} == before


def test_a_third_run_keeps_the_finished_first_one(tmp_path, tiny, footage):
    # finished run A, run B fails after some frames, run C starts: A must
    # survive (B's partial files go to their own folder, not over A's)
    out = tmp_path / 'out'
    first = _finished_run(tmp_path, tiny, footage, out)
    frames = footage.frames_of(9)
    frames[4] = cv2.resize(frames[4], (40, 30))
    folder = footage.write_folder(tmp_path / 'mixed', frames)
    with pytest.raises(ValueError):
        run_inference(tiny, None, folder, str(out), progress=False)
    video = footage.write_video(tmp_path / 'again.mp4', footage.frames_of(9))
    run_inference(tiny, None, video, str(out), progress=False)
    kept = out / 'previous_run'
    assert {name: (kept / name).read_bytes()
            for name in os.listdir(kept)} == first
    partial = json.loads((out / 'previous_run_2' / 'events.json').read_text())
    assert partial['finished'] is False
    assert _events(out)['finished'] is True


def test_cli_message_names_only_files_this_run_wrote(
        tmp_path, tiny, footage, monkeypatch, capsys, infer_tool,
        tiny_files):
    config, checkpoint = tiny_files
    out = tmp_path / 'out'
    video = footage.write_video(tmp_path / 'clip.mp4', footage.frames_of(15))
    args = ['--config', config, '--checkpoint', checkpoint, '--out-dir',
            str(out)]
    assert _run(infer_tool, monkeypatch, 'infer.py', video, *args) == 0
    old = (out / 'events.json').read_bytes()
    capsys.readouterr()
    assert _run(infer_tool, monkeypatch, 'infer.py',
                str(tmp_path / 'missing.mp4'), *args) == 2
    err = capsys.readouterr().err
    assert 'does not exist' in err and 'events.json' not in err
    assert (out / 'events.json').read_bytes() == old


# --------------------------------------------------------- 4c SIGTERM
_ENDLESS_CAMERA = r'''
import runpy, sys, time
import cv2
import numpy as np

class Endless:
    """A stream that never ends, 100 frames/s."""
    def __init__(self, spec):
        self.served = 0
    def isOpened(self):
        return True
    def read(self):
        time.sleep(0.01)
        self.served += 1
        rng = np.random.default_rng(self.served)
        return True, rng.integers(0, 60, (24, 32, 3), dtype=np.uint8)
    def get(self, prop):
        return 10.0 if prop == cv2.CAP_PROP_FPS else 0.0
    def release(self):
        pass

cv2.VideoCapture = Endless
sys.argv = ['infer.py', 'rtsp://cam/live'] + sys.argv[2:]
runpy.run_path(TOOL, run_name='__main__')
'''


def test_sigterm_finishes_the_outputs_like_ctrl_c(tmp_path, tiny_files):
    config, checkpoint = tiny_files
    out = tmp_path / 'out'
    script = _ENDLESS_CAMERA.replace(
        'TOOL', repr(osp.join(ROOT, 'tools', 'infer.py')))
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    log = tmp_path / 'stderr.txt'
    with open(log, 'w') as err:  # a file: a full pipe would block the run
        proc = subprocess.Popen(
            [sys.executable, '-c', script, '-', '--config', config,
             '--checkpoint', checkpoint, '--out-dir', str(out)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        try:
            deadline = time.monotonic() + 120
            while not (out / 'scores.csv').exists() or len(_rows(out)) < 10:
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, 'no scores after 120 s'
                time.sleep(0.1)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    stderr = log.read_text()
    assert proc.returncode == 143, stderr
    assert 'interrupted' in stderr and 'events.json' in stderr
    events = _events(out)
    assert events['finished'] is False and events['interrupted'] is True
    assert events['error'] == 'interrupted (SIGTERM)'
    assert events['num_frames'] == len(_rows(out)) >= 10


# ------------------------------------- 4d the tail an early stop scored
@pytest.mark.parametrize('offline', [False, True])
def test_frames_scored_as_end_after_a_stop_are_marked(
        tmp_path, tiny, footage, fake_stream, offline):
    # the fake stream's frame i is frames_of(1, seed=i + 1)[0]
    frames = [footage.frames_of(1, seed=i + 1)[0] for i in range(16)]
    whole = footage.write_folder(tmp_path / 'whole', frames)
    run_inference(tiny, None, whole, str(tmp_path / 'whole_out'),
                  offline=offline, progress=False)
    complete = np.array([float(r[2]) for r in _rows(tmp_path / 'whole_out')])
    assert _events(tmp_path / 'whole_out')['frames_scored_as_end'] is None

    fake_stream.plan = [10]
    fake_stream.raise_after = KeyboardInterrupt()
    out = tmp_path / 'out'
    with pytest.raises(KeyboardInterrupt):
        run_inference(tiny, None, 'rtsp://cam/live', str(out),
                      offline=offline, progress=False)
    events = _events(out)
    assert events['interrupted'] is True and events['num_frames'] == 10
    first, last = events['frames_scored_as_end']
    assert last == 9 and 0 <= first <= 9
    cut = np.array([float(r[2]) for r in _rows(out)])
    # the frames before the mark are the complete run's; among the marked
    # ones some differ (so they had to be marked)
    np.testing.assert_allclose(cut[:first], complete[:first], rtol=1e-5,
                               atol=1e-7)
    assert not np.allclose(cut[first:], complete[first:10], rtol=1e-5,
                           atol=1e-7)
    for event in events['events']:
        assert event.get('partial', False) == (event['end_frame'] >= first)


# ------------------------------------------------ 5 digits: path or camera
def test_an_existing_path_of_digits_is_not_a_camera(tmp_path, tiny, footage,
                                                    fake_stream, monkeypatch):
    footage.write_folder(tmp_path / '01', footage.frames_of(7))
    monkeypatch.chdir(tmp_path)
    source = open_input('01')
    assert isinstance(source, FolderInput) and source.name == '01'
    assert source.total == 7
    summary = run_inference(tiny, None, '01', str(tmp_path / 'out'),
                            progress=False)
    assert summary['num_frames'] == 7 and summary['finished'] is True
    assert fake_stream.opened == 0  # no camera was opened
    camera = open_input('2')  # no such path: camera 2
    assert isinstance(camera, CaptureInput) and camera.name == 'camera2'
    assert fake_stream.opened == 1
    camera.close()


# --------------------------------------------------------- 7 --labels
@pytest.mark.parametrize('text', ['0,1,1,0,1', '0 1 1 0 1', '0\n1\n1\n0\n1\n',
                                  '0, 1,1\n0 ,1\n', '0.0,1.0,1,0,1'])
def test_labels_load_from_any_separated_text(tmp_path, text):
    path = tmp_path / 'labels.txt'
    path.write_text(text)
    assert load_frame_labels(str(path)).tolist() == [0, 1, 1, 0, 1]


def test_labels_load_from_npy_and_bad_text_is_named(tmp_path):
    np.save(tmp_path / 'labels.npy', np.array([0, 1, 1], np.uint8))
    assert load_frame_labels(str(tmp_path / 'labels.npy')).tolist() == [
        0, 1, 1]
    (tmp_path / 'bad.txt').write_text('0,1,x,1')
    with pytest.raises(ValueError, match=r"bad.txt.*'x'"):
        load_frame_labels(str(tmp_path / 'bad.txt'))
    (tmp_path / 'empty.txt').write_text(' \n')
    with pytest.raises(ValueError, match='empty.txt.* no label'):
        load_frame_labels(str(tmp_path / 'empty.txt'))


def test_wrong_length_labels_fail_at_once_for_a_frame_folder(
        tmp_path, tiny, footage):
    folder = footage.write_folder(tmp_path / 'frames', footage.frames_of(9))
    (tmp_path / 'labels.txt').write_text(','.join(['0'] * 7))
    with pytest.raises(ValueError, match=r'7 labels.*9 frames'):
        run_inference(tiny, None, folder, str(tmp_path / 'out'),
                      labels=str(tmp_path / 'labels.txt'), progress=False)
    assert not (tmp_path / 'out').exists()  # failed before writing


def test_wrong_length_labels_fail_at_the_end_keeping_the_scores(
        tmp_path, tiny, footage, monkeypatch, capsys, infer_tool,
        tiny_files):
    config, checkpoint = tiny_files
    video = footage.write_video(tmp_path / 'clip.mp4', footage.frames_of(15))
    labels = np.zeros(12, np.int64)
    labels[6:] = 1
    np.save(tmp_path / 'labels.npy', labels)
    out = tmp_path / 'out'
    assert _run(infer_tool, monkeypatch, 'infer.py', video, '--config',
                config, '--checkpoint', checkpoint, '--out-dir', str(out),
                '--labels', str(tmp_path / 'labels.npy')) == 2
    err = capsys.readouterr().err
    assert '12 labels' in err and '15 frames' in err
    assert len(_rows(out)) == 15  # every score kept
    events = _events(out)
    assert events['num_frames'] == 15 and 'frame_auc' not in events
    assert '12 labels' in events['labels_error']
