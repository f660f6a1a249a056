"""Motion intensity of training clips and their low/medium/high groups (eq. 8).

For clip i with frames x_1..x_T the paper defines q_i = (1/T) sum_t ||F_t||_1,
F_t the optical flow of frame t. cbad computes F_t with OpenCV's Farneback
method between consecutive grey frames (optionally resized to ``flow_size``)
and takes ``||F_t||_1`` as the *mean* over pixels of ``|u| + |v|``, so q does
not grow with the number of pixels: it is the average displacement in pixels
per frame on the ``flow_size`` grid (on the original frames when
``flow_size`` is None). A clip of T frames has T - 1 flows; q is their mean.
Frames repeated by end-of-video padding add no pair (so padding does not
dilute q); a one-frame clip has q = 0.

Overlapping clips share frame pairs, so the flow of each distinct pair of a
video is computed once and every clip averages the values of its pairs. The
per-clip q are cached on disk (``{cache_dir}/{hash}.npz``); groups are derived
from q on every build, so changing ``num_groups`` or ``method`` is free.
"""
import hashlib
import json
import os
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.logging import print_log
from tqdm import tqdm

from cbad.proposals.optical_flow import FARNEBACK_PARAMS, dense_flow

#: (H, W) grid the flow is computed on by default.
DEFAULT_FLOW_SIZE = (60, 90)
GROUP_METHODS = ('quantile', 'uniform')
CACHE_VERSION = 1


def default_cache_dir() -> str:
    """``$CBAD_CACHE_DIR/motion`` if the variable is set, else
    ``~/.cache/cbad/motion``."""
    root = os.environ.get('CBAD_CACHE_DIR') or osp.join(
        osp.expanduser('~'), '.cache', 'cbad')
    return osp.join(root, 'motion')


def flow_l1(prev_grey: np.ndarray, next_grey: np.ndarray,
            flow_params: Optional[dict] = None,
            noise_floor: float = 0.0) -> float:
    """Mean L1 flow magnitude between two grey frames, ``mean(|u| + |v|)``.

    Args:
        prev_grey (np.ndarray): First frame, (H, W) uint8.
        next_grey (np.ndarray): Second frame, (H, W) uint8.
        flow_params (dict, optional): Farneback parameters overriding
            :data:`FARNEBACK_PARAMS`. Defaults to None.
        noise_floor (float): Per-pixel magnitudes ``|u| + |v|`` below this
            count as 0 (0: the paper's plain mean). Defaults to 0.

    Returns:
        float: Average displacement per pixel, in pixels of the input grid.
    """
    flow = dense_flow(prev_grey, next_grey, flow_params)  # H x W x 2
    magnitude = np.abs(flow).sum(axis=-1)  # H x W
    if noise_floor > 0:
        magnitude[magnitude < noise_floor] = 0
    return float(magnitude.mean())


def _grey(frame: np.ndarray, flow_size: Optional[Tuple[int, int]]):
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    if flow_size is not None and grey.shape != tuple(flow_size):
        grey = cv2.resize(grey, (flow_size[1], flow_size[0]),
                          interpolation=cv2.INTER_AREA)
    return grey


def _source_ids(info: dict) -> np.ndarray:
    """Frame ids of a clip in its source (carved parts start at an offset)."""
    return np.asarray(info['frame_indices']) + info.get('frame_offset', 0)


def _clip_pairs(frame_indices: np.ndarray) -> List[Tuple[int, int]]:
    """Distinct (earlier, later) frame pairs of one clip's flows."""
    ids = np.asarray(frame_indices).reshape(-1).tolist()
    return sorted({(min(a, b), max(a, b)) for a, b in zip(ids, ids[1:])
                   if a != b})


def _cache_identity(data_list: Sequence[dict], flow_size, flow_params,
                    noise_floor: float,
                    cache_key: Optional[dict]) -> Tuple[str, str]:
    """(hash, JSON) of everything q depends on."""
    digest = hashlib.sha1()
    videos = {}
    for info in data_list:
        digest.update(str(info['video']).encode())
        digest.update(np.asarray(info['frame_indices'], np.int64).tobytes())
        source = info.get('source')
        videos[info['video']] = [int(info['num_frames']),
                                 getattr(source, 'path', repr(source))]
    identity = dict(
        version=CACHE_VERSION, flow_size=flow_size,
        flow_params=dict(FARNEBACK_PARAMS, **(flow_params or {})),
        noise_floor=float(noise_floor), videos=videos,
        clips=digest.hexdigest(), extra=cache_key or {})
    text = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:20], text


def _load_cache(path: str, num_clips: int) -> Optional[np.ndarray]:
    if not osp.isfile(path):
        return None
    try:
        with np.load(path) as cached:
            q = cached['q']
    except (OSError, ValueError, KeyError) as error:
        warnings.warn(f'Ignoring unreadable motion cache {path}: {error}')
        return None
    if q.shape != (num_clips, ):
        warnings.warn(f'Ignoring motion cache {path}: it holds {q.shape} '
                      f'values for {num_clips} clips.')
        return None
    return q


