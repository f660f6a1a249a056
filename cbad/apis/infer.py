"""Run a fitted detector on your own footage: scores, events, plot, video.

:func:`run_inference` reads an input (:func:`~cbad.datasets.sources.inputs.
open_input`: a video file, a frame folder, a camera, a stream), scores it
frame by frame with the detector's ``stream_scorer`` (or all
at once with ``offline=True``: the same numbers, for comparison; detectors
that cannot stream are scored so too, with a warning) and writes, as scores
become final:

- ``scores.csv``: ``frame,timestamp,score,is_anomalous``, flushed per row;
- ``events.json``: the events (:mod:`cbad.apis.events`) and the run's
  settings, rewritten whenever an event closes; ``finished`` is true only
  when the whole input was scored, else ``error`` says why it stopped;
- ``score_curve.png``: score against time, the threshold, the events and,
  given per-frame labels, the ground truth and the frame-level AUC;
- ``annotated.mp4`` (``save_video=True``): every frame with a score bar
  and, unless ``heatmap=False``, the detector's response map.

Any error while reading (a frame of another size, an unreadable image, a
dropped stream, Ctrl-C, SIGTERM within :func:`sigterm_as_interrupt`) stops
the reading; the frames read so far are still scored and every file
written, then the error is raised again, its ``outputs`` attribute the path
of the ``events.json`` (``summary.json``) this run wrote, or None. The last
frames of an input that stopped early are scored as if it ended there; a
longer input may score them otherwise, so ``events.json`` marks them
(``frames_scored_as_end``, ``"partial": true`` on the events they touch).

Nothing is written into ``out_dir`` before the input delivered a frame the
model takes: a run that fails before leaves the folder as it was. Then the
outputs of an earlier run there are moved to ``out_dir/previous_run/``
(the next free ``previous_run_N/`` when that is taken), never mixed with the
new ones nor deleted. A folder of video files gives one subfolder per video and a
``summary.json``.
"""
import contextlib
import logging
import math
import os
import os.path as osp
import signal
import threading
import time
from collections import deque
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import print_log
from tqdm import tqdm

from cbad.apis.events import EventTracker
from cbad.datasets.sources.inputs import (FolderInput, check_fps, list_videos,
                                    open_input)
from cbad.apis.infer_outputs import (AnnotatedVideo, ScoreLog,
                                     check_label_count, heatmap_unsupported,
                                     load_frame_labels, move_earlier_outputs,
                                     write_json_atomic)
from cbad.apis.scoring import (STREAM_REDUCES, FramePreprocessor,
                                 score_offline, stream_scorer,
                                 window_geometry)
from cbad.datasets.sources.frame_folder import list_frame_files

SUMMARY_JSON = 'summary.json'
VIDEO_MP4 = 'annotated.mp4'


class OfflineScorer:
    """A stream scorer's interface over :func:`score_offline`:
    holds every frame and scores the whole input at :meth:`finish`."""

    def __init__(self, model: torch.nn.Module, geometry: Dict) -> None:
        self.model = model
        self.geometry = geometry
        self._chunks: List[torch.Tensor] = []

    def push(self, chunk: torch.Tensor) -> List[Tuple[int, float]]:
        """Keep (C, n, H, W) frames; nothing is final before the end."""
        self._chunks.append(chunk)
        return []

    def finish(self) -> List[Tuple[int, float]]:
        """Score all frames; return every (frame, score)."""
        if not self._chunks:
            return []
        frames = torch.cat(self._chunks, dim=1)
        self._chunks = []
        scores = score_offline(self.model, frames, self.geometry)
        return list(enumerate(scores.tolist()))


def detector_threshold(model: torch.nn.Module) -> float:
    """The fitted threshold of a detector.

    Raises:
        ValueError: If the detector has none (not fitted).
    """
    threshold = float(getattr(model, 'threshold', float('nan')))
    if not math.isfinite(threshold):
        raise ValueError(
            f'{type(model).__name__} has no fitted threshold (nan): load a '
            'fitted checkpoint (a model-zoo name, or one written by '
            'tools/train.py or tools/fit.py).')
    return threshold


