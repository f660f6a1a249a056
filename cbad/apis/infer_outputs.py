"""What :func:`cbad.apis.run_inference` writes, one frame at a time.

- :class:`ScoreLog`: ``scores.csv`` (a row per final frame score, flushed at
  once, so a crash loses nothing already scored), ``events.json``
  (rewritten atomically whenever an event closes and at the end) and, at
  the end, ``score_curve.png``;
- :class:`AnnotatedVideo`: ``annotated.mp4``, each frame with its score bar
  and, optionally, the detector's response map, written as scores arrive.
"""
import csv
import json
import logging
import os
import os.path as osp
import re
import sys
import warnings
from collections import deque
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
from mmengine.logging import print_log

from cbad.apis.events import EventTracker, find_events
from cbad.evaluation.functional import roc_auc
from cbad.evaluation.metrics.frame_table import json_safe
from cbad.visualization import (draw_score_bar, overlay_heatmap,
                                plot_score_curve, response_maps)

SCORES_CSV = 'scores.csv'
EVENTS_JSON = 'events.json'
CURVE_PNG = 'score_curve.png'
CSV_HEADER = ('frame', 'timestamp', 'score', 'is_anomalous')
#: What one run writes into its folder (moved aside by the next run).
RUN_FILES = (SCORES_CSV, EVENTS_JSON, CURVE_PNG, 'annotated.mp4',
             'annotated.avi')
#: Subfolder that keeps the outputs a new run replaced.
PREVIOUS_RUN = 'previous_run'


def write_json_atomic(path: str, payload: Dict[str, Any]) -> None:
    """Write JSON to a temporary file, then rename it over ``path``: a
    reader (or a crash) never sees a half-written file. NaN -> null."""
    tmp = f'{path}.{os.getpid()}.tmp'
    with open(tmp, 'w') as f:
        json.dump(json_safe(payload), f, indent=2, allow_nan=False)
        f.write('\n')
    os.replace(tmp, path)


def _read_label_text(path: str) -> np.ndarray:
    """The numbers of a text file, separated by commas, spaces, tabs or
    newlines (any mix)."""
    with open(path) as f:
        tokens = [t for t in re.split(r'[\s,;]+', f.read()) if t]
    if not tokens:
        raise ValueError(f'{path} holds no labels; expected one 0/1 per '
                         'frame, separated by commas, spaces or newlines.')
    values = []
    for index, token in enumerate(tokens):
        try:
            values.append(float(token))
        except ValueError:
            raise ValueError(
                f'{path}: value {index} is {token!r}, not a number; expected '
                'one 0/1 per frame, separated by commas, spaces or newlines '
                '(or a .npy array).') from None
    return np.asarray(values)


def load_frame_labels(labels: Union[str, Sequence[int]]) -> np.ndarray:
    """Per-frame 0/1 labels from a ``.npy`` file, a text file (values
    separated by commas, spaces or newlines, in any mix) or an array.

    Raises:
        ValueError: If the file holds no value, or one that is not 0 or 1.
    """
    source = labels if isinstance(labels, str) else 'labels'
    if isinstance(labels, str):
        labels = (np.load(labels) if labels.endswith('.npy') else
                  _read_label_text(labels))
    labels = np.asarray(labels).ravel()
    if not np.isin(labels, (0, 1)).all():
        raise ValueError(f'{source}: labels must be 0 (normal) / 1 '
                         '(abnormal) per frame, found values '
                         f'{np.unique(labels)[:10]}.')
    return labels.astype(np.int64)


def check_label_count(labels: np.ndarray, num_frames: int,
                      what: str) -> None:
    """Raise when there is not one label per frame.

    Raises:
        ValueError: Naming both lengths.
    """
    if len(labels) != num_frames:
        raise ValueError(
            f'{len(labels)} labels for the {num_frames} frames of {what}: '
            'give one 0/1 label per frame of this input.')


