"""Object-level pseudo-anomalies on a scene of moving textured squares."""
import cv2
import numpy as np
import pytest

from cbad.datasets.pseudo_anomalies import (KINDS, generate_pseudo_anomalies,
                                            make_pseudo_anomaly,
                                            moving_regions, object_faster,
                                            object_pasted_reversed,
                                            object_stopped)

HEIGHT, WIDTH, SIDE = 144, 192, 20
# (x0, y0, vx) of two squares in two horizontal bands of rows.
SQUARES = ((10, 20, 1.5), (170, 100, -1.0))
BANDS = (slice(20, 40), slice(100, 120))
DONOR = ((20, 60, 1.2), )
DONOR_BAND = slice(60, 80)


def _scene(num_frames=80, squares=SQUARES, seed=0):
    """(L, H, W) uint8: a blurred random background (grey <= 120) with
    bright textured squares (grey >= 170) moving horizontally."""
    rng = np.random.default_rng(seed)
    background = cv2.GaussianBlur(
        rng.integers(0, 120, (HEIGHT, WIDTH)).astype(np.uint8), (5, 5), 0)
    video = np.repeat(background[None], num_frames, 0)
    for x0, y0, vx in squares:
        texture = rng.integers(170, 256, (SIDE, SIDE)).astype(np.uint8)
        for t in range(num_frames):
            x = int(round(x0 + vx * t))
            video[t, y0:y0 + SIDE, x:x + SIDE] = texture
    return video


def _centre_x(frame, band):
    """Mean column of the bright (square) pixels in a band of rows."""
    return np.nonzero(frame[band] > 150)[1].mean()


def _velocity(video, band, frames):
    """Mean horizontal speed of the band's square over ``frames``."""
    centres = [_centre_x(video[t], band) for t in frames]
    return (centres[-1] - centres[0]) / (frames[-1] - frames[0])


@pytest.fixture(scope='module')
def scene():
    video = _scene()
    return video, moving_regions(video)


@pytest.fixture(scope='module')
def donor():
    return _scene(squares=DONOR, seed=1)


def _make(kind, video, seed, other=None, **kwargs):
    return make_pseudo_anomaly(kind, video, np.random.default_rng(seed),
                               other=other, **kwargs)


@pytest.mark.parametrize('kind', KINDS)
def test_labels_mark_exactly_the_modified_frames(kind, scene, donor):
    video, _ = scene
    before = video.copy()
    out, labels = _make(kind, video, 0, other=donor)
    assert np.array_equal(video, before)  # the input is not edited
    assert out.shape == video.shape and out.dtype == np.uint8
    assert labels.shape == (len(video), ) and labels.dtype == np.uint8
    assert set(np.unique(labels)) == {0, 1}
    changed = (out != video).reshape(len(video), -1).any(1)
    assert np.array_equal(changed, labels.astype(bool))
    edited = np.nonzero(labels)[0]
    assert np.all(np.diff(edited) == 1)  # one contiguous segment
    assert 16 <= len(edited) <= 48


@pytest.mark.parametrize('speed', [2, 3])
@pytest.mark.parametrize('box', ['follow', 'path'])
def test_object_faster_speeds_up_one_square_only(speed, box, scene):
    video, regions = scene
    out, labels = object_faster(video, np.random.default_rng(0), speed=speed,
                                box=box, regions=regions)
    frames = np.nonzero(labels)[0]
    ratios = [_velocity(out, band, frames) / vx
              for band, (_, _, vx) in zip(BANDS, SQUARES)]
    fast = int(np.argmax(ratios))
    assert ratios[fast] == pytest.approx(speed, rel=0.1)
    assert ratios[1 - fast] == pytest.approx(1, rel=0.1)
    # Only the rows around the fast square change.
    rows = np.nonzero((out != video).any(axis=(0, 2)))[0]
    band = BANDS[fast]
    assert band.start - 10 <= rows.min() and rows.max() < band.stop + 10
    # 'follow' paints the square's real place over: one square is seen.
    if box == 'follow':
        for t in frames:
            assert (out[t, band] > 150).sum() == SIDE * SIDE