def _can_stream(model: torch.nn.Module, cfg: Config) -> bool:
    """Whether ``model`` can score a stream; logs a warning
    (scoring offline instead) when it does not.

    Raises:
        ValueError: For windows no scorer can use (stride > clip_len).
    """
    geometry = window_geometry(model, cfg)
    reason = None
    try:  # cheap: no data. Any reduce, to see the other checks too
        reduce = (geometry['reduce'] if geometry['reduce'] in STREAM_REDUCES
                  else STREAM_REDUCES[0])
        stream_scorer(model, dict(geometry, reduce=reduce))
    except NotImplementedError as err:
        reason = str(err)
    if reason is None and geometry['reduce'] not in STREAM_REDUCES:
        reason = (f"clip_to_frame={geometry['reduce']!r}; streaming "
                  f'applies {" or ".join(STREAM_REDUCES)}')
    if reason is not None:
        print_log(f'{type(model).__name__} cannot be scored streaming '
                  f'({reason}); scoring offline instead, as --offline does: '
                  'the whole input is read (and held in memory) before any '
                  'score is written.', 'current', logging.WARNING)
    return reason is None


def _can_map(model: torch.nn.Module) -> bool:
    """Whether :func:`response_maps` has a map for ``model``; logs a
    warning (no heat map in the video) when it has not."""
    reason = heatmap_unsupported(model)
    if reason is not None:
        print_log(f'{reason} The annotated video gets score bars only (as '
                  'with --no-heatmap).', 'current', logging.WARNING)
    return reason is None


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt (see
    :func:`sigterm_as_interrupt`), so a run stopped by ``kill`` or a service
    manager finishes its outputs the same way."""


@contextlib.contextmanager
def sigterm_as_interrupt():
    """Within this context, SIGTERM raises :class:`Terminated` in the main
    thread; :func:`run_inference` then writes every output, as on Ctrl-C,
    and re-raises it. The previous handler is restored on exit. Elsewhere
    than the main thread it changes nothing (Python allows handlers only
    there)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum, frame):
        raise Terminated('SIGTERM')

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _error_text(error: BaseException) -> str:
    if isinstance(error, Terminated):
        return 'interrupted (SIGTERM)'
    if isinstance(error, KeyboardInterrupt):
        return 'interrupted (KeyboardInterrupt)'
    return f'{type(error).__name__}: {error}'


def _check_labels(labels: Optional[np.ndarray], source) -> None:
    """Fail at once when the input's length is known and the labels do not
    fit it (a frame folder); for a video file whose container announces a
    count, warn (the count is often an estimate): the check that fails is
    then the one at the end, on the frames decoded."""
    if labels is None or source.total is None or source.is_live:
        return
    if isinstance(source, FolderInput):
        check_label_count(labels, source.total,
                          f'the frame folder {source.spec}')
    elif len(labels) != source.total:
        print_log(f'{source.name}: {len(labels)} labels, and the container '
                  f'announces {source.total} frames; scoring anyway (the '
                  'count may be an estimate), the labels are checked '
                  'against the frames decoded at the end.', 'current',
                  logging.WARNING)


class _FrameFlow:
    """Frames in; final scores out, in order, to the log and the video.

    Holds only the frames not yet scored: the scorer's latency, at most
    ``clip_len + stride - 1`` frames for a clip-level stream, plus a
    partial chunk; a detector's own scorer (the tube model's) holds a
    window's frames until the tracks in it are decided, usually two windows
    but without a fixed bound.
    """

    def __init__(self, pre: FramePreprocessor, scorer, chunk: int,
                 log: ScoreLog, video: Optional[AnnotatedVideo]) -> None:
        self.pre = pre
        self.scorer = scorer
        self.chunk = chunk
        self.log = log
        self.video = video
        self.heat = video is not None and video.model is not None
        self._batch: List[torch.Tensor] = []  # C x 1 x H x W each
        self._pending: deque = deque()  # (index, time, frame, input)

    def add(self, index: int, timestamp: float, frame: np.ndarray) -> None:
        """Preprocess one frame; push a chunk when one is complete.

        Raises:
            ValueError: On a frame of another size (nothing is added).
        """
        x = self.pre([frame])  # C x 1 x H x W
        self.log.start()  # outputs begin with a frame the model takes
        self._pending.append((index, timestamp,
                              frame if self.video is not None else None,
                              x[:, 0] if self.heat else None))
        self._batch.append(x)
        if len(self._batch) == self.chunk:
            self._push()

    def _push(self) -> None:
        inputs, self._batch = torch.cat(self._batch, dim=1), []
        self._emit(self.scorer.push(inputs))

    def finish(self) -> None:
        """End of input: score the frames still held."""
        if self._batch:
            self._push()
        self._emit(self.scorer.finish())

    def _emit(self, pairs: List[Tuple[int, float]]) -> None:
        entries = [self._pending.popleft() for _ in pairs]
        for (index, timestamp, _, _), (frame, score) in zip(entries, pairs):
            assert index == frame, (index, frame)  # both count from 0
            self.log.add(frame, timestamp, score)
        if self.video is not None:
            self.video.write([e[2] for e in entries], [s for _, s in pairs],
                             [e[3] for e in entries] if self.heat else None)


