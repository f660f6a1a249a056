import csv
import json
import warnings

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from sklearn.metrics import average_precision_score, roc_auc_score

from cbad.structures import build_clip_index
from cbad.evaluation import VideoAnomalyMetric
from cbad.registry import METRICS
from cbad.structures import ClipDataSample

# Per-frame "true" scores: every clip reports them for its frames, so the
# mean over overlapping windows gives them back exactly.
VIDEOS = {
    'a': (np.array([0.1, 0.2, 0.1, 0.3, 0.6, 0.7, 0.9, 0.8]),
          np.array([0, 0, 0, 0, 1, 1, 1, 1])),
    'b': (np.array([0.2, 0.35, 0.6, 0.3, 0.1, 0.0]),
          np.array([0, 1, 1, 0, 0, 0])),
}


def make_samples(videos=VIDEOS, clip_len=4, stride=2, threshold=0.4,
                 labelled=True):
    samples = []
    for index, (name, (scores, labels)) in enumerate(videos.items()):
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # short-video padding warning
            windows = build_clip_index(len(scores), clip_len, stride)
        for w in windows:
            sample = dict(video=name, video_index=index, frame_indices=w,
                          num_frames=len(scores),
                          pred_scores=torch.tensor(scores[w]),
                          pred_threshold=threshold)
            if labelled:
                sample['gt_labels'] = torch.tensor(labels[w],
                                                   dtype=torch.uint8)
            samples.append(sample)
    return samples


def run_metric(samples, **kwargs):
    metric = VideoAnomalyMetric(segment_len=4, segment_stride=2, **kwargs)
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def test_end_to_end_values_and_files(tmp_path):
    meta = dict(config='cbad_ped2', checkpoint_sha256='ab' * 32)
    result = run_metric(make_samples(), out_dir=str(tmp_path),
                        extra_meta=meta)
    scores = np.concatenate([VIDEOS[v][0] for v in 'ab'])
    labels = np.concatenate([VIDEOS[v][1] for v in 'ab'])
    assert result['auc_micro'] == pytest.approx(roc_auc_score(labels, scores))
    assert result['ap'] == pytest.approx(
        average_precision_score(labels, scores))
    normed = np.concatenate([(s - s.min()) / (s.max() - s.min())
                             for s, _ in VIDEOS.values()])
    assert result['auc_micro_vidnorm'] == pytest.approx(
        roc_auc_score(labels, normed))
    assert result['auc_macro'] == 1.0 and result['auc_macro_num_videos'] == 2
    # Windows (len 4, stride 2) and their mean scores / majority labels:
    # a: 0.175/0, 0.425/0 (2 of 4 abnormal is no majority), 0.75/1;
    # b: 0.3625/0, 0.25/0. At 0.4: tp 1, fp 1, fn 0.
    assert result['seg_precision'] == pytest.approx(0.5)
    assert result['seg_recall'] == 1.0
    assert result['seg_f1'] == pytest.approx(2 / 3)
    # Frames at 0.4: tp 5, fp 0, fn 1 (b's frame 1 scores 0.35).
    assert result['frame_precision'] == 1.0
    assert result['frame_recall'] == pytest.approx(5 / 6)
    assert result['frame_f1'] == pytest.approx(10 / 11)

    with open(tmp_path / 'frame_scores.csv', newline='') as f:
        rows = list(csv.reader(f))
    assert rows[0] == ['video', 'frame', 'score', 'label']
    assert [(r[0], int(r[1])) for r in rows[1:]] == (
        [('a', i) for i in range(8)] + [('b', i) for i in range(6)])
    csv_scores = np.array([float(r[2]) for r in rows[1:]])
    csv_labels = np.array([int(r[3]) for r in rows[1:]])
    np.testing.assert_array_equal(csv_labels, labels)
    assert roc_auc_score(csv_labels, csv_scores) == result['auc_micro']

    saved = json.loads((tmp_path / 'metrics.json').read_text())
    assert set(saved) == {'metrics', 'protocol', 'config',
                          'checkpoint_sha256'}
    assert saved['metrics'] == pytest.approx(result)
    assert saved['protocol'] == dict(
        clip_to_frame='mean', segment_len=4, segment_stride=2,
        segment_label_rule='majority', segment_score='mean',
        headline='auc_micro', score_normalisation='none', smoothing='none',
        num_videos=2, num_frames=14, num_abnormal_frames=6, threshold=0.4,
            dataset={}, threshold_fit=None)  # samples without fit counts
    assert saved['config'] == 'cbad_ped2'


