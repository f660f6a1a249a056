"""Object-level pseudo-anomalies: a label-free validation signal.

Each function edits one moving object of a *normal* video so that its
behaviour becomes unusual, and says which frames show the edit. A detector
that scores the edited frames above the normal ones is sensitive to that kind
of anomaly; nothing here looks at anomaly labels, so these numbers may choose
crop sizes, flows, thresholds or weights (issue 10's honest selection).

==========================  =============================================
kind                        what happens to one moving object
==========================  =============================================
``object_faster``           it is played 2x or 3x faster (its box moves
                            ahead along its path, or a box over the whole
                            path is sped up)
``object_pasted_reversed``  an object from another normal video is pasted
                            in, played backwards in time (and optionally
                            mirrored): it moves against the usual flow
``object_stopped``          it freezes for a segment while the scene goes
                            on (its moving original is painted over)
==========================  =============================================

Objects are picked from :func:`moving_regions` (a
:class:`~cbad.proposals.BackgroundMotionProposer` run on the video itself):
regions of at least ``min_area`` pixels in any frame are tried in a random
order, each followed by a greedy IoU tracker over those boxes
(:func:`_track`), and the first that qualifies is used. It qualifies when
it is tracked for ``min_frames`` frames at a mean speed of ``min_speed``
px/frame or more (so ghosts and people standing still are not picked). A
function returns None when no object qualifies (a static video, or only
short tracks); callers skip that video for that kind.

Every random choice (which object, when, how long, how fast, where) is drawn
from the ``numpy.random.Generator`` passed in, so the same generator state
gives byte-identical output. Videos are (L, H, W) grey or (L, H, W, C) BGR
uint8 (L frames); edits copy pixels, so any channel count works, and
proposals run on grey.
"""
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from cbad.proposals import BackgroundMotionProposer, box_iou

#: Object-level pseudo-anomaly kinds, in the order their seeds are derived.
KINDS = ('object_faster', 'object_pasted_reversed', 'object_stopped')

Result = Optional[Tuple[np.ndarray, np.ndarray]]


def default_proposer() -> BackgroundMotionProposer:
    """The proposer used when none is given.

    Background difference alone (``combine='background'``) with a 3x3
    closing: on Ped2 it boxes whole walkers one by one, where ``'and'``
    boxes only their fastest parts (limbs) and a 5x5 closing joins
    neighbours. Its ghosts and still people are left out by the tracks'
    ``min_speed``. Its flow is unused, so the cheapest (DIS ultrafast).
    """
    return BackgroundMotionProposer(combine='background', close_kernel=3,
                                    flow='dis_ultrafast', min_area=40)


def moving_regions(video: np.ndarray,
                   proposer=None) -> List[np.ndarray]:
    """Boxes of the moving regions of every frame.

    Args:
        video (np.ndarray): (L, H, W) or (L, H, W, C) uint8.
        proposer (optional): A proposal plugin (``reset``/``step`` on grey
            frames). Defaults to None (:func:`default_proposer`).

    Returns:
        list[np.ndarray]: Per frame a (K, 5) float32 array ``x0, y0, x1, y1,
        area`` in frame pixels, largest area first.
    """
    grey = _grey(_checked(video, 'video'))
    proposer = proposer or default_proposer()
    proposer.reset()
    regions = []
    for frame in grey:
        found = proposer.step(np.ascontiguousarray(frame))
        regions.append(np.concatenate(
            [found.boxes, found.areas[:, None]], 1).astype(np.float32))
    return regions


