import dataclasses

import cv2
import numpy as np
import pytest

from cbad.proposals import (ATTRIBUTE_NAMES, DIRECTION_BINS, FLOW_METHODS,
                            BackgroundMotionProposer, OpticalFlow,
                            motion_attributes)
from cbad.registry import PROPOSALS

HEIGHT, WIDTH, SIDE = 144, 192, 20


def _scene(num_frames=24, squares=((10, 40, 2, 0), ), seed=0):
    """Frames of a static textured background with bright textured squares
    (x0, y0, vx, vy) moving at constant speed; also their true boxes."""
    rng = np.random.default_rng(seed)
    background = cv2.GaussianBlur(
        rng.integers(0, 120, (HEIGHT, WIDTH)).astype(np.uint8), (5, 5), 0)
    texture = (rng.integers(170, 256, (SIDE, SIDE))).astype(np.uint8)
    frames, boxes = [], []
    for t in range(num_frames):
        frame = background.copy()
        frame_boxes = []
        for x0, y0, vx, vy in squares:
            x, y = int(x0 + vx * t), int(y0 + vy * t)
            # Clip to the frame: a square may enter from outside.
            left, top = max(x, 0), max(y, 0)
            right, bottom = min(x + SIDE, WIDTH), min(y + SIDE, HEIGHT)
            if right > left and bottom > top:
                frame[top:bottom, left:right] = texture[top - y:bottom - y,
                                                        left - x:right - x]
            frame_boxes.append((left, top, right, bottom))
        frames.append(frame)
        boxes.append(frame_boxes)
    return frames, boxes


def _iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) +
                    (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.mark.parametrize('flow', FLOW_METHODS)
@pytest.mark.parametrize('background', ['running_median', 'mog2'])
def test_one_moving_square_gives_one_box_on_it(flow, background):
    # The square enters from the left edge; 'and' keeps only changed pixels
    # that also move. Until the median buffer holds more frames without the
    # square than with it (warm-up), its entry point stays a ghost.
    frames, truth = _scene(num_frames=40, squares=((-SIDE, 60, 3, 0), ))
    proposer = BackgroundMotionProposer(
        background=background, flow=flow, combine='and', min_area=60)
    proposals = proposer(frames)
    assert len(proposals) == len(frames)
    found = 0
    for t in range(24, len(frames)):
        assert len(proposals[t]) <= 1, (t, proposals[t].boxes)
        if len(proposals[t]):
            found += 1
            assert _iou(proposals[t].boxes[0], truth[t][0]) > 0.5
    assert found >= 0.8 * (len(frames) - 24)


def test_motion_attributes_measure_speed_and_direction():
    frames, _ = _scene(squares=((10, 40, 3, 0), ))
    proposals = BackgroundMotionProposer(combine='and', min_area=60)(frames)
    rows = np.concatenate([motion_attributes(p) for p in proposals[8:]])
    assert rows.shape == (len(frames) - 8, len(ATTRIBUTE_NAMES))
    column = {name: rows[:, i] for i, name in enumerate(ATTRIBUTE_NAMES)}
    # A square moving 3 px/frame to the right: the moving part of its region
    # dominates, still pixels of the box pull the mean down a little.
    assert 1.5 < np.median(column['speed_p90']) < 4.0
    assert np.median(column['vy_mean']) == pytest.approx(0, abs=0.3)
    directions = rows[:, 4:12].mean(0)
    # Bins cover angles from -pi: bin 4 starts at 0 rad (rightward).
    assert directions.argmax() in (3, 4)
    assert np.median(column['box_height']) == pytest.approx(
        SIDE / HEIGHT, rel=0.35)


def test_motion_attributes_shortcuts_change_no_value():
    # The proposer's kept |flow| and directions=False give the same numbers
    # as computing everything from the flow alone (cv2.magnitude itself can
    # differ in the last bit between two calls on the same field: its SIMD
    # and scalar paths, by memory alignment).
    frames, _ = _scene(squares=((10, 40, 3, 0), (90, 80, 0, 2)))
    proposals = BackgroundMotionProposer(combine='and', min_area=60)(frames)
    assert any(len(p) == 2 for p in proposals)
    hist = slice(4, 4 + DIRECTION_BINS)
    for found in proposals[8:]:
        np.testing.assert_allclose(found.speed, cv2.magnitude(
            found.flow[..., 0], found.flow[..., 1]), rtol=1e-6)
        full = motion_attributes(dataclasses.replace(found, speed=None))
        np.testing.assert_allclose(motion_attributes(found), full, rtol=1e-6)
        cheap = motion_attributes(found, directions=False)
        assert not cheap[:, hist].any()
        np.testing.assert_allclose(np.delete(cheap, hist, 1),
                                   np.delete(full, hist, 1), rtol=1e-6)


def test_faster_objects_get_larger_speeds():
    slow = BackgroundMotionProposer(combine='and', min_area=60)(
        _scene(squares=((10, 40, 1, 0), ))[0])
    fast = BackgroundMotionProposer(combine='and', min_area=60)(
        _scene(squares=((10, 40, 3, 0), ))[0])
    speed = ATTRIBUTE_NAMES.index('speed_mean')
    slow_speed = np.median([motion_attributes(p)[:, speed].max()
                            for p in slow[8:] if len(p)])
    fast_speed = np.median([motion_attributes(p)[:, speed].max()
                            for p in fast[8:] if len(p)])
    assert fast_speed > 2 * slow_speed


def test_proposals_are_causal():
    frames, _ = _scene()
    full = BackgroundMotionProposer()(frames)
    prefix = BackgroundMotionProposer()(frames[:12])
    for a, b in zip(full[:12], prefix):
        np.testing.assert_array_equal(a.boxes, b.boxes)
        np.testing.assert_array_equal(a.labels, b.labels)


def test_reset_forgets_the_previous_video():
    frames, _ = _scene()
    other, _ = _scene(squares=((70, 10, -2, 2), ), seed=1)
    proposer = BackgroundMotionProposer()
    first = proposer(frames)
    proposer(other)
    again = proposer(frames)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.boxes, b.boxes)


