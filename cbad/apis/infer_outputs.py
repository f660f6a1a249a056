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


def write_json_atomic(path: str, payload: Dict[str, Any]) -> None:
    """Write JSON to a temporary file, then rename it over ``path``: a
    reader (or a crash) never sees a half-written file. NaN -> null."""
    tmp = f'{path}.{os.getpid()}.tmp'
    with open(tmp, 'w') as f:
        json.dump(json_safe(payload), f, indent=2, allow_nan=False)
        f.write('\n')
    os.replace(tmp, path)


def load_frame_labels(labels: Union[str, Sequence[int]]) -> np.ndarray:
    """Per-frame 0/1 labels from a ``.npy`` or text file, or an array.

    Raises:
        ValueError: If a value is not 0 or 1.
    """
    if isinstance(labels, str):
        labels = (np.load(labels) if labels.endswith('.npy') else
                  np.loadtxt(labels, ndmin=1))
    labels = np.asarray(labels).ravel()
    if not np.isin(labels, (0, 1)).all():
        raise ValueError(f'labels must be 0 (normal) / 1 (abnormal) per '
                         f'frame, found values {np.unique(labels)[:10]}.')
    return labels.astype(np.int64)


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

    Args:
        out_dir (str): Where both files go (created if missing).
        threshold (float): Frame score > threshold = anomalous.
        tracker (EventTracker): Groups anomalous frames into events.
        header (dict): Written at the top of ``events.json``; needs
            ``name`` (for the plot's title) and ``fps``.
    """

    def __init__(self, out_dir: str, threshold: float, tracker: EventTracker,
                 header: Dict[str, Any]) -> None:
        os.makedirs(out_dir, exist_ok=True)
        self.csv_path = osp.join(out_dir, SCORES_CSV)
        self.json_path = osp.join(out_dir, EVENTS_JSON)
        self.threshold = threshold
        self.tracker = tracker
        self.header = dict(header, threshold=threshold)
        self.num_frames = 0
        self.max_score = float('-inf')
        self._file = open(self.csv_path, 'w', newline='')
        try:
            self._csv = csv.writer(self._file, lineterminator='\n')
            self._write_row(CSV_HEADER)
            self.write_json(finished=False)
        except BaseException:
            self._file.close()
            raise

    def _write_row(self, row: Sequence) -> None:
        self._csv.writerow(row)
        self._file.flush()

    def add(self, frame: int, timestamp: float, score: float) -> None:
        """Log one final frame score; rewrite events.json if an event
        closed."""
        anomalous = score > self.threshold
        self._write_row([frame, f'{timestamp:.6f}', repr(float(score)),
                         int(anomalous)])
        self.num_frames += 1
        self.max_score = max(self.max_score, float(score))
        if self.tracker.update(frame, timestamp, score, anomalous):
            self.write_json(finished=False)

    def write_json(self, finished: bool, error: Optional[str] = None,
                   **extra: Any) -> Dict[str, Any]:
        """Rewrite events.json with the events so far; return its content."""
        payload = dict(self.header, events=self.tracker.events,
                       num_frames=self.num_frames, finished=finished,
                       error=error, **extra)
        write_json_atomic(self.json_path, payload)
        return payload

    def close(self, error: Optional[str] = None,
              labels: Optional[np.ndarray] = None) -> Dict[str, Any]:
        """End of input: close the CSV and the last event, write the final
        events.json and score_curve.png.

        Args:
            error (str, optional): Why the input stopped early; None when
                it was read to the end.
            labels (np.ndarray, optional): (L,) 0/1 ground truth of the
                frames: shaded in the plot, and ``frame_auc`` in
                events.json when both classes occur.

        Returns:
            dict: The content of events.json.
        """
        self._file.close()
        self.tracker.finish()
        name, fps = self.header['name'], self.header['fps']
        _, times, scores = read_scores_csv(self.csv_path)
        extra, truth = {}, []
        if labels is not None:
            if len(labels) != len(scores):
                print_log(f'{name}: {len(labels)} labels for {len(scores)} '
                          'scored frames; comparing the first '
                          f'{min(len(labels), len(scores))}.', 'current',
                          logging.WARNING)
            labels = labels[:len(scores)]
            # one rule for ground truth and events: runs of frames over 0.5
            truth = [dict(start_time=times[span['start_frame']],
                          end_time=times[span['end_frame']])
                     for span in find_events(labels, 0.5, fps)]
            if len(np.unique(labels)) == 2:
                extra['frame_auc'] = roc_auc(scores[:len(labels)], labels)
        payload = self.write_json(error is None, error, **extra)
        title = f'{name}: {len(scores)} frames, {len(self.tracker.events)} '
        title += 'events' + (f', frame AUC {extra["frame_auc"]:.3f}'
                             if 'frame_auc' in extra else '')
        plot_score_curve(osp.join(osp.dirname(self.csv_path), CURVE_PNG),
                         times, scores, self.threshold, self.tracker.events,
                         truth, title)
        return payload


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
    much* is the score bar.
    """

    def __init__(self, path: str, fps: float, threshold: float,
                 model: Optional[torch.nn.Module] = None, context: int = 0,
                 piece: int = 16) -> None:
        self.path = path
        self.fps = fps
        self.threshold = threshold
        self.model = model
        self.piece = max(1, int(piece))
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
        if self._writer is None:
            return None
        self._writer.release()
        return self.path
