"""Registry nodes of cbad.

Every node is a child of the matching mmengine root, so mmengine's Runner finds
cbad's components when ``default_scope='cbad'``. ``locations`` lists the
packages whose import registers the node's members; ``tests/test_registry.py``
imports each of them, so a stale entry fails loudly instead of leaving a
"not in the registry" error for a user to decode.

All ``nn.Module`` parts live in one :data:`MODELS` node. The aliases below only
document intent (``ENCODERS.build`` reads better than ``MODELS.build`` for an
encoder); class-name suffixes (``*Encoder``, ``*Loss``, ``*Scorer``) keep the
names unique inside the shared node.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import Registry, build_from_cfg, build_model_from_cfg

from cbad.utils.registry_hint import with_name_hint

__all__ = [
    'MODELS', 'ENCODERS', 'FUSIONS', 'AGGREGATORS', 'HEADS', 'LOSSES',
    'SCORERS', 'DETECTORS', 'DATA_PREPROCESSORS', 'DATASETS', 'TRANSFORMS',
    'DATA_SAMPLERS', 'METRICS', 'HOOKS', 'LOOPS', 'THRESHOLDERS', 'VISUALIZERS'
]

def _build_with_hint(cfg, registry, default_args=None):
    """mmengine's ``build_from_cfg`` whose "not in the registry" error also
    lists the nearest registered names."""
    with with_name_hint(registry):
        return build_from_cfg(cfg, registry, default_args)


def _build_model_with_hint(cfg, registry, default_args=None):
    """Same for models (lists of configs become an ``nn.Sequential``)."""
    with with_name_hint(registry):
        return build_model_from_cfg(cfg, registry, default_args)


MODELS = Registry(
    'model',
    parent=MMENGINE_MODELS,
    scope='cbad',
    build_func=_build_model_with_hint,
    locations=['cbad.models'])
# Aliases: one node, names that say what is being built.
ENCODERS = FUSIONS = AGGREGATORS = HEADS = LOSSES = MODELS
SCORERS = DETECTORS = DATA_PREPROCESSORS = MODELS

DATASETS = Registry(
    'dataset',
    parent=MMENGINE_DATASETS,
    scope='cbad',
    build_func=_build_with_hint,
    locations=['cbad.datasets'])
TRANSFORMS = Registry(
    'transform',
    parent=MMENGINE_TRANSFORMS,
    scope='cbad',
    build_func=_build_with_hint,
    locations=['cbad.datasets.transforms'])
DATA_SAMPLERS = Registry(
    'data sampler',
    parent=MMENGINE_DATA_SAMPLERS,
    scope='cbad',
    build_func=_build_with_hint,
    locations=['cbad.datasets'])
METRICS = Registry(
    'metric',
    parent=MMENGINE_METRICS,
    scope='cbad',
    build_func=_build_with_hint,
    locations=['cbad.evaluation.metrics'])
HOOKS = Registry(
    'hook',
    parent=MMENGINE_HOOKS,
    scope='cbad',
    build_func=_build_with_hint,
    locations=['cbad.engine'])
LOOPS = Registry(
    'loop',
    parent=MMENGINE_LOOPS,
    scope='cbad',
    build_func=_build_with_hint,
    locations=['cbad.engine'])
VISUALIZERS = Registry(
    'visualizer',
    parent=MMENGINE_VISUALIZERS,
    scope='cbad',
    build_func=_build_with_hint,
    locations=['cbad.visualization'])
# No mmengine root exists for thresholders: a stand-alone node in cbad's scope.
THRESHOLDERS = Registry(
    'thresholder',
    scope='cbad',
    build_func=_build_with_hint,
    locations=['cbad.evaluation.thresholders'])
