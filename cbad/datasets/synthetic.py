"""Generated scenes (no files needed): the smallest end-to-end dataset.

Videos come from :func:`cbad.datasets.synthetic_scene.synthetic_videos`;
there is no folder tree and ``data_root`` is ignored.
"""
import importlib
from typing import List, Optional

from cbad.registry import DATASETS
from .base_video_dataset import BaseVideoDataset, VideoEntry

_MODULE_DOC = __doc__


@DATASETS.register_module()
class SyntheticDataset(BaseVideoDataset):
    """Synthetic scenes with known anomalies, generated in memory.

    Args:
        seed (int): Generator seed; the same seed gives the same videos.
            Defaults to 0.
        scene_kwargs (dict, optional): Passed to ``synthetic_videos`` (e.g.
            number of videos, frame size). Defaults to None.
        **kwargs: See :class:`BaseVideoDataset`; ``data_root`` is unused.
    """

    EXPECTED_TREE = _MODULE_DOC
    REQUIRES_DATA_ROOT = False

    def __init__(self,
                 seed: int = 0,
                 scene_kwargs: Optional[dict] = None,
                 **kwargs) -> None:
        self.seed = seed
        self.scene_kwargs = dict(scene_kwargs or {})
        super().__init__(**kwargs)

    def list_videos(self, split: str) -> List[VideoEntry]:
        # Imported here, not at module level, so the registry import of
        # cbad.datasets does not depend on the generator's own imports.
        scene = importlib.import_module('cbad.datasets.synthetic_scene')
        videos = scene.synthetic_videos(
            split, seed=self.seed, **self.scene_kwargs)
        self.extra_metainfo.update(
            seed=self.seed, scene_kwargs=dict(self.scene_kwargs),
            label_source='generator' if split == 'test' else None)
        return [(source.name, source, labels) for source, labels in videos]
