import importlib

import pytest

from cbad import registry
from cbad.registry import MODELS, THRESHOLDERS, register_all_modules

register_all_modules()

NODES = [
    registry.MODELS, registry.DATASETS, registry.TRANSFORMS,
    registry.DATA_SAMPLERS, registry.METRICS, registry.HOOKS, registry.LOOPS,
    registry.VISUALIZERS, registry.THRESHOLDERS
]


@pytest.mark.parametrize('node', NODES, ids=lambda n: n.name)
def test_every_location_imports(node):
    assert node.scope == 'cbad'
    for location in node._locations:
        importlib.import_module(location)


def test_aliases_share_one_models_node():
    assert registry.ENCODERS is MODELS and registry.SCORERS is MODELS
    assert registry.LOSSES is MODELS and registry.DETECTORS is MODELS


def test_expected_members_registered():
    for name in ['ReconstructionDetector', 'ConvAEEncoder', 'ConvAEDecoder',
                 'ReconstructionLoss', 'ReconstructionErrorScorer',
                 'ClipDataPreprocessor']:
        assert MODELS.get(name) is not None, name
    assert registry.DATASETS.get('UCSDPed2Dataset') is not None
    assert registry.DATASETS.get('SyntheticDataset') is not None
    assert registry.METRICS.get('VideoAnomalyMetric') is not None
    assert registry.HOOKS.get('FitDetectorHook') is not None
    assert THRESHOLDERS.get('MADThresholder') is not None


def test_unknown_type_names_registry_and_nearest_names():
    with pytest.raises(KeyError) as err:
        MODELS.build(dict(type='ConvAEEncodr'))
    message = str(err.value)
    assert 'model' in message and 'cbad' in message
    assert 'ConvAEEncoder' in message


def test_unknown_top_level_type_gets_hint_too():
    from mmengine.registry import MODELS as ROOT

    from cbad.utils.registry_hint import with_name_hint
    with pytest.raises(KeyError, match='ReconstructionDetector'):
        with with_name_hint():
            ROOT.build(dict(type='ReconstructionDetectr'))