def test_min_area_drops_small_regions():
    frames, _ = _scene()
    every = BackgroundMotionProposer(combine='and', min_area=0)(frames)
    areas = np.concatenate([p.areas for p in every])
    threshold = float(np.median(areas))
    kept = BackgroundMotionProposer(combine='and',
                                    min_area=threshold)(frames)
    kept_areas = np.concatenate([p.areas for p in kept])
    assert 0 < len(kept_areas) < len(areas)
    assert (kept_areas >= threshold).all()
    np.testing.assert_array_equal(np.sort(kept_areas),
                                  np.sort(areas[areas >= threshold]))


def test_merge_gap_joins_nearby_regions():
    frames, _ = _scene(squares=((10, 20, 2, 0), (10, 20 + SIDE + 12, 2, 0)))
    apart = BackgroundMotionProposer(combine='and', min_area=60)(frames)
    merged = BackgroundMotionProposer(combine='and', min_area=60,
                                      merge_gap=5)(frames)
    assert len(apart[12]) == 2
    assert len(merged[12]) == 1
    x0, y0, x1, y1 = merged[12].boxes[0]
    assert y1 - y0 >= 2 * SIDE


def test_labels_match_boxes_and_areas():
    frames, _ = _scene(squares=((10, 20, 2, 0), (60, 60, -2, 0)))
    proposals = BackgroundMotionProposer(combine='and', min_area=60)(frames)
    p = proposals[12]
    assert len(p) == 2
    assert set(np.unique(p.labels)) == {-1, 0, 1}
    for k, box in enumerate(p.boxes):
        ys, xs = np.nonzero(p.labels == k)
        np.testing.assert_allclose(
            box, np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]) /
            p.scale)
        assert p.areas[k] == pytest.approx((p.labels == k).sum() /
                                           p.scale**2)
    assert p.areas[0] >= p.areas[1]


@pytest.mark.parametrize('method', ['dis_ultrafast', 'dis_medium',
                                    'farneback'])
def test_flow_is_in_input_pixels_at_any_scale(method):
    frames, truth = _scene(squares=((10, 40, 4, 0), ))
    # Pixels covered by the square in frames 10 and 11 move 4 px right.
    x0, y0, _, y1 = truth[11][0]
    x1 = truth[10][0][2]
    for scale in (1.0, 0.5):
        flow = OpticalFlow(method, scale)
        field = flow(flow.resize(frames[10]), flow.resize(frames[11]))
        assert field.shape == flow.grid_size(frames[0].shape) + (2, )
        region = field[int(y0 * scale):int(y1 * scale),
                       int(x0 * scale):int(x1 * scale)]
        assert np.median(region[..., 0]) == pytest.approx(4, abs=0.6)
        assert np.median(region[..., 1]) == pytest.approx(0, abs=0.3)