def _infer_one(
        model: torch.nn.Module, cfg: Config, source, out_dir: str,
        options: Dict[str, Any]
) -> Tuple[Dict[str, Any], Optional[BaseException]]:
    """Score one opened input into ``out_dir`` (see :func:`run_inference`).

    The source is always closed, also when setting up fails.

    Returns:
        tuple: The summary (events.json's content, ``max_score``,
        ``frames_per_s``, ``video``: its path, None when not written) and
        the error that stopped the input early, None if it was read to the
        end.
    """
    try:  # everything that can fail before the loop: then close the source
        threshold = detector_threshold(model)
        _check_labels(options['labels'], source)
        geometry = window_geometry(model, cfg)
        if options['offline']:
            scorer = OfflineScorer(model, geometry)
        else:
            scorer = stream_scorer(model, geometry)
        tracker = EventTracker.from_seconds(
            source.fps, options['min_duration'], options['merge_gap'])
        chunk = int(options['chunk'] or geometry['stride'])
        pre = FramePreprocessor(model, cfg.test_dataloader.dataset.pipeline,
                                name=source.name)
        video = None
        if options['save_video']:
            video = AnnotatedVideo(
                osp.join(out_dir, VIDEO_MP4), source.fps, threshold,
                model if options['heatmap'] else None,
                context=geometry['clip_len'], piece=chunk)
        # writes nothing before its start(): at the first frame
        log = ScoreLog(out_dir, threshold, tracker, dict(
            options['meta'], input=str(source.spec), name=source.name,
            fps=source.fps,
            scoring='offline' if options['offline'] else 'streaming',
            min_duration=options['min_duration'],
            min_frames=tracker.min_frames, merge_gap=options['merge_gap'],
            merge_gap_frames=tracker.merge_gap))
    except BaseException:
        source.close()
        raise
    flow = _FrameFlow(pre, scorer, chunk, log, video)

    bar = tqdm(total=source.total, unit='frame', desc=source.name,
               disable=not options['progress'] or source.is_live)
    error: Optional[BaseException] = None
    start = last_status = time.monotonic()
    try:
        for index, timestamp, frame in source:
            flow.add(index, timestamp, frame)
            bar.update()
            now = time.monotonic()
            if source.is_live and (now - last_status
                                   >= options['status_every']):
                last_status = now
                print_log(f'{source.name}: {index + 1} frames, '
                          f'{(index + 1) / (now - start):.1f} frames/s, '
                          f'{len(tracker.events)} events', 'current')
    except (Exception, KeyboardInterrupt) as err:  # finish what was read
        error = err
    finally:
        bar.close()
        source.close()

    def first_error(err: BaseException, doing: str) -> None:
        """Keep the first error; log a later one (a second Ctrl-C too)."""
        nonlocal error
        if error is None:
            error = err
        else:
            print_log(f'{source.name}: after the first error, {doing} '
                      f'failed too: {_error_text(err)}', 'current',
                      logging.ERROR)

    final_before_end = log.num_frames  # no later frame can change these
    try:
        flow.finish()
    except (Exception, KeyboardInterrupt) as err:
        first_error(err, 'scoring the frames read before it')
    if error is None and source.dropped:
        error = ConnectionError(
            f'{source.name}: {source.drop_reason or "the stream dropped"} '
            f'({log.num_frames} frames scored).')
    elapsed = time.monotonic() - start
    video_path = None
    if video is not None:
        try:
            video_path = video.close()  # None: no frame was written
        except (Exception, KeyboardInterrupt) as err:
            first_error(err, f'closing {video.path}')
    # the frames of an input that stops early within the model's stream
    # latency of its end may score otherwise in a longer input (also when
    # scored --offline); with no bound, every frame the last step gave may
    latency = model.stream_latency(geometry['clip_len'], geometry['stride'],
                                   geometry['video_level'])
    payload = log.close(
        None if error is None else _error_text(error),
        labels=options['labels'],
        scored_as_end_from=final_before_end if latency is None else max(
            final_before_end, log.num_frames - latency),
        interrupted=isinstance(error, KeyboardInterrupt))
    if error is None and log.labels_error is not None:
        error = ValueError(f'{source.name}: {log.labels_error}')
    elif error is not None:
        print_log(f'{source.name}: stopped early; ' + (
            f'{out_dir} holds the {log.num_frames} frames scored. '
            if log.started else f'nothing was written to {out_dir}. ') +
            _error_text(error), 'current', logging.WARNING)
    if error is not None:
        error.outputs = log.json_path if log.started else None
    return dict(payload, max_score=log.max_score if log.num_frames else None,
                frames_per_s=log.num_frames / max(elapsed, 1e-9),
                video=video_path), error