def _save_cache(path: str, q: np.ndarray, identity: str) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    # Write then rename, so a concurrent reader (another rank) never sees a
    # half-written file.
    tmp = f'{path}.{os.getpid()}.tmp.npz'
    np.savez(tmp, q=q, identity=np.array(identity))
    os.replace(tmp, path)


def compute_motion_intensity(
        data_list: Sequence[dict],
        flow_size: Optional[Tuple[int, int]] = DEFAULT_FLOW_SIZE,
        flow_params: Optional[dict] = None,
        noise_floor: float = 0.0,
        cache_dir: Optional[str] = None,
        use_cache: bool = True,
        cache_key: Optional[dict] = None,
        progress: bool = True) -> Tuple[np.ndarray, str]:
    """Motion intensity q of every clip (eq. 8).

    Args:
        data_list (Sequence[dict]): Clip data infos with ``video``,
            ``frame_indices`` (T,), ``num_frames`` and ``source`` (a
            :class:`FrameSource`), as made by :class:`BaseVideoDataset`.
        flow_size (tuple[int, int], optional): (H, W) the grey frames are
            resized to before the flow (None: original size). q is in
            pixels of this grid. Defaults to (60, 90).
        flow_params (dict, optional): Farneback parameters overriding
            :data:`FARNEBACK_PARAMS`. Defaults to None.
        noise_floor (float): Per-pixel flow magnitudes below this (in
            pixels of the flow grid) count as 0. On real footage the
            background's sensor noise gives every pixel a small flow whose
            level differs between videos (about 0.03 vs 0.08 px on Ped2 at
            60x90) and dominates the plain mean; a floor of ~0.3 px keeps
            only moving pixels. Defaults to 0 (eq. 8 as written).
        cache_dir (str, optional): Folder of the cache files; None uses
            :func:`default_cache_dir`. Defaults to None.
        use_cache (bool): Read and write the cache. Defaults to True.
        cache_key (dict, optional): Extra facts identifying the data (the
            dataset adds its class, data_root, split, clip_len, stride and
            val carving). The cache is keyed by these, the video names,
            frame counts and paths, every clip's frame ids and the flow
            settings -- not by frame contents: delete the cache file after
            editing frames in place. Defaults to None.
        progress (bool): Show a tqdm bar over frame pairs. Defaults to True.

    Returns:
        tuple[np.ndarray, str]: q, shape (N,) float64 (N clips), and the
        cache file path ('' when ``use_cache`` is False).
    """
    if flow_size is not None:
        flow_size = tuple(int(v) for v in flow_size)
        if len(flow_size) != 2 or min(flow_size) < 8:
            raise ValueError('flow_size must be (H, W) with both >= 8 or '
                             f'None, got {flow_size}.')
    cache_file = ''
    if use_cache:
        key, identity = _cache_identity(data_list, flow_size, flow_params,
                                        noise_floor, cache_key)
        cache_file = osp.join(cache_dir or default_cache_dir(), f'{key}.npz')
        q = _load_cache(cache_file, len(data_list))
        if q is not None:
            return q, cache_file
    # Pairs needed per video (keyed by the shared source object).
    needed: Dict[Tuple[str, int], set] = {}
    sources = {}
    for info in data_list:
        video = (info['video'], id(info['source']))
        sources[video] = info['source']
        needed.setdefault(video, set()).update(_clip_pairs(_source_ids(info)))
    values: Dict[Tuple[str, int], Dict[Tuple[int, int], float]] = {}
    bar = tqdm(total=sum(map(len, needed.values())), unit='pair',
               desc='optical flow (eq. 8)', disable=not progress)
    for video, pairs in needed.items():
        frames: Dict[int, np.ndarray] = {}
        values[video] = {}
        for a, b in sorted(pairs):
            for i in (a, b):
                if i not in frames:
                    frames[i] = _grey(sources[video].read(i), flow_size)
            values[video][(a, b)] = flow_l1(frames[a], frames[b],
                                            flow_params, noise_floor)
            for i in [i for i in frames if i < a]:  # pairs come sorted by a
                del frames[i]
            bar.update()
    bar.close()
    q = np.zeros(len(data_list), np.float64)
    for n, info in enumerate(data_list):
        video = (info['video'], id(info['source']))
        pairs = _clip_pairs(_source_ids(info))
        if pairs:
            q[n] = np.mean([values[video][p] for p in pairs])
    if use_cache:
        _save_cache(cache_file, q, identity)
    return q, cache_file