def object_faster(video: np.ndarray, rng: np.random.Generator,
                  speed: Optional[int] = None, box: str = 'follow',
                  min_length: int = 24,
                  max_length: int = 48, min_frames: int = 16,
                  min_area: float = 100, min_speed: float = 0.3,
                  margin: float = 0.25,
                  regions: Optional[List[np.ndarray]] = None,
                  proposer=None) -> Result:
    """One moving object played ``speed`` times faster, the rest untouched.

    An object at a random frame t0 is tracked over the ``speed * N + 1``
    source frames the segment needs (N drawn in [min_length, max_length],
    cut at the video end); where the track ends early, its path goes on at
    the track's velocity. Frames ``t0+1 .. t0+N`` are edited, frame
    ``t0 + i`` showing the object as it is at ``t0 + speed * i``:

    - ``box='follow'``: the object's enlarged box at ``t0 + i`` is painted
      over with the background (per-pixel median of at most 64 evenly
      spaced frames), then its enlarged box at ``t0 + speed * i`` is copied
      in from that frame. Only the object's surroundings change; someone
      crossing either box is painted over or copied along.
    - ``box='path'``: inside the union of the path's enlarged boxes, frame
      ``t0 + i`` shows frame ``t0 + speed * i``. No background estimate is
      needed, but the box holds the object's whole fast path (on Ped2 up to
      half the frame's width), so everyone in it is sped up.

    The object jumps back to its real place after the segment.

    Args:
        video (np.ndarray): (L, H, W) or (L, H, W, C) uint8 normal video.
        rng (np.random.Generator): Source of every random choice.
        speed (int, optional): Speed-up factor >= 2. Defaults to None
            (2 or 3, drawn).
        box (str): ``'follow'`` or ``'path'``, see above. Defaults to
            ``'follow'``.
        min_length (int): Shortest segment drawn, in frames. Defaults to 24.
        max_length (int): Longest segment drawn. Defaults to 48.
        min_frames (int): Fewest edited frames (after the cut at the video
            end) and fewest tracked frames of the object. Defaults to 16.
        min_area (float): Smallest region picked, frame pixels. Defaults to
            100.
        min_speed (float): Slowest mean speed of a picked object over its
            track, px/frame. Defaults to 0.3.
        margin (float): Box enlargement per side, fraction of its size
            (at least 2 px). Defaults to 0.25.
        regions (list[np.ndarray], optional): :func:`moving_regions` of
            ``video``. Defaults to None (computed).
        proposer (optional): Proposal plugin when ``regions`` is None.
            Defaults to None (:func:`default_proposer`).

    Returns:
        tuple | None: ``(modified_video, frame_labels)``, labels (L,) uint8
        1 on the edited frames ``t0+1 .. t0+N``; None when no object
        qualifies.
    """
    video = _checked(video, 'video')
    if speed is not None and int(speed) < 2:
        raise ValueError(f'speed must be an integer >= 2, got {speed}.')
    if box not in ('follow', 'path'):
        raise ValueError(f"box must be 'follow' or 'path', got {box!r}.")
    regions = _regions_of(video, regions, proposer)
    length = _draw_length(rng, min_length, max_length, min_frames)
    speed = int(speed) if speed is not None else int(rng.choice((2, 3)))
    shape = video.shape[1:3]
    for t0, start in _candidates(regions, rng, min_area,
                                 last=len(video) - 1 - speed * min_frames):
        frames = min(length, (len(video) - 1 - t0) // speed)
        track = _track(regions, t0, start, speed * frames + 1)
        if not _moving(track, min_frames, min_speed):
            continue
        path = _extend(track, speed * frames + 1)
        out, labels = video.copy(), np.zeros(len(video), np.uint8)
        if box == 'path':
            x0, y0, x1, y1 = _enlarge(_union(path), margin, shape)
            for i in range(1, frames + 1):
                out[t0 + i, y0:y1, x0:x1] = video[t0 + speed * i, y0:y1,
                                                  x0:x1]
        else:
            background = _background(video)
            for i in range(1, frames + 1):
                x0, y0, x1, y1 = _enlarge(path[i], margin, shape)
                out[t0 + i, y0:y1, x0:x1] = background[y0:y1, x0:x1]
                x0, y0, x1, y1 = _enlarge(path[speed * i], margin, shape)
                out[t0 + i, y0:y1, x0:x1] = video[t0 + speed * i, y0:y1,
                                                  x0:x1]
        labels[t0 + 1:t0 + frames + 1] = 1
        return out, labels
    return None


def object_stopped(video: np.ndarray, rng: np.random.Generator,
                   min_length: int = 24, max_length: int = 48,
                   min_frames: int = 16, min_area: float = 100,
                   min_speed: float = 0.3, margin: float = 0.25,
                   erase: bool = True,
                   regions: Optional[List[np.ndarray]] = None,
                   proposer=None) -> Result:
    """One moving object freezes for a segment while the scene goes on.

    The box of an object at a random frame t0, enlarged by ``margin``, is
    copied from frame t0 into frames ``t0+1 .. t0+N`` (N drawn in
    [min_length, max_length], cut at the video end). With ``erase``, the
    real object is first painted over with the background in those frames
    (its tracked boxes, enlarged likewise), so it does not walk on beside
    its frozen copy; where the tracker has lost it, it stays visible. The
    background is the per-pixel median of at most 64 evenly spaced frames,
    clean where objects keep moving. After the segment the object reappears
    where it really is.

    Args:
        video (np.ndarray): (L, H, W) or (L, H, W, C) uint8 normal video.
        rng (np.random.Generator): Source of every random choice.
        min_length, max_length, min_frames, min_area, min_speed, margin,
            regions, proposer: As in :func:`object_faster` (defaults 24,
            48, 16, 100, 0.3, 0.25, None, None).
        erase (bool): Paint the moving original over. Defaults to True.

    Returns:
        tuple | None: ``(modified_video, frame_labels)``, labels 1 on
        ``t0+1 .. t0+N``; None when no object qualifies.
    """
    video = _checked(video, 'video')
    regions = _regions_of(video, regions, proposer)
    length = _draw_length(rng, min_length, max_length, min_frames)
    shape = video.shape[1:3]
    for t0, box in _candidates(regions, rng, min_area,
                               last=len(video) - 1 - min_frames):
        frames = min(length, len(video) - 1 - t0)
        track = _track(regions, t0, box, frames + 1)
        if not _moving(track, min_frames, min_speed):
            continue
        out, labels = video.copy(), np.zeros(len(video), np.uint8)
        if erase:
            background = _background(video)
            for i in range(1, len(track)):
                x0, y0, x1, y1 = _enlarge(track[i], margin, shape)
                out[t0 + i, y0:y1, x0:x1] = background[y0:y1, x0:x1]
        x0, y0, x1, y1 = _enlarge(box, margin, shape)
        out[t0 + 1:t0 + frames + 1, y0:y1, x0:x1] = video[t0, y0:y1, x0:x1]
        labels[t0 + 1:t0 + frames + 1] = 1
        return out, labels
    return None


def object_pasted_reversed(video: np.ndarray, other: np.ndarray,
                           rng: np.random.Generator, reverse: bool = True,
                           mirror: bool = False, blend: str = 'foreground',
                           position: str = 'same', min_length: int = 24,
                           max_length: int = 48, min_frames: int = 16,
                           min_area: float = 100, min_speed: float = 0.3,
                           margin: float = 0.25,
                           foreground_threshold: int = 20,
                           regions_other: Optional[List[np.ndarray]] = None,
                           proposer=None) -> Result:
    """An object from another normal video, pasted in against the flow.

    An object of ``other`` at a random frame s0 is tracked for N frames (N
    drawn in [min_length, max_length], cut where the track ends or at
    ``video``'s length; at least ``min_frames``). Its tube (the union of
    its boxes, enlarged by ``margin``) is pasted into ``video`` from a
    random start frame, played backwards (``reverse``) and/or flipped
    left-right inside the box (``mirror``), at the same place
    (``position='same'``: it stays on ground people use) or at a random
    place where the box fits (``'random'``).

    ``blend='foreground'`` pastes only the object: pixels of its enlarged
    per-frame box that differ from ``other``'s background (per-pixel median
    of at most 64 frames) by more than ``foreground_threshold`` grey levels,
    closed (5x5) and dilated (3x3), so the donor's background and other
    people mostly stay behind (someone overlapping the object's box comes
    along). ``blend='box'`` pastes each frame's whole enlarged box (a
    visible rectangle where the two backgrounds differ).

    Args:
        video (np.ndarray): (L, H, W[, C]) uint8 normal video to paste into.
        other (np.ndarray): (L2, H, W[, C]) uint8 normal donor video (the
            same video is allowed: then an object of another moment).
        rng (np.random.Generator): Source of every random choice.
        reverse (bool): Play the tube backwards. Defaults to True.
        mirror (bool): Flip the tube horizontally. Defaults to False (with
            ``reverse`` too, horizontal motion keeps its direction while
            the object walks backwards).
        blend (str): ``'foreground'`` or ``'box'``. Defaults to
            ``'foreground'``.
        position (str): ``'same'`` or ``'random'``. Defaults to ``'same'``.
        min_length, max_length, min_frames, min_area, min_speed, margin,
            proposer: As in :func:`object_faster` (defaults 24, 48, 16,
            100, 0.3, 0.25, None).
        foreground_threshold (int): Grey-level difference to the donor's
            background that counts as object. Defaults to 20.
        regions_other (list[np.ndarray], optional): :func:`moving_regions`
            of ``other``. Defaults to None (computed).

    Returns:
        tuple | None: ``(modified_video, frame_labels)``, labels 1 on the
        frames where pasted pixels landed; None when no object of ``other``
        qualifies.
    """
    video, other = _checked(video, 'video'), _checked(other, 'other')
    if not (reverse or mirror):
        raise ValueError('object_pasted_reversed needs reverse or mirror '
                         '(or both) set, got neither: the pasted object '
                         'would move like a normal one.')
    if blend not in ('foreground', 'box'):
        raise ValueError(f"blend must be 'foreground' or 'box', got "
                         f'{blend!r}.')
    if position not in ('same', 'random'):
        raise ValueError(f"position must be 'same' or 'random', got "
                         f'{position!r}.')
    if video.shape[3:] != other.shape[3:] or (
            position == 'same' and video.shape[1:3] != other.shape[1:3]):
        raise ValueError(
            f'other video frames {other.shape[1:]} do not match video frames '
            f"{video.shape[1:]}; position='same' needs the same frame size "
            "and pasting the same channels: pass position='random' or a "
            'donor of the same kind.')
    regions_other = _regions_of(other, regions_other, proposer)
    length = _draw_length(rng, min_length, max_length, min_frames)
    background = None
    for s0, box in _candidates(regions_other, rng, min_area,
                               last=len(other) - min_frames):
        track = _track(regions_other, s0, box, min(length, len(video)))
        if not _moving(track, min_frames, min_speed):
            continue
        frames = len(track)
        x0, y0, x1, y1 = _enlarge(_union(track), margin, other.shape[1:3])
        height, width = y1 - y0, x1 - x0
        if height > video.shape[1] or width > video.shape[2]:
            continue
        crop = other[s0:s0 + frames, y0:y1, x0:x1]
        mask = np.zeros(crop.shape[:3], bool)
        for i, tracked in enumerate(track):
            bx0, by0, bx1, by1 = _enlarge(tracked, margin, other.shape[1:3])
            mask[i, by0 - y0:by1 - y0, bx0 - x0:bx1 - x0] = True
        if blend == 'foreground':
            if background is None:
                background = _grey(_background(other)[None])[0]
            mask &= _foreground(other, background, s0, frames,
                                (x0, y0, x1, y1), foreground_threshold)
        if not mask.any():
            continue
        if reverse:
            crop, mask = crop[::-1], mask[::-1]
        if mirror:
            crop, mask = crop[:, :, ::-1], mask[:, :, ::-1]
        if position == 'random':
            y0 = int(rng.integers(0, video.shape[1] - height + 1))
            x0 = int(rng.integers(0, video.shape[2] - width + 1))
        t1 = int(rng.integers(0, len(video) - frames + 1))
        out, labels = video.copy(), np.zeros(len(video), np.uint8)
        for i in range(frames):
            target = out[t1 + i, y0:y0 + height, x0:x0 + width]
            target[mask[i]] = crop[i][mask[i]]
        labels[t1:t1 + frames] = mask.reshape(frames, -1).any(1)
        return out, labels
    return None


def make_pseudo_anomaly(kind: str, video: np.ndarray,
                        rng: np.random.Generator,
                        other: Optional[np.ndarray] = None,
                        **kwargs) -> Result:
    """Dispatch to the function of ``kind`` (one of :data:`KINDS`);
    ``other`` is the donor of ``object_pasted_reversed``."""
    if kind == 'object_faster':
        return object_faster(video, rng, **kwargs)
    if kind == 'object_stopped':
        return object_stopped(video, rng, **kwargs)
    if kind == 'object_pasted_reversed':
        if other is None:
            raise ValueError('object_pasted_reversed needs a donor video: '
                             'pass other=.')
        return object_pasted_reversed(video, other, rng, **kwargs)
    raise ValueError(f'Unknown pseudo-anomaly kind {kind!r}; expected one '
                     f'of {", ".join(KINDS)}.')


def generate_pseudo_anomalies(
        videos: Sequence[Tuple[str, np.ndarray]],
        kinds: Sequence[str] = KINDS,
        seed: int = 0,
        proposer=None,
        options: Optional[Dict[str, dict]] = None,
        repeats: int = 1
) -> Iterator[Tuple[str, str, np.ndarray, np.ndarray]]:
    """Every kind of pseudo-anomaly on every normal video.

    Edit r of video i, kind k draws from ``numpy.random.default_rng([seed,
    i, KINDS.index(k), r])``, so a result does not depend on which other
    kinds, videos or repeats are asked for. The donor of
    ``object_pasted_reversed`` is the next video (the last one's is the
    first; a single video donates to itself). An edit that finds no usable
    moving object is skipped. Proposals are computed once per video and
    kept as boxes only.

    Args:
        videos (Sequence[tuple[str, np.ndarray]]): ``(name, video)`` pairs,
            indexable (a lazy sequence that reads a video on ``[i]`` works).
        kinds (Sequence[str]): Subset of :data:`KINDS`. Defaults to all.
        seed (int): Base seed. Defaults to 0.
        proposer (optional): Proposal plugin. Defaults to None
            (:func:`default_proposer`).
        options (dict, optional): Keyword arguments per kind, e.g.
            ``{'object_faster': {'speed': 3}}``. Defaults to None.
        repeats (int): Independent edits per video and kind (each on the
            original video). Defaults to 1.

    Yields:
        tuple: ``(name, kind, modified_video, frame_labels)``.
    """
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        raise ValueError(f'Unknown pseudo-anomaly kinds {unknown}; expected '
                         f'some of {", ".join(KINDS)}.')
    options = options or {}
    cache: Dict[int, List[np.ndarray]] = {}

    def regions_of(index: int, video: np.ndarray) -> List[np.ndarray]:
        if index not in cache:
            cache[index] = moving_regions(video, proposer)
        return cache[index]

    for index in range(len(videos)):
        name, video = videos[index]
        donor = (index + 1) % len(videos)
        for kind in kinds:
            kwargs = dict(options.get(kind, {}))
            if kind == 'object_pasted_reversed':
                other = videos[donor][1] if donor != index else video
                kwargs.update(other=other,
                              regions_other=regions_of(donor, other))
            else:
                kwargs.update(regions=regions_of(index, video))
            for repeat in range(repeats):
                rng = np.random.default_rng(
                    [seed, index, KINDS.index(kind), repeat])
                result = make_pseudo_anomaly(kind, video, rng, **kwargs)
                if result is not None:
                    yield (name, kind) + result


# ------------------------------------------------------------------ helpers
def _checked(video: np.ndarray, what: str) -> np.ndarray:
    video = np.asarray(video)
    if (video.dtype != np.uint8 or video.ndim not in (3, 4)
            or len(video) < 2 or video.shape[3:] not in ((), (1, ), (3, ))):
        raise ValueError(
            f'{what} must be a uint8 array (L, H, W) or (L, H, W, C) with '
            f'L >= 2 frames and C 1 or 3, got {video.dtype} {video.shape}; '
            'read frames as uint8 (LoadClipFrames does) and stack them.')
    return video


def _draw_length(rng, min_length, max_length, min_frames) -> int:
    if min_frames < 1 or min_length < 1 or max_length < min_length:
        raise ValueError(
            'expected 1 <= min_length <= max_length and min_frames >= 1, got '
            f'min_length={min_length}, max_length={max_length}, '
            f'min_frames={min_frames}.')
    return int(rng.integers(min_length, max_length + 1))


def _grey(video: np.ndarray) -> np.ndarray:
    if video.ndim == 3:
        return video
    if video.shape[3] == 1:
        return video[..., 0]
    return np.stack([cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
                     for frame in video])


def _regions_of(video, regions, proposer) -> List[np.ndarray]:
    if regions is None:
        return moving_regions(video, proposer)
    if len(regions) != len(video):
        raise ValueError(f'regions has {len(regions)} frames but the video '
                         f'{len(video)}; pass moving_regions() of this '
                         'video.')
    return regions


def _candidates(regions, rng, min_area, last) -> Iterator[tuple]:
    """(t, box) of every region of at least ``min_area`` pixels in frames
    t <= last, in a random order (an object seen in many frames is drawn
    more often, a large region no more than a small one)."""
    found = [(t, k) for t in range(min(last + 1, len(regions)))
             for k in range(len(regions[t])) if regions[t][k, 4] >= min_area]
    for pick in rng.permutation(len(found)):
        t, k = found[pick]
        yield t, regions[t][k, :4]


def _moving(track: np.ndarray, min_frames: int, min_speed: float) -> bool:
    """Tracked for ``min_frames`` frames, its centre moving at least
    ``min_speed`` px/frame (least-squares slope of the centre over time, so
    a region flickering between an object's edges is not taken as motion)."""
    if len(track) < max(2, min_frames):
        return False
    centres = (track[:, :2] + track[:, 2:]) / 2
    slope = np.polyfit(np.arange(len(track)), centres, 1)[0]
    return float(np.hypot(*slope)) >= min_speed


def _track(regions, t0, box, num_frames, max_gap=5) -> np.ndarray:
    """Boxes of the object in ``box`` at t0 over up to ``num_frames`` frames.

    In each next frame, the proposal of highest IoU (>= 0.1) with the last
    box among those of 0.5-2x its area (a person merging into a group's
    region is a miss, not a jump to the group); a missed frame keeps the
    last box; after ``max_gap`` misses in a row the track ends at its last
    matched frame. (n, 4) float32, n >= 1.
    """
    boxes, last, misses, matched = [np.asarray(box)], np.asarray(box), 0, 0
    for t in range(t0 + 1, min(t0 + num_frames, len(regions))):
        found = regions[t][:, :4]
        ratio = _area(found) / max(float(_area(last[None])[0]), 1e-6)
        overlap = np.where((ratio >= 0.5) & (ratio <= 2),
                           box_iou(found, last[None])[:, 0], 0)
        if overlap.size and overlap.max() >= 0.1:
            last, misses, matched = found[overlap.argmax()], 0, t - t0
        else:
            misses += 1
            if misses > max_gap:
                break
        boxes.append(last)
    return np.asarray(boxes[:matched + 1], np.float32)


def _extend(track: np.ndarray, num_frames: int) -> np.ndarray:
    """``track`` continued to ``num_frames`` boxes: its last box moved on at
    the track's velocity (least-squares slope of its centre), for where the
    tracker lost the object."""
    missing = num_frames - len(track)
    if missing <= 0:
        return track[:num_frames]
    centres = (track[:, :2] + track[:, 2:]) / 2
    velocity = np.tile(np.polyfit(np.arange(len(track)), centres, 1)[0], 2)
    steps = np.arange(1, missing + 1)[:, None]
    return np.concatenate([track, track[-1] + steps * velocity]).astype(
        np.float32)


def _area(boxes: np.ndarray) -> np.ndarray:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _union(boxes: np.ndarray) -> np.ndarray:
    return np.r_[boxes[:, :2].min(0), boxes[:, 2:4].max(0)]


def _enlarge(box, margin, shape) -> Tuple[int, int, int, int]:
    """Integer box grown by ``margin`` of its size per side (at least 2 px),
    clipped to a frame of ``shape`` (H, W)."""
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    grow_x = max(2.0, margin * (x1 - x0))
    grow_y = max(2.0, margin * (y1 - y0))
    # clipped on both sides: a path extrapolated off the frame must give an
    # empty box, not a negative end that numpy reads as "up to the end"
    left = min(shape[1], max(0, int(np.floor(x0 - grow_x))))
    top = min(shape[0], max(0, int(np.floor(y0 - grow_y))))
    right = max(left, min(shape[1], int(np.ceil(x1 + grow_x))))
    bottom = max(top, min(shape[0], int(np.ceil(y1 + grow_y))))
    return left, top, right, bottom


def _background(video: np.ndarray) -> np.ndarray:
    """Per-pixel median of at most 64 evenly spaced frames, uint8."""
    picks = np.linspace(0, len(video) - 1, min(64, len(video))).astype(int)
    return np.median(video[picks], axis=0).astype(np.uint8)


def _foreground(video, background, start, frames, box,
                threshold) -> np.ndarray:
    """(frames, h, w) bool: pixels of ``box`` over frames start.. that differ
    from the grey ``background`` (H, W), closed (5x5) and dilated (3x3) so
    an object's edges and inner holes come along."""
    x0, y0, x1, y1 = box
    grey = _grey(video[start:start + frames, y0:y1, x0:x1]).astype(np.int16)
    differs = (np.abs(grey - background[y0:y1, x0:x1]) >
               threshold).astype(np.uint8)
    close, dilate = np.ones((5, 5), np.uint8), np.ones((3, 3), np.uint8)
    return np.stack([
        cv2.dilate(cv2.morphologyEx(m, cv2.MORPH_CLOSE, close), dilate)
        for m in differs]).astype(bool)
