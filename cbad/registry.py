"""Registry nodes of cbad.

Every node is a child of the matching mmengine root, so mmengine's Runner finds
cbad's components when ``default_scope='cbad'``. ``locations`` lists the
packages whose import registers the node's members; ``tests/test_registry.py``
imports each of them, so a stale entry fails loudly instead of leaving a
"not in the registry" error for a user to decode.

The mmengine roots cbad adds nothing to (optimizers, log processors, ...)
get an empty cbad child too (:data:`RUNTIME_NODES`): with
``default_scope='cbad'`` mmengine looks for a ``cbad`` node in every tree it
builds from and, finding none, logs "Failed to search registry with scope
'cbad' ... This may cause unexpected failure" on each run.

All ``nn.Module`` parts live in one :data:`MODELS` node. The aliases below only
document intent (``ENCODERS.build`` reads better than ``MODELS.build`` for an
encoder); class-name suffixes (``*Encoder``, ``*Loss``, ``*Scorer``) keep the
names unique inside the shared node.
"""
import datetime
import importlib
import warnings

import mmengine.registry as mmengine_registry
from mmengine import DefaultScope
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import Registry, build_from_cfg, build_model_from_cfg

from cbad.utils.checkpoint import register_checkpoint_loader
from cbad.utils.registry_hint import add_hint_nodes, with_name_hint

__all__ = [
    'MODELS', 'ENCODERS', 'FUSIONS', 'AGGREGATORS', 'HEADS', 'LOSSES',
    'SCORERS', 'DETECTORS', 'DATA_PREPROCESSORS', 'DATASETS', 'TRANSFORMS',
    'DATA_SAMPLERS', 'METRICS', 'HOOKS', 'LOOPS', 'THRESHOLDERS',
    'VISUALIZERS', 'RUNNERS', 'RUNNER_CONSTRUCTORS', 'STRATEGIES',
    'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'OPTIMIZERS', 'OPTIM_WRAPPERS',
    'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'EVALUATOR',
    'TASK_UTILS', 'VISBACKENDS', 'LOG_PROCESSORS', 'INFERENCERS', 'FUNCTIONS',
    'PROPOSALS', 'POSTPROCESSORS', 'register_all_modules'
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


def _empty_child(root: Registry) -> Registry:
    """A cbad node under an mmengine root that cbad adds no members to; it
    inherits the root's build function and finds the root's members."""
    return Registry(root.name, parent=root, scope='cbad')


# See the module docstring: without these, mmengine warns on every run.
RUNNERS = _empty_child(mmengine_registry.RUNNERS)
RUNNER_CONSTRUCTORS = _empty_child(mmengine_registry.RUNNER_CONSTRUCTORS)
STRATEGIES = _empty_child(mmengine_registry.STRATEGIES)
MODEL_WRAPPERS = _empty_child(mmengine_registry.MODEL_WRAPPERS)
WEIGHT_INITIALIZERS = _empty_child(mmengine_registry.WEIGHT_INITIALIZERS)
OPTIMIZERS = _empty_child(mmengine_registry.OPTIMIZERS)
OPTIM_WRAPPERS = _empty_child(mmengine_registry.OPTIM_WRAPPERS)
OPTIM_WRAPPER_CONSTRUCTORS = _empty_child(
    mmengine_registry.OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = _empty_child(mmengine_registry.PARAM_SCHEDULERS)
EVALUATOR = _empty_child(mmengine_registry.EVALUATOR)
TASK_UTILS = _empty_child(mmengine_registry.TASK_UTILS)
VISBACKENDS = _empty_child(mmengine_registry.VISBACKENDS)
LOG_PROCESSORS = _empty_child(mmengine_registry.LOG_PROCESSORS)
INFERENCERS = _empty_child(mmengine_registry.INFERENCERS)
FUNCTIONS = _empty_child(mmengine_registry.FUNCTIONS)
RUNTIME_NODES = (RUNNERS, RUNNER_CONSTRUCTORS, STRATEGIES, MODEL_WRAPPERS,
                 WEIGHT_INITIALIZERS, OPTIMIZERS, OPTIM_WRAPPERS,
                 OPTIM_WRAPPER_CONSTRUCTORS, PARAM_SCHEDULERS, EVALUATOR,
                 TASK_UTILS, VISBACKENDS, LOG_PROCESSORS, INFERENCERS,
                 FUNCTIONS)

# Where moving things are (the object-centric unit): plain Python objects fed
# one frame at a time, no mmengine root.
PROPOSALS = Registry(
    'proposal',
    scope='cbad',
    build_func=_build_with_hint,
    locations=['cbad.proposals'])

# Causal steps on a video's frame scores (e.g. a trailing mean): plain Python
# objects, offline on a whole video or one frame at a time in streaming.
POSTPROCESSORS = Registry(
    'postprocessor',
    scope='cbad',
    build_func=_build_with_hint,
    locations=['cbad.postprocessing'])

NODES = [globals()[name] for name in __all__[:-1]]
add_hint_nodes(NODES)


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register all cbad components into the cbad registries.

    Imports every package named in a node's ``locations`` (the packages
    whose import registers its members; ``tests/test_registry.py`` checks
    them), by name, so this module needs no import of the packages above
    it. The imports are deliberately not wrapped in ``try``: a component
    that fails to import must fail here with its own traceback, not later
    with a puzzling "X is not in the registry".

    Args:
        init_default_scope (bool): Whether to make ``'cbad'`` the default
            scope so that configs can omit ``cbad.`` prefixes. Defaults to True.
    """
    for location in sorted({loc for node in NODES for loc in node._locations}):
        importlib.import_module(location)
    register_checkpoint_loader()

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('cbad', scope_name='cbad')
    elif current.scope_name != 'cbad':
        warnings.warn(f'The current default scope "{current.scope_name}" is '
                      'not "cbad"; a new default scope "cbad" is created.')
        # Instance names must be unique, so add a timestamp.
        name = f'cbad-{datetime.datetime.now()}'
        DefaultScope.get_instance(name, scope_name='cbad')
