"""Every config under configs/ builds, trains one step and predicts on CPU."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from cbad.registry import DATASETS, METRICS, MODELS
from cbad.utils import register_all_modules

register_all_modules()
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                         recursive=True) if '_base_' not in p)


def _input_shape(cfg):
    """(C, T, H, W) the config's pipeline produces, read off the config."""
    pipeline = cfg.test_dataloader.dataset.pipeline
    gray = any(t.get('to_gray') for t in pipeline if t['type'] ==
               'LoadClipFrames')
    size = next((tuple(t['size']) for t in pipeline
                 if t['type'] == 'ResizeClip'), None)
    if size is None:  # synthetic: native frame size
        size = (120, 160)
    return (1 if gray else 3, cfg.test_dataloader.dataset.clip_len, *size)


def test_configs_found():
    names = {osp.basename(p) for p in CONFIGS}
    for dataset in ['ped2', 'avenue', 'shanghaitech', 'synthetic']:
        assert f'convae_{dataset}.py' in names


@pytest.mark.parametrize('path', CONFIGS,
                         ids=lambda p: osp.relpath(p, ROOT))
def test_config_builds_trains_and_predicts(path):
    cfg = Config.fromfile(path)
    name = osp.splitext(osp.basename(path))[0]
    assert osp.basename(osp.dirname(path)) == name.split('_')[0]
    model = MODELS.build(cfg.model)
    METRICS.build(cfg.test_evaluator)
    for key in ['train_dataloader', 'fit_dataloader', 'test_dataloader']:
        assert DATASETS.get(cfg[key].dataset.type) is not None
    c, t, h, w = _input_shape(cfg)
    batch = dict(
        inputs=[torch.randint(0, 256, (c, t, h, w), dtype=torch.uint8)
                for _ in range(2)],
        data_samples=None)
    optim = torch.optim.Adam(model.parameters(), lr=1e-4)
    data = model.data_preprocessor(batch, True)
    losses = model(**data, mode='loss')
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    total.backward()
    optim.step()
    model.eval()
    with torch.no_grad():
        out = model(**model.data_preprocessor(batch, False), mode='predict')
    assert out[0].pred_scores.shape == (t, )
    assert torch.isfinite(out[0].pred_scores).all()


def test_dataset_configs_read_root_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv('CBAD_DATA_ROOT', str(tmp_path))
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'convae',
                                   'convae_ped2.py'))
    assert cfg.test_dataloader.dataset.data_root == f'{tmp_path}/ped2'
    monkeypatch.delenv('CBAD_DATA_ROOT')
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'convae',
                                   'convae_avenue.py'))
    assert cfg.test_dataloader.dataset.data_root == 'data/avenue'