@pytest.mark.parametrize('iterations', [1, 2])
def test_farneback_params_reach_the_flow(iterations):
    frames, truth = _scene(squares=((10, 40, 4, 0), ))
    x0, y0, _, y1 = truth[11][0]
    x1 = truth[10][0][2]
    default = OpticalFlow('farneback', 0.5)
    cheaper = OpticalFlow('farneback', 0.5, dict(iterations=iterations))
    assert cheaper.flow_params['iterations'] == iterations
    assert cheaper.flow_params['winsize'] == default.flow_params['winsize']
    small = [cheaper.resize(f) for f in frames[10:12]]
    field, reference = cheaper(*small), default(*small)
    assert not np.array_equal(field, reference)  # the override is used
    region = field[int(y0 * 0.5):int(y1 * 0.5), int(x0 * 0.5):int(x1 * 0.5)]
    assert np.median(region[..., 0]) == pytest.approx(4, abs=0.6)
    # ... and reaches the proposer's flow
    proposer = BackgroundMotionProposer(
        flow_params=dict(iterations=iterations))
    assert proposer.flow.flow_params['iterations'] == iterations


@pytest.mark.parametrize('method', ['farneback', 'dis_ultrafast'])
def test_downsampled_flow_stays_on_the_grid_in_input_pixels(method):
    frames, truth = _scene(squares=((10, 40, 4, 2), ))
    x0, y0, _, y1 = truth[11][0]
    x1 = truth[10][0][2]
    full = OpticalFlow(method, 0.5)
    coarse = OpticalFlow(method, 0.5, downsample=2)
    small = [coarse.resize(f) for f in frames[10:12]]
    field = coarse(*small)
    assert field.shape == full(*small).shape  # the grid, not the coarse one
    assert field.dtype == np.float32
    region = field[int(y0 * 0.5):int(y1 * 0.5), int(x0 * 0.5):int(x1 * 0.5)]
    assert np.median(region[..., 0]) == pytest.approx(4, abs=0.8)
    assert np.median(region[..., 1]) == pytest.approx(2, abs=0.8)
    assert np.abs(field[:10, :10]).max() < 0.5  # the still corner


def test_flow_downsample_reaches_the_proposer_and_finds_the_object():
    # as test_one_moving_square_gives_one_box_on_it, past the warm-up
    frames, truth = _scene(num_frames=40, squares=((-SIDE, 60, 3, 0), ))
    proposer = BackgroundMotionProposer(flow_downsample=2, combine='and',
                                        min_area=60)
    assert proposer.flow.downsample == 2
    found = proposer(frames)
    assert found[30].flow.shape[:2] == proposer.flow.grid_size(
        frames[0].shape)
    hits = [t for t in range(24, len(frames)) if len(found[t]) == 1
            and _iou(found[t].boxes[0], truth[t][0]) > 0.5]
    assert all(len(found[t]) <= 1 for t in range(24, len(frames)))
    assert len(hits) >= 0.8 * (len(frames) - 24)
    with pytest.raises(ValueError, match='integer >= 1'):
        OpticalFlow('farneback', downsample=0)
    with pytest.raises(ValueError, match='no flow_downsample'):
        BackgroundMotionProposer(combine='and', flow_where='foreground',
                                 flow_downsample=2)


def test_bad_input_is_refused_clearly():
    proposer = BackgroundMotionProposer()
    with pytest.raises(ValueError, match='uint8 grey frame'):
        proposer.step(np.zeros((8, 8, 3), np.uint8))
    proposer.step(np.zeros((32, 32), np.uint8))
    with pytest.raises(ValueError, match='Frame size changed'):
        proposer.step(np.zeros((64, 64), np.uint8))
    with pytest.raises(ValueError, match='Unknown flow method'):
        BackgroundMotionProposer(flow='lucas')
    with pytest.raises(ValueError, match='Unknown Farneback parameter'):
        BackgroundMotionProposer(flow_params=dict(iteration=1))
    with pytest.raises(ValueError, match='do nothing with'):
        OpticalFlow('dis_fast', flow_params=dict(iterations=1))
    with pytest.raises(ValueError, match='Unknown combine mode'):
        BackgroundMotionProposer(combine='xor')
    with pytest.raises(ValueError, match='Unknown background model'):
        BackgroundMotionProposer(background='median')


def test_built_from_the_registry():
    proposer = PROPOSALS.build(
        dict(type='BackgroundMotionProposer', flow='dis_ultrafast',
             background_cfg=dict(history=8)))
    assert isinstance(proposer, BackgroundMotionProposer)
    assert proposer.background.history == 8


