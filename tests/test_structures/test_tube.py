import warnings

import numpy as np
import pytest

from cbad.datasets import build_clip_index
from cbad.proposals import FrameProposals, IoUTracker
from cbad.structures import Tube, build_tubes, crop_tube, window_starts

HEIGHT, WIDTH, SIDE = 120, 160, 20


def _moving_square(num_frames=16, x0=20, y=50, speed=4):
    """Grey frames of a bright square moving right on a dark floor, and its
    true box per frame as a (1, 4) array."""
    frames, boxes = [], []
    for t in range(num_frames):
        x = x0 + speed * t
        frame = np.full((HEIGHT, WIDTH), 30, np.uint8)
        frame[y:y + SIDE, x:x + SIDE] = 220
        frames.append(frame)
        boxes.append(np.asarray([[x, y, x + SIDE, y + SIDE]], np.float32))
    return frames, boxes


def _bright_centroid(crop):
    ys, xs = np.nonzero(crop > 125)
    return (xs.mean(), ys.mean()) if len(xs) else (np.nan, np.nan)


@pytest.mark.parametrize('num_frames', [1, 5, 15, 16, 17, 19, 20, 21, 36, 37])
def test_windows_match_the_clip_index(num_frames):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', UserWarning)  # short-video warning
        clips = build_clip_index(num_frames, 16, 4)
    boxes = [np.asarray([[0, 0, 10, 10]], np.float32)] * num_frames
    windows = build_tubes(boxes, frame_shape=(HEIGHT, WIDTH))
    assert len(windows) == len(clips) == len(window_starts(num_frames, 16, 4))
    for tubes, clip in zip(windows, clips):
        (tube, ) = tubes
        np.testing.assert_array_equal(tube.frame_indices, clip)
        assert tube.anchor == clip[-1]
        assert tube.padded == (num_frames < 16)
        assert tube.boxes.shape == (16, 4) and tube.boxes.dtype == np.float32


def test_anchor_choice_and_windows_without_proposals():
    empty = np.zeros((0, 4), np.float32)
    box = np.asarray([[0, 0, 10, 10], [50, 50, 70, 60]], np.float32)
    # Proposals only at frames 8 and 19 of a 20-frame video.
    boxes = [box if t in (8, 19) else empty for t in range(20)]
    last = build_tubes(boxes, clip_len=16, stride=4, frame_shape=(99, 99))
    assert [len(w) for w in last] == [0, 2]  # windows 0-15, 4-19
    assert [t.anchor for t in last[1]] == [19, 19]
    assert [t.proposal_index for t in last[1]] == [0, 1]
    centre = build_tubes(boxes, anchor='centre', frame_shape=(99, 99))
    assert [len(w) for w in centre] == [2, 0]  # anchors 8 and 12
    assert centre[0][0].anchor == 8 and centre[0][0].track_id == -1


def test_enlarge_square_min_side_semantics():
    box = [np.asarray([[100, 50, 120, 90]], np.float32)]  # 20 wide, 40 high
    kwargs = dict(clip_len=4, frame_shape=(HEIGHT, WIDTH))

    def first_box(**extra):
        return build_tubes(box, **kwargs, **extra)[0][0].boxes[0].tolist()

    assert first_box(enlarge=1.5) == [80, 40, 140, 100]  # 60 x 60 square
    assert first_box(enlarge=1.5, square=False) == [95, 40, 125, 100]
    assert first_box(enlarge=1.0, square=False,
                     min_side=30) == [95, 50, 125, 90]
    tube = build_tubes(box, **kwargs, enlarge=1.5)[0][0]
    assert np.all(tube.boxes == tube.boxes[0])  # fixed: one box throughout
    np.testing.assert_array_equal(tube.union_box(), tube.boxes[0])


def test_boundary_rules_at_the_frame_edge():
    box = [np.asarray([[0, 0, 10, 10]], np.float32)]

    def first_box(**extra):
        return build_tubes(box,
                           clip_len=4,
                           enlarge=2.0,
                           min_side=0,
                           frame_shape=(HEIGHT, WIDTH),
                           **extra)[0][0].boxes[0].tolist()

    assert first_box() == [0, 0, 15, 15]  # fixed default: clipped
    assert first_box(boundary='shift') == [0, 0, 20, 20]
    assert first_box(boundary='pad') == [-5, -5, 15, 15]
    # A box larger than the frame is clipped even when shifted.
    big = [np.asarray([[0, 0, 150, 110]], np.float32)]
    assert build_tubes(big, clip_len=4, boundary='shift',
                       frame_shape=(HEIGHT, WIDTH))[0][0].boxes[0].tolist() \
        == [0, 0, WIDTH, HEIGHT]


