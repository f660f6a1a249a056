"""Frame- and segment-level metrics of unsupervised video anomaly detection."""
import json
import logging
import os
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement

from cbad.evaluation.functional import (average_precision, equal_error_rate,
                                        minmax_normalize_per_video, roc_auc,
                                        segment_prf, window_labels,
                                        window_scores)
from cbad.evaluation.functional.frame_scores import CLIP_TO_FRAME_MODES
from cbad.evaluation.functional.segments import WINDOW_LABEL_RULES
from cbad.evaluation.thresholders import (MIN_THRESHOLD_FIT_VIDEOS,
                                          MIN_THRESHOLD_FIT_WINDOWS,
                                          fitted_on_too_little)
from cbad.registry import METRICS
from .frame_table import (drop_duplicate_records, output_paths,
                          records_to_frames, write_frame_scores_csv,
                          write_metrics_json)

#: Dataset metainfo copied into ``metrics.json`` (``protocol.dataset``).
_DATASET_KEYS = ('dataset_name', 'split', 'clip_len', 'stride', 'layout',
                 'label_source', 'label_file', 'num_videos', 'seed')
_REQUIRED_KEYS = ('video', 'frame_indices', 'num_frames', 'pred_scores')
#: Optional field: the frame evidence before the model's post-processing.
_BEFORE_KEY = 'pred_scores_before_postprocess'