def test_runs_through_mmengine_evaluator_with_data_samples():
    cfg = dict(type='VideoAnomalyMetric', segment_len=4, segment_stride=2,
               prefix='test')
    evaluator = Evaluator(METRICS.build(cfg))
    samples = []
    for d in make_samples():
        sample = ClipDataSample(metainfo=dict(
            video=d['video'], video_index=d['video_index'],
            frame_indices=d['frame_indices'], num_frames=d['num_frames']))
        sample.gt_labels = d['gt_labels']
        sample.pred_scores = d['pred_scores']
        sample.pred_threshold = d['pred_threshold']
        samples.append(sample)
    evaluator.process(samples)
    result = evaluator.evaluate(len(samples))
    assert result['test/auc_micro'] == run_metric(make_samples())['auc_micro']


def test_macro_auc_skips_one_class_videos():
    videos = dict(
        mixed1=(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])),
        mixed2=(np.array([0.3, 0.2, 0.9, 0.1]), np.array([0, 1, 1, 0])),
        normal=(np.array([0.5, 0.6, 0.7, 0.9]), np.zeros(4, dtype=int)),
        abnormal=(np.array([0.0, 0.1, 0.2, 0.3]), np.ones(4, dtype=int)))
    result = run_metric(make_samples(videos, clip_len=4, stride=4))
    # mixed1: 3 of 4 pairs ordered -> 0.75; mixed2: positives 0.2, 0.9 vs
    # negatives 0.3, 0.1 -> 3 of 4 -> 0.75.
    assert result['auc_macro'] == pytest.approx(0.75)
    assert result['auc_macro_num_videos'] == 2
    assert result['auc_macro_num_skipped'] == 2


def test_clip_to_frame_max_and_broadcast_clip_score():
    samples = [
        dict(video='v', video_index=0, frame_indices=np.arange(0, 4),
             num_frames=6, pred_scores=torch.tensor([1.0]),
             gt_labels=torch.tensor([0, 0, 0, 1]), pred_threshold=0.5),
        dict(video='v', video_index=0, frame_indices=np.arange(2, 6),
             num_frames=6, pred_scores=torch.tensor(3.0),
             gt_labels=torch.tensor([0, 1, 1, 1]), pred_threshold=0.5),
    ]
    mean = run_metric(samples)
    peak = run_metric(samples, clip_to_frame='max')
    # mean: [1, 1, 2, 2, 3, 3]; max: [1, 1, 3, 3, 3, 3]; labels 000111.
    assert mean['auc_micro'] == pytest.approx(roc_auc_score(
        [0, 0, 0, 1, 1, 1], [1, 1, 2, 2, 3, 3]))
    assert peak['auc_micro'] == pytest.approx(roc_auc_score(
        [0, 0, 0, 1, 1, 1], [1, 1, 3, 3, 3, 3]))


def test_duplicate_records_are_dropped():
    samples = make_samples()
    once = run_metric(samples)
    twice = run_metric(samples + samples[:3])
    assert twice == once


def test_label_disagreement_names_video():
    samples = make_samples()
    samples[1]['gt_labels'] = 1 - samples[1]['gt_labels']  # a's clip 2..5
    with pytest.raises(ValueError, match="video 'a'.*disagree"):
        run_metric(samples)


def test_uncovered_frame_names_video():
    samples = [s for s in make_samples()
               if not (s['video'] == 'b' and s['frame_indices'][-1] == 5)]
    with pytest.raises(ValueError, match=r"video 'b'.*frames \[4, 5\]"):
        run_metric(samples)


def test_nan_threshold_skips_prf():
    result = run_metric(make_samples(threshold=float('nan')))
    assert 'auc_micro' in result
    assert not any(k.startswith(('seg_', 'frame_')) for k in result)


def test_unlabelled_writes_scores_only(tmp_path):
    result = run_metric(make_samples(labelled=False), out_dir=str(tmp_path))
    assert result == {}
    with open(tmp_path / 'frame_scores.csv', newline='') as f:
        rows = list(csv.reader(f))
    assert len(rows) == 15 and all(r[3] == '' for r in rows[1:])
    saved = json.loads((tmp_path / 'metrics.json').read_text())
    assert saved['metrics'] == {}
    assert saved['protocol']['num_abnormal_frames'] is None


def test_bad_arguments_and_samples():
    with pytest.raises(ValueError, match='clip_to_frame'):
        VideoAnomalyMetric(clip_to_frame='median')
    with pytest.raises(ValueError, match='reserved'):
        VideoAnomalyMetric(extra_meta=dict(metrics=1))
    metric = VideoAnomalyMetric()
    with pytest.raises(KeyError, match='pred_scores'):
        metric.process({}, [dict(video='a', frame_indices=np.arange(2),
                                 num_frames=2)])
    with pytest.raises(ValueError, match='3 values for 2'):
        metric.process({}, [dict(video='a', frame_indices=np.arange(2),
                                 num_frames=2, pred_scores=np.zeros(3))])