def assign_motion_groups(q: np.ndarray, num_groups: int = 3,
                         method: str = 'quantile'
                         ) -> Tuple[np.ndarray, np.ndarray]:
    """Split clips into ``num_groups`` motion groups, 0 = lowest motion.

    Args:
        q (np.ndarray): Motion intensities, shape (N,).
        num_groups (int): Number of groups. Defaults to 3.
        method (str): ``'quantile'`` (equal-count groups: thresholds at the
            k / num_groups quantiles of q, terciles for 3) or ``'uniform'``
            (equal-width bins between min and max of q). Defaults to
            'quantile'.

    Returns:
        tuple[np.ndarray, np.ndarray]: Groups, shape (N,) int64 in
        [0, num_groups), and the num_groups - 1 increasing thresholds; clip
        n is in group k when thresholds[k-1] <= q[n] < thresholds[k].
    """
    q = np.asarray(q, np.float64).reshape(-1)
    if not isinstance(num_groups, int) or num_groups < 1:
        raise ValueError(f'num_groups must be a positive int, got '
                         f'{num_groups!r}.')
    if method not in GROUP_METHODS:
        raise ValueError(f'method must be one of {GROUP_METHODS}, got '
                         f'{method!r}.')
    if q.size == 0:
        raise ValueError('No clips to group: q is empty.')
    levels = np.arange(1, num_groups) / num_groups
    if method == 'quantile':
        thresholds = np.quantile(q, levels)
    else:
        thresholds = q.min() + levels * (q.max() - q.min())
    groups = np.searchsorted(thresholds, q, side='right')
    return groups.astype(np.int64), thresholds


#: Keys accepted by ``BaseVideoDataset(motion_groups=dict(...))``.
MOTION_GROUP_KEYS = ('num_groups', 'method', 'flow_size', 'flow_params',
                     'noise_floor', 'cache_dir', 'use_cache', 'progress')


def check_motion_groups_cfg(cfg: Optional[dict]) -> Optional[dict]:
    """Validate a dataset's ``motion_groups`` option (None: off)."""
    if cfg is None:
        return None
    if not isinstance(cfg, dict):
        raise TypeError('motion_groups must be None or a dict such as '
                        f'dict(num_groups=3), got {type(cfg).__name__}.')
    unknown = sorted(set(cfg) - set(MOTION_GROUP_KEYS))
    if unknown:
        raise ValueError(f'Unknown motion_groups keys {unknown}; accepted '
                         f'are {list(MOTION_GROUP_KEYS)}.')
    return dict(cfg)


def attach_motion_groups(dataset, data_list: List[dict],
                         cfg: dict) -> dict:
    """Add ``motion_q`` (float) and ``motion_group`` (int) to every info.

    Called by :meth:`BaseVideoDataset.load_data_list`; logs the thresholds
    and group sizes.

    Args:
        dataset (BaseVideoDataset): The dataset (identifies the cache).
        data_list (list[dict]): Its clip data infos, changed in place.
        cfg (dict): ``motion_groups`` option; keys in
            :data:`MOTION_GROUP_KEYS`, passed to
            :func:`compute_motion_intensity` and
            :func:`assign_motion_groups`.

    Returns:
        dict: Metainfo entries ``motion_thresholds``,
        ``motion_group_counts``, ``motion_flow_size`` and
        ``motion_cache_file``.
    """
    cfg = dict(cfg)
    num_groups = cfg.pop('num_groups', 3)
    method = cfg.pop('method', 'quantile')
    cache_key = dict(
        dataset=type(dataset).__name__,
        data_root=osp.abspath(dataset.data_root) if dataset.data_root else '',
        split=dataset.split, clip_len=dataset.clip_len,
        stride=dataset.stride, val_ratio=dataset.val_ratio,
        extra_metainfo=dataset.extra_metainfo)
    q, cache_file = compute_motion_intensity(data_list, cache_key=cache_key,
                                             **cfg)
    groups, thresholds = assign_motion_groups(q, num_groups, method)
    for info, q_i, group in zip(data_list, q, groups):
        info['motion_q'] = float(q_i)
        info['motion_group'] = int(group)
    counts = np.bincount(groups, minlength=num_groups).tolist()
    print_log(
        f'{type(dataset).__name__} {dataset.split}: motion groups (eq. 8, '
        f'{method}) thresholds on q {np.round(thresholds, 4).tolist()}, '
        f'clips per group {counts}'
        + (f', cache {cache_file}' if cache_file else ''),
        logger='current')
    if min(counts) == 0:
        warnings.warn(f'Motion groups: some groups are empty ({counts}); '
                      'many clips share one q value. Use fewer groups or '
                      "method='uniform'.")
    return dict(motion_thresholds=thresholds.tolist(),
                motion_group_counts=counts,
                motion_flow_size=cfg.get('flow_size', DEFAULT_FLOW_SIZE),
                motion_cache_file=cache_file)
