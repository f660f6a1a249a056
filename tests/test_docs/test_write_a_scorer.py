"""Runs the code of docs/tutorials/write_a_scorer.md."""
import os.path as osp
import re
import sys

import numpy as np
import torch
from mmengine.config import Config

from cbad.engine import fit_detector
from cbad.registry import MODELS, register_all_modules
from cbad.structures import ClipDataSample

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DOC = osp.join(ROOT, 'docs', 'tutorials', 'write_a_scorer.md')


def _python_blocks():
    text = open(DOC).read()
    return re.findall(r'```python\n(.*?)```', text, flags=re.S)


def _video(name, length, seed):
    g = torch.Generator().manual_seed(seed)
    frames = torch.randint(0, 256, (1, length, 64, 96), generator=g,
                           dtype=torch.uint8)
    return dict(inputs=[frames], data_samples=[ClipDataSample(
        metainfo=dict(video=name, video_index=seed, num_frames=length))])


def test_tutorial_scorer_and_config_work(tmp_path, monkeypatch):
    scorer_code, config_code = _python_blocks()
    package = tmp_path / 'my_scorers'
    package.mkdir()
    (package / '__init__.py').write_text('')
    (package / 'cosine_centre.py').write_text(scorer_code)
    config_dir = tmp_path / 'configs' / 'cbad'
    config_dir.mkdir(parents=True)
    (config_dir / 'cbad_ped2_cosine.py').write_text(
        config_code.replace("'./cbad_ped2_cpu.py'", repr(
            osp.join(ROOT, 'configs', 'cbad', 'cbad_ped2_cpu.py'))))
    monkeypatch.syspath_prepend(str(tmp_path))
    register_all_modules()
    cfg = Config.fromfile(str(config_dir / 'cbad_ped2_cosine.py'))
    from mmengine.utils import import_modules_from_strings
    import_modules_from_strings(**cfg.custom_imports)
    model = MODELS.build(cfg.model)
    assert set(model.scorers) == {'D', 'T', 'R', 'cos'}

    train = [_video(f't{i}', 30, i) for i in range(3)]
    val = [_video(f'v{i}', 24, 10 + i) for i in range(2)]
    fit_detector(model, train, val)
    assert model.scorers['cos'].is_fitted and model.is_fitted
    model.eval()
    test = _video('x', 20, 42)
    out = model(**model.data_preprocessor(test), mode='predict')[0]
    cos = out.pred_terms_cos
    assert cos.shape == out.pred_scores.shape and (cos >= 0).all()

    # the fitted centre travels in the state dict into a fresh model
    fresh = MODELS.build(cfg.model)
    fresh.load_state_dict(model.state_dict())
    fresh.eval()
    again = fresh(**fresh.data_preprocessor(_video('x', 20, 42)),
                  mode='predict')[0]
    torch.testing.assert_close(again.pred_scores, out.pred_scores)
    sys.modules.pop('my_scorers.cosine_centre', None)
    sys.modules.pop('my_scorers', None)
