"""cbad.utils.modes.eval_mode: eval inside, the previous mode after."""
import pytest
from torch import nn

from cbad.utils.modes import eval_mode


@pytest.mark.parametrize('training', [True, False])
def test_mode_is_restored_also_after_an_error(training):
    model = nn.Sequential(nn.Dropout()).train(training)
    with eval_mode(model) as same:
        assert same is model and not model.training
    assert model.training is training
    with pytest.raises(RuntimeError):
        with eval_mode(model):
            raise RuntimeError('boom')
    assert model.training is training