def read_scores_csv(path: str) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``frame``, ``timestamp`` and ``score`` columns of a scores.csv."""
    table = np.loadtxt(path, delimiter=',', skiprows=1, ndmin=2)
    if table.size == 0:
        return np.zeros(0, int), np.zeros(0), np.zeros(0)
    return table[:, 0].astype(int), table[:, 1], table[:, 2]


def heatmap_unsupported(model: torch.nn.Module) -> Optional[str]:
    """Why :func:`response_maps` has no map for ``model``; None when it has.

    Costs nothing: ``response_maps`` checks the detector's type before its
    input, so a probe with no input raises NotImplementedError for a
    detector without a map rule and ValueError (the missing video) for one
    with a rule.
    """
    try:
        response_maps(model, None)
    except NotImplementedError as err:
        return str(err)
    except ValueError:
        pass
    return None


class ScoreLog:
    """``scores.csv`` and ``events.json`` of one input, kept current, and
    ``score_curve.png`` at :meth:`close`.

    Nothing is written before :meth:`start` (called by the first
    :meth:`add`, or by the caller once the input delivered a frame the
    model takes): a run that fails before leaves ``out_dir`` as it was. At
    the start, the outputs of an earlier run found in ``out_dir``
    (:data:`RUN_FILES`) are moved to ``out_dir/previous_run/`` (the next
    free ``previous_run_N/`` when that holds a run already), so a new run
    never mixes its files with an earlier run's, nor deletes one.

    Args:
        out_dir (str): Where both files go (created if missing).
        threshold (float): Frame score > threshold = anomalous.
        tracker (EventTracker): Groups anomalous frames into events.
        header (dict): Written at the top of ``events.json``; needs
            ``name`` (for the plot's title) and ``fps``.
    """

    def __init__(self, out_dir: str, threshold: float, tracker: EventTracker,
                 header: Dict[str, Any]) -> None:
        self.out_dir = out_dir
        self.csv_path = osp.join(out_dir, SCORES_CSV)
        self.json_path = osp.join(out_dir, EVENTS_JSON)
        self.threshold = threshold
        self.tracker = tracker
        self.header = dict(header, threshold=threshold)
        self.num_frames = 0
        self.max_score = float('-inf')
        self.started = False
        #: Why the labels given to :meth:`close` were not used, else None.
        self.labels_error: Optional[str] = None
        self._state = dict(interrupted=False, frames_scored_as_end=None)
        self._start_error: Optional[BaseException] = None
        self._file = None

    def start(self) -> None:
        """Create the outputs (see the class doc); later calls do nothing,
        or raise again the error that stopped the first one.

        Raises:
            OSError: If the folder or a file cannot be written; the earlier
                run's outputs are then moved back.
        """
        if self.started:
            return
        if self._start_error is not None:
            raise self._start_error
        moved: List[Tuple[str, str]] = []
        try:
            os.makedirs(self.out_dir, exist_ok=True)
            moved = move_earlier_outputs(self.out_dir, RUN_FILES)
            self._file = open(self.csv_path, 'w', newline='')
            try:
                self._csv = csv.writer(self._file, lineterminator='\n')
                self._write_row(CSV_HEADER)
                self.write_json(finished=False)
            except BaseException:
                self._file.close()
                raise
        except Exception as err:
            self._start_error = err
            _restore(self.csv_path, moved)
            raise
        self.started = True

    def _write_row(self, row: Sequence) -> None:
        self._csv.writerow(row)
        self._file.flush()

    def add(self, frame: int, timestamp: float, score: float) -> None:
        """Log one final frame score; rewrite events.json if an event
        closed."""
        self.start()
        anomalous = score > self.threshold
        self._write_row([frame, f'{timestamp:.6f}', repr(float(score)),
                         int(anomalous)])
        self.num_frames += 1
        self.max_score = max(self.max_score, float(score))
        if self.tracker.update(frame, timestamp, score, anomalous):
            self.write_json(finished=False)

    def _payload(self, finished: bool, error: Optional[str],
                 **extra: Any) -> Dict[str, Any]:
        return dict(self.header, events=self.tracker.events,
                    num_frames=self.num_frames, finished=finished,
                    error=error, **self._state, **extra)

    def write_json(self, finished: bool, error: Optional[str] = None,
                   **extra: Any) -> Dict[str, Any]:
        """Rewrite events.json with the events so far; return its content."""
        payload = self._payload(finished, error, **extra)
        write_json_atomic(self.json_path, payload)
        return payload

    def close(self, error: Optional[str] = None,
              labels: Optional[np.ndarray] = None,
              scored_as_end_from: Optional[int] = None,
              interrupted: bool = False) -> Dict[str, Any]:
        """End of input: close the CSV and the last event, write the final
        events.json and score_curve.png (nothing when :meth:`start` never
        ran or failed: the content is still returned).

        Args:
            error (str, optional): Why the input stopped early; None when
                it was read to the end.
            labels (np.ndarray, optional): (L,) 0/1 ground truth of the
                frames: shaded in the plot, and ``frame_auc`` in
                events.json when both classes occur. When the input was
                read to the end, L must be the number of frames scored;
                after an early stop, L may be larger (the first frames are
                compared). Otherwise the labels are not used and
                ``labels_error`` (events.json, and this attribute) says
                why.
            scored_as_end_from (int, optional): After an early stop, the
                first frame whose score used the end-of-input rule (the
                last windows) although the input had not ended: events.json
                gets ``frames_scored_as_end: [first, last]`` and every event
                reaching into them, or still open at the stop, gets
                ``"partial": true``.
            interrupted (bool): The stop was Ctrl-C or SIGTERM
                (``interrupted`` in events.json).

        Returns:
            dict: The content of events.json.
        """
        if self._file is not None:
            self._file.close()
        closed = self.tracker.finish()
        self._state['interrupted'] = bool(interrupted)
        if (error is not None and scored_as_end_from is not None
                and scored_as_end_from < self.num_frames):
            first = max(0, int(scored_as_end_from))
            self._state['frames_scored_as_end'] = [first,
                                                   self.num_frames - 1]
            for event in self.tracker.events:
                if event['end_frame'] >= first or any(
                        event is e for e in closed):
                    event['partial'] = True
            print_log(f'{self.header["name"]}: frames {first}-'
                      f'{self.num_frames - 1} were scored as if the input '
                      'ended there (it stopped early); a complete run may '
                      'score them differently. events.json marks them '
                      '(frames_scored_as_end, "partial" events).', 'current',
                      logging.WARNING)
        if not self.started:
            return self._payload(error is None, error)
        name, fps = self.header['name'], self.header['fps']
        _, times, scores = read_scores_csv(self.csv_path)
        extra, truth = {}, []
        if labels is not None:
            if len(labels) != len(scores) and (error is None
                                               or len(labels) < len(scores)):
                self.labels_error = (
                    f'{len(labels)} labels for the {len(scores)} frames '
                    f'scored{"" if error is None else " before the stop"}: '
                    'give one 0/1 label per frame of this input (no frame '
                    'AUC was computed).')
                extra['labels_error'] = self.labels_error
                print_log(f'{name}: {self.labels_error}', 'current',
                          logging.ERROR)
                labels = None
            else:
                labels = labels[:len(scores)]
        if labels is not None:
            # one rule for ground truth and events: runs of frames over 0.5
            truth = [dict(start_time=times[span['start_frame']],
                          end_time=times[span['end_frame']])
                     for span in find_events(labels, 0.5, fps)]
            if len(np.unique(labels)) == 2:
                extra['frame_auc'] = roc_auc(scores, labels)
        payload = self.write_json(error is None, error, **extra)
        title = f'{name}: {len(scores)} frames, {len(self.tracker.events)} '
        title += 'events' + (f', frame AUC {extra["frame_auc"]:.3f}'
                             if 'frame_auc' in extra else '')
        plot_score_curve(osp.join(osp.dirname(self.csv_path), CURVE_PNG),
                         times, scores, self.threshold, self.tracker.events,
                         truth, title)
        return payload


def move_earlier_outputs(out_dir: str,
                         names: Sequence[str]) -> List[Tuple[str, str]]:
    """Move the files ``names`` found in ``out_dir`` (an earlier run's) to
    ``out_dir/previous_run/``, or, if that already holds a run, to the first
    free ``previous_run_2/``, ``previous_run_3/``, ...: nothing an earlier
    run wrote is ever deleted (a finished run followed by two failed ones
    keeps all three).

    Returns:
        list[tuple[str, str]]: The (from, to) paths moved.
    """
    found = [n for n in names if osp.isfile(osp.join(out_dir, n))]
    if not found:
        return []
    previous, number = osp.join(out_dir, PREVIOUS_RUN), 1
    while osp.exists(previous) and os.listdir(previous):
        number += 1
        previous = osp.join(out_dir, f'{PREVIOUS_RUN}_{number}')
    os.makedirs(previous, exist_ok=True)
    moved = []
    for name in found:
        pair = (osp.join(out_dir, name), osp.join(previous, name))
        os.replace(*pair)
        moved.append(pair)
    print_log(f'{out_dir} held the outputs of an earlier run: moved '
              f'{", ".join(found)} to {previous}/', 'current')
    return moved


def _restore(created: str, moved: List[Tuple[str, str]]) -> None:
    """After a failed start: remove what it created, move the earlier
    outputs back (best effort: the original error is what matters)."""
    try:
        if osp.isfile(created):
            os.remove(created)
        for source, target in moved:
            os.replace(target, source)
    except OSError as err:
        print_log(f'could not restore the earlier outputs in '
                  f'{osp.dirname(created)}: {err}', 'current',
                  logging.ERROR)


class AnnotatedVideo:
    """Frames with score bars (and response maps), written as they score.

    Args:
        path (str): The ``.mp4`` to write (mp4v); where OpenCV cannot open
            that writer, the same name with ``.avi`` (MJPG) instead.
        fps (float): Frame rate of the output.
        threshold (float): The detector's threshold (for the bar).
        model (nn.Module, optional): Overlay :func:`response_maps` of this
            detector. None writes score bars only.
        context (int): Frames before each piece to run the maps with (a
            clip's length), kept as normalised tensors. Defaults to 0.
        piece (int): Frames per :func:`response_maps` call at most, so its
            cost and memory stay bounded when many frames arrive at once
            (offline scoring). Defaults to 16.

    Maps are normalised per call (the video's brightest 0.5% of pixels are
    red), so they show *where* in the frame the detector responds; *how
    much* is the score bar. A detector whose maps need the whole video
    (``maps_need_whole_video``, the tube model: its proposals, background
    and tracks start at the video's first frame) is mapped in one call over
    all the frames, so its maps are the ones of its scores: its frames are
    held until :meth:`close` (memory grows with the input, unlike the
    scores, which stream).
    """

    def __init__(self, path: str, fps: float, threshold: float,
                 model: Optional[torch.nn.Module] = None, context: int = 0,
                 piece: int = 16) -> None:
        self.path = path
        self.fps = fps
        self.threshold = threshold
        self.model = model
        self.piece = max(1, int(piece))
        #: (frames, scores, inputs) held for one call at close, or None
        self._held = None
        if model is not None and getattr(model, 'maps_need_whole_video',
                                         False):
            self.piece, context = sys.maxsize, 0
            self._held = ([], [], [])
        self.num_frames = 0
        self._context: deque = deque(maxlen=max(0, int(context)))
        self._writer: Optional[cv2.VideoWriter] = None

    def _open(self, frame: np.ndarray) -> cv2.VideoWriter:
        size = (frame.shape[1], frame.shape[0])
        stem = osp.splitext(self.path)[0]
        for suffix, fourcc in (('.mp4', 'mp4v'), ('.avi', 'MJPG')):
            writer = cv2.VideoWriter(stem + suffix,
                                     cv2.VideoWriter_fourcc(*fourcc),
                                     self.fps, size)
            if writer.isOpened():
                self.path = stem + suffix
                return writer
            writer.release()
        raise OSError(f'OpenCV cannot write {stem}.mp4 (mp4v) nor '
                      f'{stem}.avi (MJPG): this OpenCV build has no video '
                      'encoder. Run without --save-video.')

    def _maps(self, inputs: List[torch.Tensor]) -> np.ndarray:
        """Response maps of ``inputs`` (each C x H x W), with context."""
        context = list(self._context)
        video = torch.stack(context + inputs, dim=1)  # C x (k+n) x H x W
        self._context.extend(inputs)
        with warnings.catch_warnings():
            # the first pieces of a stream are shorter than one clip
            warnings.filterwarnings('ignore', 'Video has .* fewer than')
            return response_maps(self.model, video)[len(context):]

    def write(self, frames: List[np.ndarray], scores: List[float],
              inputs: Optional[List[torch.Tensor]] = None) -> None:
        """Write frames in order.

        Args:
            frames (list[np.ndarray]): uint8 BGR (H, W, 3) frames.
            scores (list[float]): Their final scores.
            inputs (list[Tensor], optional): Their normalised model inputs
                (C, H, W each); needed when the video shows response maps.
        """
        if self._held is not None:  # maps of the whole video, at close
            for held, new in zip(self._held, (frames, scores, inputs)):
                held.extend(new)
            return
        self._write(frames, scores, inputs)

    def _write(self, frames: List[np.ndarray], scores: List[float],
               inputs: Optional[List[torch.Tensor]]) -> None:
        for start in range(0, len(frames), self.piece):
            stop = start + self.piece
            heat = (self._maps(inputs[start:stop])
                    if self.model is not None else None)
            for i, (frame, score) in enumerate(zip(frames[start:stop],
                                                   scores[start:stop])):
                if heat is not None:
                    frame = overlay_heatmap(frame, heat[i])
                if self._writer is None:
                    self._writer = self._open(frame)
                self._writer.write(draw_score_bar(frame, score,
                                                  self.threshold))
                self.num_frames += 1

    def close(self) -> Optional[str]:
        """Finish the file; return its path (None if no frame came)."""
        if self._held is not None and self._held[0]:
            held, self._held = self._held, None
            self._write(*held)
        if self._writer is None:
            return None
        self._writer.release()
        return self.path
