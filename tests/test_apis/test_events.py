"""Events: runs of anomalous frames, merged over short gaps, filtered by
length; the frame-by-frame tracker and the whole-array function agree."""
import numpy as np
import pytest

from cbad.apis.events import EventTracker, find_events

THR = 0.5


def _spans(events):
    return [(e['start_frame'], e['end_frame']) for e in events]


def test_runs_become_events_with_hand_computed_statistics():
    #         0    1    2    3    4    5    6    7
    scores = [0.1, 0.9, 0.7, 0.2, 0.3, 0.6, 0.8, 0.1]
    events = find_events(scores, THR, fps=2)
    assert _spans(events) == [(1, 2), (5, 6)]
    first, second = events
    assert first == dict(start_frame=1, end_frame=2, start_time=0.5,
                         end_time=1.0, duration_s=1.0, num_frames=2,
                         peak_score=0.9, peak_frame=1,
                         mean_score=pytest.approx(0.8))
    assert second['peak_frame'] == 6 and second['peak_score'] == 0.8
    assert second['mean_score'] == pytest.approx(0.7)


def test_merge_gap_merges_and_mean_counts_gap_frames():
    scores = [0.1, 0.9, 0.7, 0.2, 0.3, 0.6, 0.8, 0.1]
    assert _spans(find_events(scores, THR, 2, merge_gap=1)) == [(1, 2),
                                                                (5, 6)]
    (event, ) = find_events(scores, THR, fps=2, merge_gap=2)
    assert (event['start_frame'], event['end_frame']) == (1, 6)
    assert event['num_frames'] == 6
    # the two normal frames inside the event count in its mean
    assert event['mean_score'] == pytest.approx(
        (0.9 + 0.7 + 0.2 + 0.3 + 0.6 + 0.8) / 6)
    assert event['peak_score'] == 0.9 and event['peak_frame'] == 1
    assert event['duration_s'] == pytest.approx(3.0)
    # trailing normal frames never join an event
    (event, ) = find_events(scores[:5], THR, fps=2, merge_gap=5)
    assert event['end_frame'] == 2 and event['num_frames'] == 2


def test_min_frames_applies_after_merging():
    scores = [0.9, 0.1, 0.9, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9]
    assert _spans(find_events(scores, THR, 1, min_frames=2)) == [(6, 8)]
    # merged, the first two one-frame runs make a 3-frame event
    assert _spans(find_events(scores, THR, 1, min_frames=3,
                              merge_gap=1)) == [(0, 2), (6, 8)]
    assert find_events(scores, THR, 1, min_frames=10) == []


def test_edge_cases_all_normal_all_abnormal_empty():
    assert find_events(np.zeros(10), THR, 25) == []
    assert find_events([], THR, 25) == []
    (event, ) = find_events(np.ones(10), THR, 25)
    assert (event['start_frame'], event['end_frame']) == (0, 9)
    # a score equal to the threshold is normal (score > threshold)
    assert find_events([THR, THR], THR, 25) == []


def test_tracker_reports_an_event_once_the_gap_is_exceeded():
    tracker = EventTracker(fps=10, merge_gap=2)
    closed = [tracker.update(i, i / 10, s, s > THR)
              for i, s in enumerate([0.9, 0.9, 0.1, 0.1, 0.1, 0.1])]
    assert [len(c) for c in closed] == [0, 0, 0, 0, 1, 0]
    assert tracker.finish() == [] and len(tracker.events) == 1


@pytest.mark.parametrize('seed', range(5))
def test_tracker_equals_find_events(seed):
    rng = np.random.default_rng(seed)
    scores = rng.random(300) ** 0.5
    for min_frames, merge_gap in ((1, 0), (3, 2), (5, 4)):
        tracker = EventTracker(25, min_frames, merge_gap)
        streamed = []
        for i, s in enumerate(scores):
            streamed += tracker.update(i, i / 25, s, s > 0.7)
        streamed += tracker.finish()
        assert streamed == tracker.events
        assert streamed == find_events(scores, 0.7, 25, min_frames,
                                       merge_gap)


def test_tracker_rejects_frames_out_of_order_and_bad_arguments():
    tracker = EventTracker(25)
    tracker.update(0, 0.0, 1.0, True)
    with pytest.raises(ValueError, match='consecutive frames'):
        tracker.update(2, 0.08, 1.0, True)
    with pytest.raises(ValueError, match='fps'):
        EventTracker(0)
    with pytest.raises(ValueError, match='min_frames'):
        EventTracker(25, min_frames=0)


def test_limits_in_seconds():
    tracker = EventTracker.from_seconds(25, min_duration=0.5, merge_gap=0.2)
    # 12 frames last 0.48 s < 0.5 s: 13 are needed; a 0.2 s gap is 5 frames
    assert (tracker.min_frames, tracker.merge_gap) == (13, 5)
    tracker = EventTracker.from_seconds(25)
    assert (tracker.min_frames, tracker.merge_gap) == (1, 0)
