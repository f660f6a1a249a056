"""On-disk cache of a video's training tubes (crops, attributes, tracks).

Cutting the tubes of a training video runs the proposals, the optical flow
and the tracker over every frame; the result depends only on the frames, the
extractor's settings and the code that cuts them. :class:`TubeDataset`
keeps it in ``{cache_dir}/{hash}.npz`` per video so a second training on the
same data (another seed, an ablation) skips the flow, as the motion groups'
cache does. The hash covers the video (name, source path, frame count and
indices, the first and last frame files' sizes and times where the source
is a folder of files), the extractor's settings, the source text of the
modules that cut tubes and read frames, and the OpenCV and numpy versions,
so changing any of them starts a new entry. A frame file replaced in the
middle of a folder with the same size and time is not noticed: clear the
folder (``$CBAD_CACHE_DIR/tubes``) after editing footage in place.
"""
import hashlib
import json
import os
import os.path as osp
import warnings
import zipfile
from functools import lru_cache
from typing import Dict, Optional

import cv2
import numpy as np

from cbad import proposals
from cbad.structures import tube as tube_module
from cbad.structures import windows as windows_module
from .sources import base as sources_module

#: Bumped when the meaning of a cached entry changes in a way the source
#: hash below cannot see.
CACHE_VERSION = 1
#: What one entry holds (all of them numpy arrays).
CACHED_ARRAYS = ('crops', 'attributes', 'window_index', 'windows',
                 'track_ids', 'num_frames')


def default_tube_cache_dir() -> str:
    """``$CBAD_CACHE_DIR/tubes`` if the variable is set, else
    ``~/.cache/cbad/tubes``."""
    root = os.environ.get('CBAD_CACHE_DIR') or osp.join(
        osp.expanduser('~'), '.cache', 'cbad')
    return osp.join(root, 'tubes')


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """sha1 of the source of every module that decides what a tube is
    (proposals, tubes and their windows, how frames are read in grey) and of the versions of
    the libraries that compute it (OpenCV's flow and resizing, numpy)."""
    digest = hashlib.sha1(f'{cv2.__version__} {np.__version__}'.encode())
    folder = osp.dirname(proposals.__file__)
    paths = sorted(osp.join(folder, name) for name in os.listdir(folder)
                   if name.endswith('.py')) + [
                       tube_module.__file__, windows_module.__file__,
                       sources_module.__file__]
    for path in paths:
        with open(path, 'rb') as f:
            digest.update(f.read())
    return digest.hexdigest()


def _file_stamp(path: str) -> Optional[list]:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


def tube_cache_key(info: dict, settings: dict) -> str:
    """The cache file name (without folder) of one video's tubes.

    Args:
        info (dict): The video's data info (``video``, ``source``,
            ``frame_indices``, optional ``frame_offset``).
        settings (dict): Everything the extractor was built from
            (``clip_len``, ``stride`` and the ``tubes`` config).
    """
    source = info.get('source')
    ids = np.asarray(info['frame_indices'], np.int64) + int(
        info.get('frame_offset', 0))
    folder = str(getattr(source, 'path', ''))
    files = getattr(source, 'files', None)
    if files is not None and len(ids):  # a folder of frames: first, last
        stamps = [_file_stamp(osp.join(folder, files[int(i)]))
                  for i in (ids[0], ids[-1])]
    else:  # a video file
        stamps = [_file_stamp(folder)]
    identity = dict(
        version=CACHE_VERSION, code=_code_digest(), video=str(info['video']),
        source=getattr(source, 'path', repr(source)), stamps=stamps,
        frames=hashlib.sha1(ids.tobytes()).hexdigest(), settings=settings)
    text = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:24] + '.npz'


def load_tubes(path: str) -> Optional[Dict[str, np.ndarray]]:
    """A cached entry, or None (missing, unreadable or incomplete: it is
    then recomputed, with a warning for a broken file)."""
    if not osp.isfile(path):
        return None
    try:
        with np.load(path) as cached:
            entry = {key: cached[key] for key in CACHED_ARRAYS}
    except (OSError, ValueError, KeyError, EOFError,
            zipfile.BadZipFile) as error:
        warnings.warn(f'Ignoring unreadable tube cache {path}: {error}')
        return None
    return entry


def save_tubes(path: str, entry: Dict[str, np.ndarray]) -> None:
    """Write an entry atomically (write, then rename): a reader never sees
    half a file. A folder that cannot be written is warned about, not an
    error (training goes on without the cache)."""
    tmp = f'{path}.{os.getpid()}.tmp.npz'
    try:
        os.makedirs(osp.dirname(path), exist_ok=True)
        np.savez(tmp, **{key: entry[key] for key in CACHED_ARRAYS})
        os.replace(tmp, path)
    except OSError as error:
        warnings.warn(f'Could not write the tube cache {path}: {error}')
        if osp.exists(tmp):
            os.remove(tmp)