def test_track_mode_keeps_the_square_centred_fixed_mode_does_not():
    frames, boxes = _moving_square()
    track_ids = IoUTracker()(boxes)  # 4 px/frame: IoU 0.67 frame to frame
    assert all(list(i) == [0] for i in track_ids)
    kwargs = dict(frame_shape=(HEIGHT, WIDTH), enlarge=1.6)
    (fixed, ), = build_tubes(boxes, **kwargs)
    (track, ), = build_tubes(boxes, track_ids, box_mode='track', **kwargs)
    assert track.track_id == 0
    sides = track.boxes[:, 2:] - track.boxes[:, :2]
    np.testing.assert_allclose(sides, 32)  # 20 * 1.6, the same every frame
    track_crops = crop_tube(frames, track, size=32)
    fixed_crops = crop_tube(frames, fixed, size=32)
    for crop in track_crops:
        np.testing.assert_allclose(_bright_centroid(crop), (15.5, 15.5),
                                   atol=0.6)
    # The fixed box sits where the square ends: early frames miss it.
    assert np.allclose(_bright_centroid(fixed_crops[-1]), (15.5, 15.5),
                       atol=0.6)
    assert (fixed_crops[0] > 125).sum() == 0


def test_track_mode_sizes_and_gaps():
    empty = np.zeros((0, 4), np.float32)
    boxes, ids = [], []
    for t in range(8):  # track 5 grows 10 -> 24 px, absent at frames 2-4
        other = [60, 60, 70, 70]
        if t in (2, 3, 4):
            boxes.append(np.asarray([other], np.float32))
            ids.append(np.asarray([9]))
        else:
            x, side = 4 * t, 10 + 2 * t
            boxes.append(
                np.asarray([other, [x, 0, x + side, side]], np.float32))
            ids.append(np.asarray([9, 5]))
    windows = build_tubes(boxes,
                          ids,
                          clip_len=8,
                          box_mode='track',
                          enlarge=1.0,
                          min_side=0,
                          square=False)
    (tube_other, tube) = windows[0]
    assert (tube_other.track_id, tube.track_id) == (9, 5)
    np.testing.assert_allclose(tube.boxes[:, 2:] - tube.boxes[:, :2], 24)
    centres = (tube.boxes[:, :2] + tube.boxes[:, 2:]) / 2
    known_x = {t: 4 * t + (10 + 2 * t) / 2 for t in (0, 1, 5, 6, 7)}
    # Frames 2 and 3 reuse frame 1's box, frame 4 frame 5's.
    expected = [known_x[t] for t in (0, 1, 1, 1, 5, 5, 6, 7)]
    np.testing.assert_allclose(centres[:, 0], expected)
    np.testing.assert_allclose(
        tube.union_box(), [known_x[0] - 12, 5 - 12, known_x[7] + 12, 12 + 12])


def test_crop_shapes_dtype_and_edge_padding():
    frame = np.tile((np.arange(16) * 10).astype(np.uint8), (16, 1))
    frames = np.stack([frame] * 3)  # (L, H, W), column c holds 10 * c
    boxes = np.tile(np.float32([-4, 0, 12, 16]), (4, 1))
    tube = Tube(start=0, clip_len=4, num_frames=3, boxes=boxes, anchor=2)
    assert tube.padded and list(tube.frame_indices) == [0, 1, 2, 2]
    crops = crop_tube(frames, tube, size=16)  # same size: no resampling
    assert crops.shape == (4, 16, 16) and crops.dtype == np.uint8
    np.testing.assert_array_equal(crops[0, 0],
                                  [0] * 5 + list(range(10, 120, 10)))
    assert crop_tube(list(frames), tube, size=48).shape == (4, 48, 48)
    outside = Tube(0, 4, 3, np.tile(np.float32([30, 2, 40, 12]), (4, 1)), 2)
    assert np.all(crop_tube(frames, outside, size=8) == 150)  # right edge


def test_frame_proposals_input_carries_frame_shape():
    proposals = [
        FrameProposals(np.float32([[140, 100, 160, 120]]),
                       np.ones(1, np.float32), np.zeros(
                           (1, 1), np.int32), None, 1.0, (HEIGHT, WIDTH))
    ] * 4
    (tube, ), = build_tubes(proposals, clip_len=4, enlarge=2.0)
    assert tube.boxes[0].tolist() == [130, 90, WIDTH, HEIGHT]


def test_errors_say_what_to_do():
    boxes = [np.float32([[0, 0, 10, 10]])] * 4
    with pytest.raises(ValueError, match='track_ids_per_frame'):
        build_tubes(boxes, clip_len=4, box_mode='track')
    with pytest.raises(ValueError, match='frame_shape'):
        build_tubes(boxes, clip_len=4)
    with pytest.raises(ValueError, match='anchor'):
        build_tubes(boxes, clip_len=4, anchor='first', frame_shape=(9, 9))
    with pytest.raises(ValueError, match='one id per box'):
        build_tubes(boxes, [np.zeros(2)] * 4, clip_len=4, box_mode='track')
    with pytest.raises(ValueError, match=r'\(clip_len, 4\)'):
        Tube(0, 4, 10, np.zeros((3, 4)), 3)
    tube = Tube(4, 4, 10, np.zeros((4, 4)), 7)
    with pytest.raises(ValueError, match='only 5 frames'):
        crop_tube([np.zeros((8, 8), np.uint8)] * 5, tube)
    with pytest.raises(ValueError, match='uint8 grey'):
        crop_tube(np.zeros((10, 8, 8), np.float32), tube)