def test_object_stopped_freezes_one_square_and_erases_its_original(scene):
    video, regions = scene
    out, labels = object_stopped(video, np.random.default_rng(0),
                                 regions=regions)
    frames = np.nonzero(labels)[0]
    moved = [not np.array_equal(out[:, band], video[:, band])
             for band in BANDS]
    assert sum(moved) == 1
    band = BANDS[moved.index(True)]
    t0 = frames[0] - 1
    centres = [_centre_x(out[t], band) for t in frames]
    assert np.ptp(centres) == 0
    assert centres[0] == _centre_x(video[t0], band)
    # Its walking original is painted over: one square's worth of bright
    # pixels in the band, not two.
    for t in frames:
        assert (out[t, band] > 150).sum() == SIDE * SIDE
    assert abs(_velocity(video, band, frames)) > 0.9  # it was moving


@pytest.mark.parametrize('reverse,mirror', [(True, False), (False, True)])
def test_pasted_object_moves_against_its_flow(reverse, mirror, scene, donor):
    video, _ = scene
    out, labels = object_pasted_reversed(
        video, donor, np.random.default_rng(0), reverse=reverse,
        mirror=mirror)
    frames = np.nonzero(labels)[0]
    assert not (video[:, DONOR_BAND] > 150).any()  # its band was empty
    assert _velocity(out, DONOR_BAND, frames) == pytest.approx(
        -DONOR[0][2], rel=0.15)
    # Foreground blending brings the square (and a thin ring of the donor's
    # background), not the whole box.
    changed = (out != video).reshape(len(out), -1).sum(1)[frames]
    assert changed.max() < 2 * SIDE * SIDE
    box_out, _ = object_pasted_reversed(
        video, donor, np.random.default_rng(0), reverse=reverse,
        mirror=mirror, blend='box')
    box_changed = (box_out != video).reshape(len(out), -1).sum(1)[frames]
    assert box_changed.min() > changed.max()


def test_pasted_at_a_random_place():
    video = _scene()
    other = _scene(squares=DONOR, seed=1)[:, :, :100]  # a narrower donor
    out, labels = object_pasted_reversed(
        video, other, np.random.default_rng(0), position='random')
    assert labels.sum() >= 16
    with pytest.raises(ValueError, match="position='same'"):
        object_pasted_reversed(video, other, np.random.default_rng(0))


@pytest.mark.parametrize('kind', KINDS)
def test_same_seed_same_output_other_seed_other_output(kind, scene, donor):
    video, _ = scene
    out, labels = _make(kind, video, 7, other=donor)
    again, again_labels = _make(kind, video, 7, other=donor)
    assert np.array_equal(out, again)
    assert np.array_equal(labels, again_labels)
    other, other_labels = _make(kind, video, 8, other=donor)
    assert not (np.array_equal(out, other)
                and np.array_equal(labels, other_labels))


def test_a_static_video_gives_none():
    video = np.repeat(_scene(num_frames=1, squares=()), 60, 0)
    assert all(len(r) == 0 for r in moving_regions(video))
    for kind in KINDS:
        assert _make(kind, video, 0, other=video) is None
    assert list(generate_pseudo_anomalies([('still', video)])) == []


def test_a_square_too_slow_or_too_short_lived_is_not_used():
    slow = _scene(squares=((40, 20, 0.5), ))
    assert _make('object_stopped', slow, 0) is not None
    assert _make('object_stopped', slow, 0, min_speed=0.8) is None
    short = _scene(num_frames=15)
    assert _make('object_stopped', short, 0) is None  # < min_frames