def _to_numpy(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


@METRICS.register_module()
class VideoAnomalyMetric(BaseMetric):
    """Frame AUC (micro / video-normalised / macro), EER, AP and P/R/F1.

    Per-clip predictions are grouped by video and mapped to one score per
    frame (``clip_to_frame``); every frame of every video must be covered
    and overlapping clips must agree on labels. Returned keys (rates and
    AUCs are fractions in [0, 1], never percentages; ``eer_threshold`` is in
    score units and ``auc_macro_num_*`` are counts; ``metrics.json`` stores
    the same numbers):

    - ``auc_micro`` (headline): all frames pooled, raw scores.
    - ``auc_micro_vidnorm``: pooled after per-video min-max normalisation.
    - ``auc_macro``: mean per-video AUC over videos holding both classes;
      ``auc_macro_num_videos`` videos averaged, ``auc_macro_num_skipped``
      one-class videos left out (nan when no video has both classes).
    - ``eer``, ``eer_threshold``: equal error rate and its threshold.
    - ``ap``: average precision (sklearn's definition).
    - at the fitted threshold (the samples' ``pred_threshold``; omitted with
      a warning when it is nan): ``seg_precision``, ``seg_recall``,
      ``seg_f1`` on windows of ``segment_len`` every ``segment_stride``
      frames (window score = mean frame score, label by
      ``segment_label_rule``), and ``frame_precision``, ``frame_recall``,
      ``frame_f1`` on frames.

    A model with a causal post-processing step (its samples' metainfo
    ``postprocess``, e.g. ``'TrailingMean(length=8)'``) also sends
    ``pred_scores_before_postprocess``: ``protocol.smoothing`` names the
    step (``'none'`` without one) and ``auc_micro_before_postprocess``,
    ``auc_micro_vidnorm_before_postprocess`` and
    ``auc_macro_before_postprocess`` give the AUCs without it.

    If all pooled frames share one class, the AUC-type values and EER are
    nan (with a warning). Unlabelled data (no ``gt_labels``) gives no
    metrics (an empty dict) but still writes the frame scores, with an
    empty ``label`` field.

    With ``out_dir`` set, writes ``out_dir/frame_scores.csv`` (header
    ``video,frame,score,label``; rows sorted by video then 0-based frame;
    scores as ``repr(float)``) and ``out_dir/metrics.json``:
    ``{"metrics": {...}, "protocol": {...}, **extra_meta}`` where nan / inf
    are written as ``null``. ``protocol.threshold_fit`` is
    ``{"windows": N, "videos": M}``, what the threshold was fitted on (the
    samples' ``threshold_fit_windows`` / ``threshold_fit_videos``), or
    ``null`` if unknown; below ``MIN_THRESHOLD_FIT_WINDOWS`` /
    ``MIN_THRESHOLD_FIT_VIDEOS`` the metric also logs a warning. If
    ``frame_scores.csv`` cannot be written, the metrics are still computed,
    returned and written to ``metrics.json``, the error logged and listed
    there under ``output_errors`` and in the attribute ``output_errors``
    (``tools/test.py`` then exits non-zero); if ``metrics.json`` cannot be
    written, the metrics are logged and an ``OSError`` is raised.

    Args:
        clip_to_frame (str): ``'mean'``, ``'max'``, ``'center'`` or
            ``'end'``, see
            :func:`~cbad.evaluation.functional.clip_to_frame_scores`.
            Defaults to ``'mean'``.
        segment_len (int): Window length of the segment metrics.
            Defaults to 16.
        segment_stride (int): Window stride of the segment metrics.
            Defaults to 4.
        segment_label_rule (str): ``'majority'`` or ``'any'``, see
            :func:`~cbad.evaluation.functional.window_labels`.
            Defaults to ``'majority'``.
        out_dir (str, optional): Folder for the CSV and JSON files.
            Defaults to None (write nothing).
        extra_meta (dict, optional): JSON-serialisable entries copied to the
            top level of ``metrics.json`` (e.g. ``config``,
            ``checkpoint_sha256``, set by ``tools/test.py``). Defaults to None.
        collect_device (str): ``'cpu'`` or ``'gpu'``, where results of all
            ranks are gathered. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the returned keys
            (``'prefix/auc_micro'``). Defaults to None (no prefix).
        collect_dir (str, optional): Shared folder for collecting on CPU.
            Defaults to None.
    """
    default_prefix: Optional[str] = None

    def __init__(self,
                 clip_to_frame: str = 'mean',
                 segment_len: int = 16,
                 segment_stride: int = 4,
                 segment_label_rule: str = 'majority',
                 out_dir: Optional[str] = None,
                 extra_meta: Optional[dict] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device, prefix, collect_dir)
        if clip_to_frame not in CLIP_TO_FRAME_MODES:
            raise ValueError(f'clip_to_frame must be one of '
                             f'{CLIP_TO_FRAME_MODES}, found '
                             f'{clip_to_frame!r}.')
        if segment_label_rule not in WINDOW_LABEL_RULES:
            raise ValueError(f'segment_label_rule must be one of '
                             f'{WINDOW_LABEL_RULES}, found '
                             f'{segment_label_rule!r}.')
        if int(segment_len) < 1 or int(segment_stride) < 1:
            raise ValueError('segment_len and segment_stride must be >= 1, '
                             f'found {segment_len} and {segment_stride}.')
        extra_meta = dict(extra_meta or {})
        clash = {'metrics', 'protocol', 'output_errors'} & set(extra_meta)
        if clash:
            raise ValueError(f'extra_meta keys {sorted(clash)} are reserved '
                             'in metrics.json; rename them.')
        try:
            json.dumps(extra_meta)
        except TypeError as err:
            raise TypeError('extra_meta must be JSON-serialisable (str, '
                            f'numbers, lists, dicts): {err}') from err
        self.clip_to_frame = clip_to_frame
        self.segment_len = int(segment_len)
        self.segment_stride = int(segment_stride)
        self.segment_label_rule = segment_label_rule
        self.out_dir = out_dir
        self.extra_meta = extra_meta
        #: Files of the last compute_metrics() that could not be written.
        self.output_errors: List[str] = []

    def process(self, data_batch: Any, data_samples: Sequence) -> None:
        """Store one small numpy record per clip.

        Args:
            data_batch (Any): Unused.
            data_samples (Sequence[dict | BaseDataElement]): One per clip,
                with ``video``, ``video_index``, ``frame_indices`` (T,),
                ``num_frames``, ``pred_scores`` (T,) (a single value is
                broadcast), optional ``gt_labels`` (T,),
                ``pred_threshold``, ``threshold_fit_windows`` and
                ``threshold_fit_videos``.
        """
        for sample in data_samples:
            if isinstance(sample, BaseDataElement):
                sample = sample.to_dict()
            missing = [k for k in _REQUIRED_KEYS if k not in sample]
            if missing:
                raise KeyError(
                    f'VideoAnomalyMetric needs {list(_REQUIRED_KEYS)} in each '
                    f'data sample, missing {missing}; the model must set '
                    'pred_scores and the pipeline pack the clip metadata.')
            frames = _to_numpy(sample['frame_indices']).astype(np.int64)
            if frames.ndim == 2:
                # A whole video at once: (S, T) windows, (S, T) or (S,)
                # scores, labels per window or per frame of the video. It
                # stays one entry so mmengine's size-based truncation of
                # distributed results still counts samples.
                self.results.append(
                    dict(windows=self._video_records(sample, frames)))
            else:
                self.results.append(self._clip_record(sample, frames))

    @staticmethod
    def _clip_record(sample: dict, frames: np.ndarray,
                     scores: Any = None, labels: Any = None,
                     before: Any = None, labels_from_sample: bool = True,
                     frame_labels: Optional[np.ndarray] = None) -> dict:
        frames = frames.reshape(-1)
        scores = _to_numpy(sample['pred_scores'] if scores is None else
                           scores).astype(np.float64).reshape(-1)
        if scores.size == 1:
            scores = np.repeat(scores, frames.size)
        if before is None:
            before = sample.get(_BEFORE_KEY)
        if before is not None:
            before = _to_numpy(before).astype(np.float64).reshape(-1)
            if before.size != frames.size:
                raise ValueError(
                    f'video {sample["video"]!r}: {_BEFORE_KEY} has '
                    f'{before.size} values for {frames.size} frame_indices.')
        if labels is None and labels_from_sample:
            labels = sample.get('gt_labels')
        if labels is not None:
            labels = _to_numpy(labels).astype(np.int64).reshape(-1)
        for what, arr in (('pred_scores', scores), ('gt_labels', labels)):
            if arr is not None and arr.size != frames.size:
                raise ValueError(
                    f'video {sample["video"]!r}: {what} has {arr.size} '
                    f'values for {frames.size} frame_indices; expected '
                    'one per frame of the clip.')
        threshold = _to_numpy(sample.get('pred_threshold', np.nan))
        threshold_fit = (int(sample.get('threshold_fit_windows', -1)),
                         int(sample.get('threshold_fit_videos', -1)))
        return dict(
            video=str(sample['video']),
            video_index=int(sample.get('video_index', -1)),
            frame_indices=frames,
            num_frames=int(sample['num_frames']),
            pred_scores=scores,
            gt_labels=labels,
            pred_threshold=float(threshold),
            threshold_fit=threshold_fit,
            postprocess=str(sample.get('postprocess', 'none')),
            scores_before_postprocess=before,
            frame_labels=frame_labels)

    def _video_records(self, sample: dict, frames: np.ndarray) -> List[dict]:
        scores = _to_numpy(sample['pred_scores']).astype(np.float64)
        if scores.shape[0] != frames.shape[0]:
            raise ValueError(
                f'video {sample["video"]!r}: {scores.shape[0]} window scores '
                f'for {frames.shape[0]} windows.')
        before = sample.get(_BEFORE_KEY)
        if before is not None:
            before = _to_numpy(before).astype(np.float64)
            if before.shape[0] != frames.shape[0]:
                raise ValueError(
                    f'video {sample["video"]!r}: {before.shape[0]} windows '
                    f'of {_BEFORE_KEY} for {frames.shape[0]} windows.')
        labels, frame_labels = sample.get('gt_labels'), None
        if labels is not None:
            labels = _to_numpy(labels).astype(np.int64)
            if labels.shape != frames.shape:  # per frame of the whole video
                if labels.ndim != 1 or labels.size != int(
                        sample['num_frames']):
                    raise ValueError(
                        f'video {sample["video"]!r}: gt_labels of shape '
                        f'{labels.shape} fit neither the windows '
                        f'{frames.shape} nor the {sample["num_frames"]} '
                        'frames of the video.')
                # kept per frame, as the dataset gave them: not cut into
                # windows and put together again
                frame_labels, labels = labels, None
        return [
            self._clip_record(sample, frames[w], scores[w],
                              None if labels is None else labels[w],
                              None if before is None else before[w],
                              labels_from_sample=False,
                              frame_labels=frame_labels)
            for w in range(frames.shape[0])
        ]

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Compute the metrics from all ranks' records (see class doc)."""
        if not results:
            raise ValueError('VideoAnomalyMetric received no predictions; '
                             'is the test dataloader empty?')
        results = [
            rec for entry in results
            for rec in (entry['windows'] if 'windows' in entry else [entry])
        ]
        records = drop_duplicate_records(results)
        if len(records) < len(results):
            print_log(f'dropped {len(results) - len(records)} duplicate clip '
                      'records (same video and frame_indices)', 'current')
        has_labels = {r['gt_labels'] is not None or
                      r.get('frame_labels') is not None for r in records}
        if len(has_labels) > 1:
            raise ValueError('some clips have gt_labels and others do not; '
                             'label every test video or none.')
        labelled = has_labels.pop()
        frames = records_to_frames(records, self.clip_to_frame, labelled)
        threshold = self._fitted_threshold(records)
        protocol = self._protocol(frames, threshold, labelled)
        protocol['threshold_fit'] = self._threshold_fit(records, threshold)
        protocol['smoothing'] = self._postprocess(records)
        print_log('evaluation protocol: ' + ', '.join(
            f'{k}={v}' for k, v in protocol.items()), 'current')
        paths, self.output_errors = None, []
        if self.out_dir is not None:
            paths = output_paths(self.out_dir)
            try:  # before the metrics: the scores survive a metric error
                os.makedirs(self.out_dir, exist_ok=True)
                write_frame_scores_csv(paths['csv'], frames)
            except OSError as err:  # the metrics are still computed, kept
                self.output_errors.append(f'{paths["csv"]}: {err}')
                print_log(f'could not write {paths["csv"]} ({err}); the '
                          f'metrics still go to {paths["json"]}', 'current',
                          logging.ERROR)
        if labelled:
            metrics = self._metrics(frames, threshold)
            if protocol['smoothing'] != 'none':
                metrics.update(self._before_postprocess(records))
        else:
            metrics = {}
            print_log('no gt_labels: metrics skipped, only frame scores are '
                      'kept (written when out_dir is set)', 'current',
                      logging.WARNING)
        if paths is not None:
            meta = dict(self.extra_meta)
            if self.output_errors:
                meta['output_errors'] = list(self.output_errors)
            try:
                write_metrics_json(paths['json'], metrics, protocol, meta)
            except OSError as err:
                print_log('metrics: ' + json.dumps(metrics), 'current',
                          logging.ERROR)
                raise OSError(f'could not write {paths["json"]} ({err}); '
                              'the metrics are in the log line above.'
                              ) from err
        return metrics

    @staticmethod
    def _postprocess(records: Sequence[dict]) -> str:
        """The model's causal post-processing step (``'none'`` without)."""
        steps = {r.get('postprocess', 'none') for r in records}
        if len(steps) > 1:
            raise ValueError(f'clips carry different postprocess steps '
                             f'{sorted(steps)}; one model must score the '
                             'whole test set.')
        return steps.pop()

    def _before_postprocess(self, records: Sequence[dict]) -> Dict:
        """AUCs of the frame scores before the model's post-processing
        (``<key>_before_postprocess``), so its effect is in metrics.json."""
        if any(r.get('scores_before_postprocess') is None for r in records):
            raise ValueError(
                f'a post-processed model must send {_BEFORE_KEY} with every '
                'clip (the scores before its post-processing).')
        frames = records_to_frames(
            [dict(r, pred_scores=r['scores_before_postprocess'])
             for r in records], self.clip_to_frame, True)
        aucs = self._aucs(list(frames.values()))
        return {f'{key}_before_postprocess': aucs[key]
                for key in ('auc_micro', 'auc_micro_vidnorm', 'auc_macro')}

    @staticmethod
    def _fitted_threshold(records: Sequence[dict]) -> float:
        values = np.unique([r['pred_threshold'] for r in records])
        finite = values[~np.isnan(values)]
        if finite.size == 0:
            return float('nan')
        if finite.size > 1 or finite.size < values.size:
            raise ValueError(
                'clips carry different pred_threshold values '
                f'{values[:5].tolist()}; one fitted model must score the '
                'whole test set.')
        return float(finite[0])

    @staticmethod
    def _threshold_fit(records: Sequence[dict],
                       threshold: float) -> Optional[dict]:
        """``{windows, videos}`` the threshold was fitted on; None if
        unknown. Warns when below the minimum (see fit_threshold)."""
        counts = {r.get('threshold_fit', (-1, -1)) for r in records}
        if not np.isfinite(threshold) or len(counts) != 1:
            return None
        windows, videos = counts.pop()
        if windows < 0 or videos < 0:
            return None
        if fitted_on_too_little(windows, videos):
            print_log(
                f'the threshold was fitted on only {windows} normal '
                f'validation windows from {videos} videos (fewer than '
                f'{MIN_THRESHOLD_FIT_WINDOWS} windows or '
                f'{MIN_THRESHOLD_FIT_VIDEOS} videos): the P/R/F1 at it '
                'rest on little', 'current', logging.WARNING)
        return dict(windows=windows, videos=videos)

    def _protocol(self, frames, threshold: float, labelled: bool) -> dict:
        num_abnormal = (sum(int(v.labels.sum()) for v in frames.values())
                        if labelled else None)
        return dict(
            clip_to_frame=self.clip_to_frame,
            segment_len=self.segment_len,
            segment_stride=self.segment_stride,
            segment_label_rule=self.segment_label_rule,
            segment_score='mean',
            headline='auc_micro',
            score_normalisation='none',
            smoothing='none',
            num_videos=len(frames),
            num_frames=int(sum(v.scores.size for v in frames.values())),
            num_abnormal_frames=num_abnormal,
            threshold=threshold if np.isfinite(threshold) else None,
            # Which data and labels: Avenue's two label sets differ, say.
            dataset={
                key: value
                for key, value in (self.dataset_meta or {}).items()
                if key in _DATASET_KEYS
            })

    @staticmethod
    def _aucs(videos) -> Dict[str, float]:
        """``auc_micro``, ``auc_micro_vidnorm``, ``auc_macro`` and the macro
        counts of per-frame (scores, labels) videos; nan where undefined."""
        scores = np.concatenate([v.scores for v in videos])
        labels = np.concatenate([v.labels for v in videos])
        nan = float('nan')
        both = labels.min() != labels.max()
        per_video = [roc_auc(v.scores, v.labels) for v in videos
                     if v.labels.min() != v.labels.max()]
        return dict(
            auc_micro=roc_auc(scores, labels) if both else nan,
            auc_micro_vidnorm=roc_auc(np.concatenate(
                minmax_normalize_per_video([v.scores for v in videos])),
                                      labels) if both else nan,
            auc_macro=float(np.mean(per_video)) if per_video else nan,
            auc_macro_num_videos=len(per_video),
            auc_macro_num_skipped=len(videos) - len(per_video))

    def _metrics(self, frames, threshold: float) -> Dict[str, float]:
        videos = list(frames.values())
        scores = np.concatenate([v.scores for v in videos])
        labels = np.concatenate([v.labels for v in videos])
        nan = float('nan')
        metrics: Dict[str, float] = self._aucs(videos)
        if labels.min() == labels.max():
            print_log('every test frame has the same label: AUC and EER are '
                      'undefined (nan)', 'current', logging.WARNING)
        if np.isfinite(metrics['auc_micro']):
            metrics['eer'], metrics['eer_threshold'] = equal_error_rate(
                scores, labels)
        else:
            metrics['eer'] = metrics['eer_threshold'] = nan
        metrics['ap'] = (average_precision(scores, labels)
                         if labels.any() else nan)
        if not np.isfinite(threshold):
            print_log('pred_threshold is nan (scorers not fitted): segment '
                      'and frame P/R/F1 skipped', 'current', logging.WARNING)
            return metrics
        seg_scores = np.concatenate([
            window_scores(v.scores, self.segment_len, self.segment_stride)
            for v in videos
        ])
        seg_labels = np.concatenate([
            window_labels(v.labels, self.segment_len, self.segment_stride,
                          self.segment_label_rule) for v in videos
        ])
        for unit, (s, y) in (('seg', (seg_scores, seg_labels)),
                             ('frame', (scores, labels))):
            for name, value in segment_prf(s, y, threshold).items():
                metrics[f'{unit}_{name}'] = value
        return metrics