def test_whole_video_sample_equals_per_clip_samples():
    """A (W, T) video-level sample gives the same metrics as its W clips."""
    import torch

    from cbad.evaluation.metrics import VideoAnomalyMetric
    rng = np.random.default_rng(0)
    videos = {'a': 30, 'b': 22}
    labels = {k: (np.arange(n) >= n // 2).astype(np.uint8)
              for k, n in videos.items()}
    labels['b'][:3] = 1
    per_clip, per_video = VideoAnomalyMetric(), VideoAnomalyMetric()
    clip_samples, video_samples = [], []
    for vi, (name, n) in enumerate(videos.items()):
        windows = np.stack(build_clip_index(n, 8, 4))
        window_scores = rng.random(len(windows))
        for w, idx in enumerate(windows):
            clip_samples.append(dict(
                video=name, video_index=vi, frame_indices=idx, num_frames=n,
                gt_labels=torch.from_numpy(labels[name][idx]),
                pred_scores=torch.tensor([window_scores[w]]),
                pred_threshold=0.5))
        video_samples.append(dict(
            video=name, video_index=vi, frame_indices=windows, num_frames=n,
            gt_labels=torch.from_numpy(labels[name]),
            pred_scores=torch.from_numpy(window_scores), pred_threshold=0.5))
    per_clip.process(None, clip_samples)
    per_video.process(None, video_samples)
    assert len(per_video.results) == 2  # one entry per dataset sample
    a = per_clip.compute_metrics(per_clip.results)
    b = per_video.compute_metrics(per_video.results)
    assert a == pytest.approx(b, nan_ok=True)
    assert 0 < a['auc_micro'] < 1
    # a whole-video sample's labels stay per frame: carried as given, not
    # cut into windows and put together again
    windows_of_a = per_video.results[0]['windows']
    assert all(r['gt_labels'] is None for r in windows_of_a)
    assert all(r['frame_labels'] is windows_of_a[0]['frame_labels']
               for r in windows_of_a)
    np.testing.assert_array_equal(windows_of_a[0]['frame_labels'],
                                  labels['a'])
    bad = VideoAnomalyMetric()
    bad.process(None, [dict(video_samples[0],
                            gt_labels=torch.full((30, ), 2))])
    with pytest.raises(ValueError, match='one 0/1 label per frame'):
        bad.compute_metrics(bad.results)


def test_postprocessed_model_reports_both_and_names_the_step(tmp_path):
    """A model that smoothed its scores sends the ones before as well:
    metrics.json names the step and gives the AUCs without it."""
    smoothed = {name: (np.convolve(scores, np.ones(3) / 3)[:len(scores)],
                       labels) for name, (scores, labels) in VIDEOS.items()}
    samples = make_samples(smoothed)
    plain = {s['video'] + str(s['frame_indices'].tolist()): s['pred_scores']
             for s in make_samples()}
    for s in samples:
        s['postprocess'] = 'TrailingMean(length=3)'
        s['pred_scores_before_postprocess'] = plain[
            s['video'] + str(s['frame_indices'].tolist())]
    result = run_metric(samples, out_dir=str(tmp_path))
    labels = np.concatenate([VIDEOS[v][1] for v in 'ab'])
    assert result['auc_micro'] == pytest.approx(roc_auc_score(
        labels, np.concatenate([smoothed[v][0] for v in 'ab'])))
    assert result['auc_micro_before_postprocess'] == pytest.approx(
        roc_auc_score(labels, np.concatenate([VIDEOS[v][0] for v in 'ab'])))
    assert result['auc_micro'] != result['auc_micro_before_postprocess']
    assert result['auc_macro_before_postprocess'] == 1.0
    saved = json.loads((tmp_path / 'metrics.json').read_text())
    assert saved['protocol']['smoothing'] == 'TrailingMean(length=3)'
    # no step: nothing extra, smoothing 'none'
    assert 'auc_micro_before_postprocess' not in run_metric(make_samples())
    # a step without the scores before it is refused, as are mixed steps
    for s in samples[:2]:
        del s['pred_scores_before_postprocess']
    with pytest.raises(ValueError, match='pred_scores_before_postprocess'):
        run_metric(samples)
    samples[0]['postprocess'] = 'none'
    with pytest.raises(ValueError, match='different postprocess'):
        run_metric(samples)
