import cv2
import numpy as np
import pytest

from cbad.proposals import (ATTRIBUTE_NAMES, DEFAULT_ATTRIBUTES, IoUTracker,
                            TubeExtractor, motion_attributes)
from cbad.registry import PROPOSALS
from cbad.structures import window_starts
from cbad.structures.tube import crop_tube

HEIGHT, WIDTH, SIDE = 96, 128, 16
CLIP_LEN, STRIDE, CROP = 8, 4, 16
PROPOSER = dict(type='BackgroundMotionProposer', combine='and', min_area=40)
SLOW, FAST = (4, 16, 2, 0), (4, 60, 3, 0)  # x0, y0, vx, vy


def _scene(num_frames=36, squares=(SLOW, FAST), seed=0):
    """(L, H, W) uint8 frames: a blurred random background with bright
    textured squares (x0, y0, vx, vy) moving at constant speed."""
    rng = np.random.default_rng(seed)
    background = cv2.GaussianBlur(
        rng.integers(0, 120, (HEIGHT, WIDTH)).astype(np.uint8), (5, 5), 0)
    texture = rng.integers(170, 256, (SIDE, SIDE)).astype(np.uint8)
    frames = np.repeat(background[None], num_frames, axis=0)
    for t in range(num_frames):
        for x0, y0, vx, vy in squares:
            x, y = int(x0 + vx * t), int(y0 + vy * t)
            frames[t, y:y + SIDE, x:x + SIDE] = texture
    return frames


def _extractor(**kwargs):
    return TubeExtractor(**dict(dict(proposer=PROPOSER, clip_len=CLIP_LEN,
                                      stride=STRIDE, crop_size=CROP),
                                **kwargs))


def _column(name, attributes=DEFAULT_ATTRIBUTES):
    return list(attributes).index(name)


@pytest.mark.parametrize('num_frames', [3, 8, 9, 20, 22])
def test_windows_follow_window_starts(num_frames):
    video = _extractor()(_scene(num_frames, squares=(FAST, )))
    starts = window_starts(num_frames, CLIP_LEN, STRIDE)
    assert video.num_frames == num_frames
    assert video.windows.shape == (len(starts), CLIP_LEN)
    expected = np.minimum(starts[:, None] + np.arange(CLIP_LEN),
                          num_frames - 1)
    np.testing.assert_array_equal(video.windows, expected)
    # every tube's frames are its window's
    for tube, w in zip(video.tubes, video.window_index):
        np.testing.assert_array_equal(tube.frame_indices, video.windows[w])


def test_one_tube_per_square_per_window_with_stable_tracks():
    frames = _scene()
    video = _extractor()(frames, video='v', video_index=3)
    num_windows = len(video.windows)
    n = len(video)
    assert video.crops.shape == (n, CLIP_LEN, CROP, CROP)
    assert video.crops.dtype == np.uint8
    assert video.attributes.shape == (n, len(DEFAULT_ATTRIBUTES))
    assert video.attributes.dtype == np.float32
    assert video.window_index.dtype == video.track_ids.dtype == np.int64
    assert (np.diff(video.window_index) >= 0).all()  # window by window
    assert all(t.video == 'v' and t.video_index == 3 for t in video.tubes)
    # both squares are found from the first windows on: one tube each
    np.testing.assert_array_equal(
        np.bincount(video.window_index, minlength=num_windows),
        np.full(num_windows, 2))
    # which square a tube follows: its anchor box's centre row
    centre_y = np.array([t.boxes[t.anchor - t.start][1::2].mean()
                         for t in video.tubes])
    fast = centre_y > (SLOW[1] + FAST[1] + SIDE) / 2
    assert fast.sum() == num_windows
    # each square keeps one track id over all windows, not the other's
    assert len(set(video.track_ids[fast])) == 1
    assert len(set(video.track_ids[~fast])) == 1
    assert video.track_ids[fast][0] != video.track_ids[~fast][0]
    assert (video.track_ids >= 0).all()
    speed = video.attributes[:, _column('speed_mean')]
    assert speed[fast].min() > speed[~fast].max()
    np.testing.assert_allclose(speed[fast], FAST[2], atol=0.5)
    np.testing.assert_allclose(speed[~fast], SLOW[2], atol=0.5)
    np.testing.assert_allclose(video.attributes[:, _column('box_height')],
                               SIDE / HEIGHT, rtol=0.2)
    # the crops show the bright square at their centre, not the background
    centre = video.crops[:, :, 5:11, 5:11].astype(float).mean()
    assert centre > 150 > frames.mean()


