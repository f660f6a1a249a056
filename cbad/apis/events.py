"""Anomalous events: runs of frames whose score is over the threshold.

An event is a run of anomalous frames. Two runs separated by at most
``merge_gap`` normal frames are one event (a person who walks behind a tree
for three frames is still one event); an event shorter than ``min_frames``
frames, gap frames included, is dropped as flicker.

:class:`EventTracker` finds events frame by frame (for streams: each event
is reported as soon as ``merge_gap`` normal frames have followed it);
:func:`find_events` runs the same tracker over whole arrays, so the two
never disagree.

An event is a dict::

    start_frame, end_frame   first and last anomalous frame (inclusive)
    start_time, end_time     their timestamps, in seconds
    duration_s               end_time - start_time + 1 / fps
    num_frames               end_frame - start_frame + 1 (gap frames count)
    peak_score, peak_frame   the highest score and its frame
    mean_score               mean score from start_frame to end_frame, the
                             normal gap frames inside the event included
"""
import math
from typing import Dict, List, Optional, Sequence

import numpy as np

Event = Dict[str, float]

#: The keys of an event, in the order they are written.
EVENT_KEYS = ('start_frame', 'end_frame', 'start_time', 'end_time',
              'duration_s', 'num_frames', 'peak_score', 'peak_frame',
              'mean_score')


class EventTracker:
    """Group per-frame decisions into events, one frame at a time.

    Args:
        fps (float): Frames per second (for ``duration_s``).
        min_frames (int): Drop events with fewer frames than this, counted
            after merging. Defaults to 1 (keep all).
        merge_gap (int): Merge runs separated by at most this many normal
            frames. Defaults to 0 (no merging).

    Example::

        tracker = EventTracker(fps=25, min_frames=5, merge_gap=3)
        for frame, score in enumerate(scores):
            for event in tracker.update(frame, frame / 25, score,
                                        score > threshold):
                print(event)
        events_at_the_end = tracker.finish()
    """

    def __init__(self, fps: float, min_frames: int = 1,
                 merge_gap: int = 0) -> None:
        if fps <= 0:
            raise ValueError(f'fps must be positive, got {fps}.')
        if min_frames < 1 or merge_gap < 0:
            raise ValueError(
                f'min_frames must be >= 1 and merge_gap >= 0, got '
                f'min_frames={min_frames}, merge_gap={merge_gap}.')
        self.fps = float(fps)
        self.min_frames = int(min_frames)
        self.merge_gap = int(merge_gap)
        self.events: List[Event] = []  # every event kept so far
        self._open: Optional[Event] = None  # the event being built
        self._score_sum = 0.0  # of the open event's frames so far
        self._gap: List[float] = []  # scores of normal frames after it
        self._last_frame: Optional[int] = None

    @classmethod
    def from_seconds(cls, fps: float, min_duration: float = 0.0,
                     merge_gap: float = 0.0) -> 'EventTracker':
        """A tracker with its limits given in seconds.

        Args:
            fps (float): Frames per second.
            min_duration (float): Drop events that last less than this
                (``num_frames / fps < min_duration``). Defaults to 0.0.
            merge_gap (float): Merge runs separated by normal frames that
                last at most this long. Defaults to 0.0.
        """
        eps = 1e-9  # 0.2 s at 25 fps is 5 frames, not 5.000000001
        return cls(fps, max(1, math.ceil(min_duration * fps - eps)),
                   max(0, math.floor(merge_gap * fps + eps)))

    def update(self, frame: int, timestamp: float, score: float,
               is_anomalous: bool) -> List[Event]:
        """Add the next frame; return the events this frame closed.

        Args:
            frame (int): Frame index, increasing by one per call.
            timestamp (float): The frame's time in seconds.
            score (float): Its anomaly score.
            is_anomalous (bool): Whether it is over the threshold.

        Returns:
            list[dict]: Zero or one event that ended ``merge_gap + 1``
            frames ago and is long enough to keep.
        """
        if self._last_frame is not None and frame != self._last_frame + 1:
            raise ValueError(
                f'EventTracker expects consecutive frames: got frame '
                f'{frame} after frame {self._last_frame}.')
        self._last_frame = frame
        score = float(score)
        if not is_anomalous:
            if self._open is None:
                return []
            self._gap.append(score)
            return self._close() if len(self._gap) > self.merge_gap else []
        if self._open is None:
            self._open = dict(start_frame=frame, start_time=timestamp,
                              peak_score=score, peak_frame=frame)
            self._score_sum = 0.0
        else:  # the normal frames in between become part of the event
            self._score_sum += sum(self._gap)
        self._gap = []
        self._score_sum += score
        self._open.update(end_frame=frame, end_time=timestamp)
        if score > self._open['peak_score']:
            self._open.update(peak_score=score, peak_frame=frame)
        return []

    def finish(self) -> List[Event]:
        """End of the input: close the open event; return it if kept."""
        return self._close() if self._open is not None else []

    def _close(self) -> List[Event]:
        event, self._open, self._gap = self._open, None, []
        num_frames = event['end_frame'] - event['start_frame'] + 1
        if num_frames < self.min_frames:
            return []
        event.update(
            duration_s=event['end_time'] - event['start_time'] + 1 / self.fps,
            num_frames=num_frames,
            mean_score=self._score_sum / num_frames)
        event = {key: event[key] for key in EVENT_KEYS}
        self.events.append(event)
        return [event]


def find_events(scores: Sequence[float],
                threshold: float,
                fps: float,
                min_frames: int = 1,
                merge_gap: int = 0) -> List[Event]:
    """The events of a whole score array (see :class:`EventTracker`).

    Args:
        scores (array-like): (L,) per-frame scores; frame ``i`` is at
            ``i / fps`` seconds.
        threshold (float): A frame is anomalous when its score is above it.
        fps (float): Frames per second.
        min_frames (int): See :class:`EventTracker`. Defaults to 1.
        merge_gap (int): See :class:`EventTracker`. Defaults to 0.

    Returns:
        list[dict]: The events, in order.
    """
    tracker = EventTracker(fps, min_frames, merge_gap)
    for frame, score in enumerate(np.asarray(scores, dtype=float).tolist()):
        tracker.update(frame, frame / fps, score, score > threshold)
    tracker.finish()
    return tracker.events