def test_generation_over_videos_is_reproducible_per_kind(scene, donor):
    video, _ = scene
    videos = [('a', video), ('b', donor)]
    every = list(generate_pseudo_anomalies(videos, seed=3))
    assert [(name, kind) for name, kind, _, _ in every] == [
        (name, kind) for name in 'ab' for kind in KINDS]
    # A video-kind result does not depend on the other kinds asked for.
    alone = list(generate_pseudo_anomalies(videos, ['object_stopped'],
                                           seed=3))
    assert np.array_equal(alone[0][2], every[2][2])
    assert np.array_equal(alone[1][3], every[5][3])
    # Video 'a' gets its pasted object from 'b'.
    pasted = every[1][2]
    assert (pasted[:, DONOR_BAND] > 150).any()
    # Repeats are further independent edits; the first is the same edit.
    twice = list(generate_pseudo_anomalies(videos[:1], ['object_faster'],
                                           seed=3, repeats=2))
    assert len(twice) == 2
    assert np.array_equal(twice[0][2], every[0][2])
    assert not np.array_equal(twice[1][2], twice[0][2])


def test_clear_errors():
    video = _scene(num_frames=20)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match='uint8'):
        object_faster(video.astype(np.float32), rng)
    with pytest.raises(ValueError, match='uint8'):
        object_stopped(video[0], rng)
    with pytest.raises(ValueError, match='speed'):
        object_faster(video, rng, speed=1)
    with pytest.raises(ValueError, match="'follow' or 'path'"):
        object_faster(video, rng, box='union')
    with pytest.raises(ValueError, match='min_length'):
        object_stopped(video, rng, min_length=30, max_length=20)
    with pytest.raises(ValueError, match='donor'):
        make_pseudo_anomaly('object_pasted_reversed', video, rng)
    with pytest.raises(ValueError, match='reverse or mirror'):
        object_pasted_reversed(video, video, rng, reverse=False)
    with pytest.raises(ValueError, match='Unknown pseudo-anomaly kind'):
        make_pseudo_anomaly('object_teleported', video, rng)
    with pytest.raises(ValueError, match='Unknown pseudo-anomaly kinds'):
        next(generate_pseudo_anomalies([('a', video)], ['speed']))
    with pytest.raises(ValueError, match='regions has 3 frames'):
        object_stopped(video, rng, regions=moving_regions(video[:3]))


def test_colour_videos_are_edited_in_every_channel(scene):
    video, regions = scene
    colour = np.stack([video, video // 2, 255 - video], -1)
    out, labels = object_faster(colour, np.random.default_rng(0),
                                regions=regions)
    grey_out, grey_labels = object_faster(video, np.random.default_rng(0),
                                          regions=regions)
    assert np.array_equal(labels, grey_labels)
    assert np.array_equal(out[..., 0], grey_out)
    assert np.array_equal(out[..., 2], 255 - grey_out)


@pytest.mark.parametrize('box,expected', [
    ((-100.0, 10.0, -80.0, 30.0), (0, 8, 0, 32)),     # off the left edge
    ((10.0, -60.0, 30.0, -40.0), (8, 0, 32, 0)),      # off the top edge
    ((300.0, 10.0, 320.0, 30.0), (192, 8, 192, 32)),  # off the right edge
    ((-10.0, 10.0, 10.0, 30.0), (0, 8, 12, 32)),      # half in view
])
def test_boxes_off_the_frame_are_empty_not_wrapped(box, expected):
    # object_faster extrapolates a path beyond the frame when its object
    # leaves; such boxes must be empty: a negative end would make numpy
    # slice "up to the end", editing a whole band of the frame
    from cbad.datasets.pseudo_anomalies import _enlarge
    left, top, right, bottom = _enlarge(np.array(box), 0.1, (HEIGHT, WIDTH))
    assert (left, top, right, bottom) == expected
    assert 0 <= left <= right <= WIDTH and 0 <= top <= bottom <= HEIGHT