def test_attribute_columns_follow_attribute_names():
    frames = _scene(20)
    default = _extractor()(frames)
    names = ('centre_y', 'box_height', 'speed_mean')
    chosen = _extractor(attributes=names)
    assert chosen.attribute_names == names and chosen.num_attributes == 3
    video = chosen(frames)
    np.testing.assert_array_equal(video.track_ids, default.track_ids)
    for j, name in enumerate(names):
        if name in DEFAULT_ATTRIBUTES:
            np.testing.assert_allclose(
                video.attributes[:, j],
                default.attributes[:, _column(name)], rtol=1e-6)
    # centre_y (not a default) is the tracked square's row / frame height
    fast = video.attributes[:, 2] > (SLOW[2] + FAST[2]) / 2
    np.testing.assert_allclose(video.attributes[fast, 0],
                               (FAST[1] + SIDE / 2) / HEIGHT, atol=0.05)
    np.testing.assert_allclose(video.attributes[~fast, 0],
                               (SLOW[1] + SIDE / 2) / HEIGHT, atol=0.05)


def test_tube_attributes_average_the_track_over_the_window():
    frames = _scene(20)
    proposals = PROPOSALS.build(PROPOSER)(frames)
    columns = [ATTRIBUTE_NAMES.index(a) for a in DEFAULT_ATTRIBUTES]
    rows = [motion_attributes(p)[:, columns] for p in proposals]
    ids = IoUTracker()(proposals)
    tracked = _extractor()(frames)
    for tube, got in zip(tracked.tubes, tracked.attributes):
        expected = np.concatenate([
            rows[t][ids[t] == tube.track_id]
            for t in np.unique(tube.frame_indices)]).mean(0)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    # without a tracker: the anchor region's own row, one fixed box
    untracked = _extractor(tracker=None, box_mode='fixed')(frames)
    assert len(untracked) > 0 and (untracked.track_ids == -1).all()
    for tube, got in zip(untracked.tubes, untracked.attributes):
        np.testing.assert_array_equal(got, rows[tube.anchor][
            tube.proposal_index])
        np.testing.assert_array_equal(
            tube.boxes, np.repeat(tube.boxes[:1], CLIP_LEN, axis=0))


def test_static_video_gives_no_tube_with_empty_shapes():
    video = _extractor()(_scene(22, squares=()))
    assert len(video) == 0 and video.tubes == []
    assert video.windows.shape == (len(window_starts(22, CLIP_LEN, STRIDE)),
                                   CLIP_LEN)
    assert video.crops.shape == (0, CLIP_LEN, CROP, CROP)
    assert video.crops.dtype == np.uint8
    assert video.attributes.shape == (0, len(DEFAULT_ATTRIBUTES))
    assert video.window_index.shape == video.track_ids.shape == (0, )


def test_extractor_forgets_the_previous_video():
    extractor = _extractor()
    first = extractor(_scene(20))
    extractor(_scene(20, squares=((80, 30, -3, 1), ), seed=1))
    again = extractor(_scene(20))
    np.testing.assert_array_equal(first.crops, again.crops)
    np.testing.assert_array_equal(first.track_ids, again.track_ids)


def test_bad_settings_are_refused_clearly():
    with pytest.raises(ValueError, match='Unknown tube attributes'):
        TubeExtractor(attributes=('speed_mean', 'colour'))
    with pytest.raises(ValueError, match="box_mode='track' needs a tracker"):
        TubeExtractor(tracker=None)


def test_mask_background_keeps_the_objects_and_blanks_the_scene():
    frames = _scene()
    plain = _extractor()(frames)
    masked = _extractor(mask_background=True)(frames)
    # the same tubes, attributes and tracks: only the crops' content differs
    assert len(masked) == len(plain) > 0
    np.testing.assert_array_equal(masked.attributes, plain.attributes)
    np.testing.assert_array_equal(masked.track_ids, plain.track_ids)
    zero = masked.crops == 0
    # the scene around the squares is blanked (crops are 1.25x the region
    # and at least 16 px, so every crop holds some background) ...
    assert zero.mean() > 0.1 and (plain.crops > 0).all()
    # ... and the crops are cut from the masked frames with the same boxes
    extractor = _extractor(mask_background=True)
    blanked = extractor.masked_frames(
        frames, [extractor.proposer.step(f) for f in frames])
    for tube, crops in zip(masked.tubes, masked.crops):
        np.testing.assert_array_equal(crops, crop_tube(blanked, tube, CROP))
    # every frame's surviving pixels lie in its (grown) proposal regions
    extractor = _extractor(mask_background=True, mask_dilate=0)
    proposals = [extractor.proposer.step(f) for f in frames]
    out = extractor.masked_frames(frames, proposals)
    for frame, found, got in zip(frames, proposals, out):
        region = cv2.resize((found.labels >= 0).astype(np.uint8),
                            frame.shape[::-1],
                            interpolation=cv2.INTER_NEAREST).astype(bool)
        np.testing.assert_array_equal(got[region], frame[region])
        assert (got[~region] == 0).all()
    with pytest.raises(ValueError, match='mask_dilate'):
        _extractor(mask_background=True, mask_dilate=-1)
