"""cbad.apis: listing, describing and building zoo models."""
import os.path as osp
import shutil

import pytest
import torch

from cbad.apis import get_model, get_model_info, list_models
from cbad.apis import model_zoo
from cbad.models.detectors.base_detector import BaseAnomalyDetector


def test_list_models_and_pattern():
    names = list_models()
    assert names == sorted(names)
    assert {'convae_ped2', 'memae_ped2', 'futurepred_ped2',
            'handcrafted_ped2'} <= set(names)
    assert list_models('convae*') == ['convae_ped2', 'convae_ped2_patchmax']


def test_info_is_merged_with_its_collection():
    info = get_model_info('convae_ped2')
    root = model_zoo.repo_root()
    assert info['Config'] == osp.join(root, 'configs', 'convae',
                                      'convae_ped2.py')
    assert osp.isabs(info['Weights']) and osp.isfile(info['Weights'])
    assert info['README'] == osp.join(root, 'configs', 'convae', 'README.md')
    assert info['Paper']['Title'].startswith('Learning Temporal Regularity')
    # collection metadata and protocol, model metadata on top
    assert 'ConvAEEncoder' in info['Metadata']['Architecture']
    assert info['Metadata']['Epochs'] == 10
    assert info['Protocol']['clip_to_frame'] == 'mean'
    assert info['Results'][0]['Metrics']['AUC micro raw'] == 64.6


def test_get_model_loads_published_weights_only(monkeypatch):
    calls = []
    real_load = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get('weights_only'))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, 'load', spy)
    model = get_model('convae_ped2')
    assert calls == [True]
    assert isinstance(model, BaseAnomalyDetector)
    assert model.is_fitted and not model.training
    assert all(p.device.type == 'cpu' for p in model.parameters())
    state = real_load(get_model_info('convae_ped2')['Weights'],
                      weights_only=True)['state_dict']
    # a zoo file older than the threshold_fit record lacks only that record
    # (which then stays unknown); convae_ped2's file (2026-12-02) has it
    assert set(model.state_dict()) - set(state) <= set(
        model.threshold_fit_buffers)
    assert set(model.threshold_fit_buffers) <= set(state)
    assert set(state) <= set(model.state_dict())
    for key, value in state.items():
        torch.testing.assert_close(model.state_dict()[key], value)


def test_get_model_without_weights_is_unfitted():
    model = get_model('convae_ped2', pretrained=False)
    assert not model.is_fitted and not model.training
    assert torch.isnan(model.threshold)


def test_cfg_options_reach_the_model():
    model = get_model('convae_ped2', pretrained=False,
                      cfg_options={'model.scorer.reduce': 'patch_max'})
    assert model.scorer.reduce == 'patch_max'


def test_unknown_name_lists_the_nearest():
    with pytest.raises(KeyError, match='Nearest names: convae_ped2'):
        get_model_info('convae_pde2')
    with pytest.raises(KeyError, match='not in the model zoo'):
        get_model('memae_ped')


def _tampered(tmp_path, name='handcrafted_ped2'):
    """The entry of ``name`` pointing at a copy of its file, one byte
    longer."""
    info = dict(get_model_info(name))
    copy = tmp_path / osp.basename(info['Weights'])
    shutil.copy(info['Weights'], copy)
    with open(copy, 'ab') as f:
        f.write(b'\0')
    info['Weights'] = str(copy)
    return info


def test_sha256_mismatch_is_refused(tmp_path, monkeypatch):
    info = _tampered(tmp_path)
    with pytest.raises(ValueError, match=info['sha256']) as err:
        model_zoo.verify_weights(info)
    assert 'update `Weights`, `sha256`' in str(err.value)
    monkeypatch.setattr(model_zoo, 'get_model_info', lambda name: info)
    with pytest.raises(ValueError, match='was changed or replaced'):
        get_model('handcrafted_ped2')


def test_missing_weights_file_is_reported(tmp_path):
    info = dict(get_model_info('handcrafted_ped2'),
                Weights=str(tmp_path / 'gone.pth'))
    with pytest.raises(FileNotFoundError, match='gone.pth'):
        model_zoo.verify_weights(info)


def test_a_pickled_payload_is_not_run(tmp_path, monkeypatch):
    """Even with a matching sha256, get_model unpickles only tensors."""

    class Payload:
        def __reduce__(self):
            return (print, ('pwned',))

    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': Payload()}, path)
    info = dict(get_model_info('handcrafted_ped2'), Weights=str(path),
                sha256=model_zoo.file_sha256(str(path)))
    monkeypatch.setattr(model_zoo, 'get_model_info', lambda name: info)
    with pytest.raises(RuntimeError, match='--trust-checkpoint'):
        get_model('handcrafted_ped2')