def _infer_folder(model: torch.nn.Module, cfg: Config, folder: str,
                  out_dir: str, options: Dict[str, Any]) -> Dict[str, Any]:
    """Every video in ``folder``, one subfolder each, and summary.json.

    A video that fails is recorded in the summary (with its error and what
    was scored before it) and the next one runs; Ctrl-C stops them all.
    The summary is rewritten after every video.

    Raises:
        ValueError: After the last video, if any stopped early.
    """
    if options['labels'] is not None:
        raise ValueError('labels are per frame of one input; they cannot '
                         f'apply to the folder of videos {folder}.')
    videos: Dict[str, Dict[str, Any]] = {}
    summary = dict(options['meta'], input=folder, videos=videos)
    summary_path = osp.join(out_dir, SUMMARY_JSON)
    for file in list_videos(folder):
        name = osp.splitext(file)[0]
        name = file if name in videos else name  # a.mp4 and a.avi
        sub_dir = osp.join(out_dir, name)
        result, error = dict(num_frames=0, events=[], max_score=None), None
        try:
            source = open_input(osp.join(folder, file), options['fps'],
                                options['reconnect'],
                                options['reconnect_wait'],
                                options['max_reconnects'])
            result, error = _infer_one(model, cfg, source, sub_dir, options)
        except Exception as err:  # could not open: the next video runs
            error = err
        written = error is None or getattr(error, 'outputs', None)
        videos[name] = dict(frames=result['num_frames'],
                            events=len(result['events']),
                            max_score=result['max_score'],
                            finished=error is None,
                            out_dir=sub_dir if written else None)
        if error is not None:
            videos[name]['error'] = _error_text(error)
        if len(videos) == 1:  # the earlier run's summary: aside
            os.makedirs(out_dir, exist_ok=True)
            move_earlier_outputs(out_dir, (SUMMARY_JSON, ))
        write_json_atomic(summary_path, summary)
        if isinstance(error, KeyboardInterrupt):
            error.outputs = summary_path
            raise error
    failed = [name for name, video in videos.items() if not video['finished']]
    if failed:
        error = ValueError(
            f'{len(failed)} of {len(videos)} videos in {folder} stopped '
            f'early ({", ".join(failed)}); their errors are in '
            f'{summary_path}.')
        error.outputs = summary_path
        raise error
    return summary


