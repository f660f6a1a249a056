"""FuturePredictionDetector: clip splitting, scores and the GAN train step."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict

from cbad.registry import MODELS, register_all_modules
from cbad.structures import ClipDataSample

register_all_modules()


def _detector(adversarial: bool = True):
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='FuturePredictionDetector',
        data_preprocessor=dict(
            type='ClipDataPreprocessor', mean=[127.5], std=[127.5]),
        generator=dict(type='UNetPredictor', in_frames=4, base_channels=4,
                       num_stages=3),
        discriminator=dict(type='PatchDiscriminator', base_channels=4,
                           num_layers=2) if adversarial else None,
        flow_loss=dict(type='FlowLoss', loss_weight=2.0)))


def _batch(n=2, t=5, h=32, w=32):
    g = torch.Generator().manual_seed(1)
    return dict(
        inputs=[torch.randint(0, 256, (1, t, h, w), generator=g,
                              dtype=torch.uint8) for _ in range(n)],
        data_samples=[ClipDataSample(metainfo=dict(
            video='v', video_index=0, num_frames=20,
            frame_indices=np.arange(t) + i)) for i in range(n)])


def _params(module):
    return [p.detach().clone() for p in module.parameters()]


def _changed(before, module):
    return [not torch.equal(b, p) for b, p in zip(before, module.parameters())]


def test_split_clips_pairs_past_frames_with_next_frame():
    model = _detector()
    x = torch.arange(7.).view(1, 1, 7, 1, 1).expand(2, 1, 7, 2, 2)
    past, target, k = model.split_clips(x)
    assert k == 3 and past.shape == (6, 1, 4, 2, 2)
    assert target.shape == (6, 1, 2, 2)
    assert past[1, 0, :, 0, 0].tolist() == [1, 2, 3, 4]
    assert target[1, 0, 0, 0].item() == 5
    with pytest.raises(ValueError, match='clip_len to at least 5'):
        model.split_clips(torch.zeros(1, 1, 4, 8, 8))


@pytest.mark.parametrize('t', [5, 7])
def test_frame_scores_give_first_frames_the_first_target_score(t):
    model = _detector().eval()
    data = model.data_preprocessor(_batch(t=t), False)
    with torch.no_grad():
        scores = model(**data, mode='tensor')
    assert scores.shape == (2, t)
    assert torch.all(scores[:, :4] == scores[:, 4:5])
    assert torch.isfinite(scores).all() and (scores >= 0).all()
    out = model(**data, mode='predict')
    assert out[0].pred_scores.shape == (t, )


def test_loss_mode_returns_generator_terms_with_gradients():
    model = _detector()
    data = model.data_preprocessor(_batch(), True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_int', 'loss_gd', 'loss_op', 'loss_adv'}
    sum(losses.values()).backward()
    assert all(p.grad is not None for p in model.generator.parameters())


def test_generator_step_updates_only_the_generator():
    model = _detector()
    params = list(model.parameters())
    g_before, d_before = _params(model.generator), _params(
        model.discriminator)
    # Both wrappers hold every parameter; the D wrapper cannot move any
    # (lr 0), so a changed D parameter could only come from the G step.
    wrappers = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.Adam(params, lr=1e-2)),
        discriminator=OptimWrapper(torch.optim.SGD(params, lr=0.0)))
    model.train_step(_batch(), wrappers)
    assert all(_changed(g_before, model.generator))
    assert not any(_changed(d_before, model.discriminator))


def test_discriminator_step_updates_only_the_discriminator():
    model = _detector()
    params = list(model.parameters())
    g_before, d_before = _params(model.generator), _params(
        model.discriminator)
    wrappers = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.SGD(params, lr=0.0)),
        discriminator=OptimWrapper(torch.optim.Adam(params, lr=1e-2)))
    log_vars = model.train_step(_batch(), wrappers)
    assert all(_changed(d_before, model.discriminator))
    assert not any(_changed(g_before, model.generator))
    assert log_vars['loss_disc'] > 0


def test_shared_optimiser_trains_both_and_logs_every_term():
    model = _detector()
    g_before, d_before = _params(model.generator), _params(
        model.discriminator)
    wrapper = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
    log_vars = model.train_step(_batch(), wrapper)
    assert set(log_vars) == {'loss', 'loss_int', 'loss_gd', 'loss_op',
                             'loss_adv', 'loss_disc'}
    assert all(torch.isfinite(torch.as_tensor(v)) for v in log_vars.values())
    assert all(_changed(g_before, model.generator))
    assert all(_changed(d_before, model.discriminator))
    assert all(p.requires_grad for p in model.discriminator.parameters())


def test_without_discriminator_trains_generator_only():
    model = _detector(adversarial=False)
    wrapper = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
    log_vars = model.train_step(_batch(), wrapper)
    assert 'loss_adv' not in log_vars and 'loss_disc' not in log_vars


def test_optim_wrapper_dict_needs_named_wrappers():
    model = _detector()
    wrappers = OptimWrapperDict(
        g=OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)))
    with pytest.raises(KeyError, match="'generator' and 'discriminator'"):
        model.train_step(_batch(), wrappers)


def test_published_checkpoints_leave_the_discriminator_out(tmp_path):
    from mmengine.config import Config

    from cbad.apis.publish import publish_checkpoint
    cfg_path = osp.join(osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))), 'configs', 'futurepred',
        'futurepred_synthetic.py')
    model = MODELS.build(Config.fromfile(cfg_path).model)
    model.threshold.fill_(0.5)
    ckpt = tmp_path / 'epoch_1.pth'
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    path = publish_checkpoint(cfg_path, str(ckpt), str(tmp_path / 'zoo'))
    state = torch.load(path, weights_only=True)['state_dict']
    assert not any(k.startswith('discriminator.') for k in state)
    assert any(k.startswith('generator.') for k in state)
    fresh = MODELS.build(Config.fromfile(cfg_path).model)
    fresh.load_state_dict(state, strict=True)  # missing D is not an error
    assert fresh.threshold.item() == 0.5
    with pytest.raises(RuntimeError, match='generator'):
        fresh.load_state_dict({k: v for k, v in state.items()
                               if not k.startswith('generator.')})