def test_foreground_rectangles_cover_the_mask_with_margin_and_are_disjoint():
    from cbad.proposals.background_motion_proposer import \
        foreground_rectangles
    mask = np.zeros((60, 80), bool)
    mask[10:14, 10:14] = True   # small: grown to at least min_side
    mask[12:16, 22:26] = True   # near the first: their rectangles overlap
    mask[45:58, 60:79] = True   # at the border: clipped to the grid
    rects = foreground_rectangles(mask, margin=3, min_side=16)
    covered = np.zeros_like(mask)
    for x0, y0, x1, y1 in rects:
        assert 0 <= x0 < x1 <= 80 and 0 <= y0 < y1 <= 60
        assert not covered[y0:y1, x0:x1].any()  # disjoint
        covered[y0:y1, x0:x1] = True
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((7, 7), np.uint8))
    assert covered[grown > 0].all()  # every pixel with its margin
    assert len(rects) == 2  # the two near squares joined
    assert foreground_rectangles(np.zeros((5, 5), bool), 2) == []


def test_foreground_flow_gives_the_same_regions_as_whole_frame_flow():
    # (on Ped2 the speeds of the regions differ by ~0.1%, docs/proposals.md)
    frames, _ = _scene(num_frames=40, squares=((-SIDE, 60, 3, 0), ))
    whole = BackgroundMotionProposer(combine='and', min_area=60)(frames)
    local = BackgroundMotionProposer(combine='and', min_area=60,
                                     flow_where='foreground')(frames)
    compared = 0
    for t, (a, b) in enumerate(zip(whole, local)):
        assert len(a) == len(b)
        np.testing.assert_allclose(a.boxes, b.boxes)
        # (the first frames show a sliver of the square at the edge, whose
        # flow is unreliable either way: 4.7 vs 7.1 px/frame for a true 3)
        if len(a) and t >= 3:
            np.testing.assert_allclose(motion_attributes(a)[:, :4],
                                       motion_attributes(b)[:, :4],
                                       atol=0.1)
            compared += 1
    assert compared > 20
    # far from the square the flow was not computed at all (the crop is
    # 64 grid pixels wide: the whole 72x96 grid's one pyramid level)
    assert (local[30].flow[:, 80:] == 0).all()
    assert not (whole[30].flow[:, 80:] == 0).all()


def test_foreground_flow_keeps_fast_objects_fast():
    """Crops keep the whole frame's pyramid levels: without them a 12
    px/frame object on a 240x480 frame read as 1.6-3.6 px/frame."""
    from cbad.proposals.background_motion_proposer import pyramid_min_side
    assert pyramid_min_side((180, 320)) == 128  # Avenue's grid: two levels
    assert pyramid_min_side((120, 240)) == 64
    assert pyramid_min_side((72, 96)) == 64
    assert pyramid_min_side((40, 60)) == 0  # no level: any crop will do
    rng = np.random.default_rng(0)
    background = cv2.GaussianBlur(
        rng.integers(0, 120, (240, 480)).astype(np.uint8), (5, 5), 0)
    texture = rng.integers(170, 256, (30, 30)).astype(np.uint8)
    frames = []
    for t in range(36):
        frame = background.copy()
        frame[100:130, 5 + 12 * t:35 + 12 * t] = texture
        frames.append(frame)
    speeds = {}
    for where in ('frame', 'foreground'):
        found = BackgroundMotionProposer(combine='and', min_area=40,
                                         flow_where=where)(frames)
        speeds[where] = np.median([motion_attributes(p)[:, 0].max()
                                   for p in found[20:] if len(p)])
    assert speeds['frame'] == pytest.approx(12, abs=0.5)
    assert speeds['foreground'] == pytest.approx(speeds['frame'], rel=0.01)


def test_foreground_flow_needs_a_mode_that_reads_no_flow_outside():
    for combine in ('or', 'flow'):
        with pytest.raises(ValueError, match="flow_where='foreground'"):
            BackgroundMotionProposer(combine=combine,
                                     flow_where='foreground')
    with pytest.raises(ValueError, match='flow_where'):
        BackgroundMotionProposer(flow_where='boxes')


@pytest.mark.parametrize('count', [1, 2, 3, 7, 8, 16, 23])
def test_lower_median_network_equals_the_partition(count):
    from cbad.proposals.background import _lower_median
    rng = np.random.default_rng(count)
    frames = [rng.integers(0, 256, (9, 13)).astype(np.uint8)
              for _ in range(count)]
    frames[0][0, 0] = 255  # ties with the padding value
    middle = (count - 1) // 2
    expected = np.partition(np.stack(frames), middle, axis=0)[middle]
    out = _lower_median(frames)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, expected)