def run_inference(model: torch.nn.Module,
                  cfg: Optional[Config],
                  spec: Union[str, int],
                  out_dir: str,
                  offline: bool = False,
                  min_duration: float = 0.0,
                  merge_gap: float = 0.0,
                  labels: Union[None, str, np.ndarray] = None,
                  save_video: bool = False,
                  heatmap: bool = True,
                  fps: Optional[float] = None,
                  chunk: Optional[int] = None,
                  status_every: float = 10.0,
                  reconnect: int = 3,
                  reconnect_wait: float = 1.0,
                  max_reconnects: Optional[int] = None,
                  progress: bool = True,
                  meta: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Score footage with a fitted detector and write the results.

    Args:
        model (nn.Module): A fitted detector in eval mode
            (:func:`~cbad.apis.get_model`, :func:`~cbad.apis.scoring.
            init_detector`).
        cfg (Config, optional): Its config (test pipeline, windows).
            Defaults to ``model.cfg``, which both builders set.
        spec (str | int): What :func:`~cbad.datasets.sources.inputs.open_input`
            opens, or a folder of video files (one subfolder each under
            ``out_dir`` and ``summary.json``).
        out_dir (str): Where the outputs go (see the module docstring).
        offline (bool): Read the whole input, then score it at once
            (:func:`score_offline`). Defaults to False (streaming). A
            detector that cannot stream (its ``stream_scorer`` refuses
            it: hand-crafted and grid-mode contrastive detectors, a
            ``clip_to_frame`` other than mean or max) is scored offline
            anyway, with a warning; ``events.json`` says ``"scoring":
            "offline"``.
        min_duration (float): Drop events shorter than this, in seconds.
            Defaults to 0.0 (keep all).
        merge_gap (float): Merge events at most this many seconds apart.
            Defaults to 0.0.
        labels (str | array, optional): Per-frame 0/1 ground truth
            (``.npy``, or text with the values separated by commas, spaces
            or newlines) for the plot and ``frame_auc``: one per frame of
            the input. Checked at once for a frame folder; for a video file
            or a stream, once it ended (the scores are written first; a
            video's announced frame count only gives an early warning).
        save_video (bool): Write ``annotated.mp4``. Defaults to False.
        heatmap (bool): With ``save_video``, overlay response maps; they
            cost a backward pass (Grad-CAM) or a reconstruction per frame.
            Defaults to True. For a detector :func:`~cbad.visualization.
            response_maps` has no map for, the video has score bars only
            (with a warning).
        fps (float, optional): Overrides the input's frame rate.
        chunk (int, optional): Frames pushed to the scorer at once, >= 1.
            Defaults to the detector's window stride.
        status_every (float): Live sources: seconds between status lines.
            Defaults to 10.0.
        reconnect (int): Live sources: reopen attempts after a drop.
            Defaults to 3.
        reconnect_wait (float): Seconds before each attempt. Defaults to 1.0.
        max_reconnects (int, optional): Live sources: reconnects allowed
            over the whole run; the next drop stops it. Defaults to
            ``10 * reconnect``.
        progress (bool): Show a progress bar for files and folders.
            Defaults to True.
        meta (dict, optional): Extra keys for ``events.json`` (model,
            config, checkpoint). Defaults to the config's file name.

    Returns:
        dict: The content of ``events.json`` plus ``max_score``,
        ``frames_per_s`` and ``video``; for a folder of videos, the content
        of ``summary.json``.

    Raises:
        FileNotFoundError, ValueError: For an input that cannot be read
            (at once, or after writing the outputs of the frames before),
            and at once for bad arguments (``chunk`` < 1, ``fps`` <= 0,
            labels that are not 0/1, or not one per frame of a frame
            folder); after writing every output for labels that are not
            one per frame of a video or stream.
        ConnectionError: When a live stream dropped for good (outputs
            written).
        KeyboardInterrupt: Re-raised after writing the outputs (also
            :class:`Terminated`, for SIGTERM within
            :func:`sigterm_as_interrupt`).

        An error raised after the input was opened has an attribute
        ``outputs``: the ``events.json`` (``summary.json``) this run wrote,
        or None when it wrote nothing.
    """
    cfg = cfg if cfg is not None else model.cfg
    # fail, or decide, before opening anything
    detector_threshold(model)
    if chunk is not None and int(chunk) < 1:
        raise ValueError(f'chunk must be >= 1 frame, got {chunk}.')
    fps = check_fps(fps)
    offline = offline or not _can_stream(model, cfg)
    heatmap = heatmap and save_video and _can_map(model)
    folder = bool(isinstance(spec, str) and osp.isdir(spec)
                  and not list_frame_files(spec) and list_videos(spec))
    if labels is not None and not folder:
        labels = load_frame_labels(labels)
    options = dict(
        offline=offline, min_duration=min_duration, merge_gap=merge_gap,
        labels=labels, save_video=save_video, heatmap=heatmap, fps=fps,
        chunk=chunk, status_every=status_every, reconnect=reconnect,
        reconnect_wait=reconnect_wait, max_reconnects=max_reconnects,
        progress=progress,
        meta=dict(meta or dict(config=getattr(cfg, 'filename', None))))
    if folder:
        return _infer_folder(model, cfg, spec, out_dir, options)
    source = open_input(spec, fps, reconnect, reconnect_wait, max_reconnects)
    result, error = _infer_one(model, cfg, source, out_dir, options)
    if error is not None:
        raise error
    return result
