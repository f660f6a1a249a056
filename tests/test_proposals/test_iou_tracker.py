import numpy as np
import pytest

from cbad.proposals import FrameProposals, IoUTracker, box_iou

SIDE = 20


def _square(x, y):
    return (x, y, x + SIDE, y + SIDE)


def _crossing(num_frames=30, speed=3):
    """Two squares on rows 10 px apart moving towards and past each other
    (they overlap around frame 15); per frame boxes [A, B]."""
    return [
        np.asarray([_square(10 + speed * t, 40),
                    _square(100 - speed * t, 50)], np.float32)
        for t in range(num_frames)
    ]


def test_box_iou_hand_values():
    a = np.array([[0, 0, 10, 10], [0, 0, 0, 0]], np.float32)
    b = np.array([[5, 0, 15, 10], [20, 20, 30, 30], [0, 0, 10, 10]],
                 np.float32)
    expected = np.array([[50 / 150, 0, 1], [0, 0, 0]], np.float32)
    np.testing.assert_allclose(box_iou(a, b), expected, rtol=1e-6)
    assert box_iou(np.zeros((0, 4)), b).shape == (0, 3)


@pytest.mark.parametrize('matching', ['hungarian', 'greedy'])
def test_crossing_squares_keep_their_ids(matching):
    tracker = IoUTracker(matching=matching)
    frames = _crossing()
    # The squares do overlap while crossing, so the test checks something.
    assert max(box_iou(f[:1], f[1:])[0, 0] for f in frames) > 0.1
    ids = [tracker.update(boxes) for boxes in frames]
    assert all(i.dtype == np.int64 and i.shape == (2, ) for i in ids)
    assert all(list(i) == [0, 1] for i in ids)
    # Order of boxes within a frame does not matter: B comes first at even
    # frames (so B gets id 0), A first at odd ones.
    tracker.reset()
    swapped = [
        tracker.update(f if t % 2 else f[::-1]) for t, f in enumerate(frames)
    ]
    assert all(
        list(i) == ([1, 0] if t % 2 else [0, 1])
        for t, i in enumerate(swapped))


@pytest.mark.parametrize('max_age', [0, 2, 3])
def test_track_survives_max_age_missed_frames_then_dies(max_age):
    box = np.asarray([_square(50, 50)], np.float32)
    empty = np.zeros((0, 4), np.float32)
    tracker = IoUTracker(max_age=max_age)
    assert list(tracker.update(box)) == [0]
    for _ in range(max_age):
        assert len(tracker.update(empty)) == 0
    assert list(tracker.update(box)) == [0]  # back in time: same id
    for _ in range(max_age + 1):
        tracker.update(empty)
    assert tracker.num_tracks == 0
    assert list(tracker.update(box)) == [1]  # gone too long: a new id


def test_ids_are_never_reused_and_reset_restarts_them():
    tracker = IoUTracker(max_age=0)
    seen = []
    for t in range(6):  # a box jumping far every frame: a new track each
        seen.extend(tracker.update(np.asarray([_square(40 * t, 0)])))
    assert seen == list(range(6))
    tracker.reset()
    assert tracker.num_tracks == 0
    assert list(tracker.update(np.asarray([_square(0, 0)]))) == [0]


def test_threshold_and_new_boxes():
    tracker = IoUTracker(iou_threshold=0.5)
    tracker.update(np.asarray([_square(0, 0)]))
    # IoU of a 20 px square shifted by 8 px: 12 / 28 < 0.5 -> new track.
    ids = tracker.update(np.asarray([_square(8, 0), _square(100, 100)]))
    assert list(ids) == [1, 2]
    ids = tracker.update(np.asarray([_square(100, 102), _square(9, 0)]))
    assert list(ids) == [2, 1]


def test_whole_video_call_accepts_frame_proposals():
    frames = _crossing(num_frames=5)
    proposals = [
        FrameProposals(boxes=b,
                       areas=np.ones(2, np.float32),
                       labels=np.zeros((1, 1), np.int32),
                       flow=None,
                       scale=1.0,
                       frame_shape=(144, 192)) for b in frames
    ]
    tracker = IoUTracker()
    tracker.update(frames[0])  # state from another video is dropped
    tracker.update(np.asarray([_square(300, 300)]))
    ids = tracker(proposals)
    assert [list(i) for i in ids] == [[0, 1]] * 5


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match='iou_threshold'):
        IoUTracker(iou_threshold=0)
    with pytest.raises(ValueError, match='max_age'):
        IoUTracker(max_age=-1)
    with pytest.raises(ValueError, match='matching'):
        IoUTracker(matching='sort')
    with pytest.raises(ValueError, match=r'\(K, 4\)'):
        IoUTracker().update(np.zeros((2, 3)))
