"""tools/fit.py: which weights a re-fit takes from a checkpoint."""
import importlib.util
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from cbad.registry import MODELS, register_all_modules

register_all_modules()
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(ROOT, 'tests', 'configs', 'contrastive_tiny.py')


def _tool():
    spec = importlib.util.spec_from_file_location(
        'cbad_tools_fit', osp.join(ROOT, 'tools', 'fit.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _model(**changes):
    torch.manual_seed(len(changes))
    return MODELS.build(dict(Config.fromfile(TINY).model, **changes))


def test_network_weights_load_from_a_weights_only_file_fitted_state_not(
        tmp_path):
    load = _tool().load_network_weights
    trained = _model()
    trained.threshold.fill_(7.0)
    path = str(tmp_path / 'zoo.pth')  # what tools/publish_model.py writes
    torch.save(dict(state_dict=trained.state_dict(), meta=dict(config='x')),
               path)
    fresh = _model(stride=3)  # other init (seed), same network
    load(fresh, path)
    for key, value in trained.state_dict().items():
        if key.startswith(('encoder.', 'aggregator.', 'head.')):
            assert torch.equal(fresh.state_dict()[key], value), key
    assert torch.isnan(fresh.threshold)  # fitted anew, never copied
    # another network is refused, naming what does not fit
    other = Config.fromfile(TINY).model
    other.encoder.spatial.channels = (4, 8, 8)
    other.encoder.temporal.channels = (4, 8, 8)
    with pytest.raises(Exception, match='does not fit this config'):
        load(MODELS.build(other), path)
