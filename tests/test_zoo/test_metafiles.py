"""The metafiles agree with the files, the configs and each other."""
import glob
import os.path as osp
from collections import Counter

import pytest
import torch
import yaml
from mmengine.config import Config

from cbad.apis.model_zoo import (load_collections, load_model_index,
                                 repo_root)
from cbad.registry import (MODELS, POSTPROCESSORS, PROPOSALS,
                           register_all_modules)
from cbad.registry import register_all_modules
from cbad.utils.report import file_sha256

ROOT = repo_root()
INDEX = load_model_index()
METAFILES = sorted(glob.glob(osp.join(ROOT, 'configs', '*', 'metafile.yml')))


def test_every_method_folder_has_a_metafile():
    folders = {osp.basename(osp.dirname(p)) for p in METAFILES}
    assert folders == {'cbad', 'convae', 'futurepred', 'handcrafted', 'memae'}


def test_names_are_unique_config_basenames():
    names = []
    for metafile in METAFILES:
        with open(metafile) as f:
            names += [m['Name'] for m in yaml.safe_load(f)['Models']]
    assert [n for n, count in Counter(names).items() if count > 1] == []
    assert sorted(names) == sorted(INDEX)
    for name, info in INDEX.items():
        assert osp.splitext(osp.basename(info['Config']))[0] == name


@pytest.mark.parametrize('name', sorted(INDEX))
def test_weights_exist_match_sha256_and_size(name):
    info = INDEX[name]
    path = info['Weights']
    assert osp.isfile(path), path
    assert path.startswith(osp.join(ROOT, 'model_zoo') + osp.sep)
    assert file_sha256(path) == info['sha256']
    assert osp.getsize(path) == info['size_bytes']
    # <config>_<YYYYMMDD>-<sha8>.pth
    stem = osp.splitext(osp.basename(path))[0]
    assert stem.startswith(name + '_')
    assert stem.endswith('-' + info['sha256'][:8])


@pytest.mark.parametrize('name', sorted(INDEX))
def test_weights_are_weights_only(name):
    # plain torch.load, no allowlist: only tensors and plain types inside
    blob = torch.load(INDEX[name]['Weights'], weights_only=True)
    assert set(blob) == {'state_dict', 'meta'}
    assert blob['meta']['config'] == name
    assert all(isinstance(v, torch.Tensor)
               for v in blob['state_dict'].values())


def test_every_published_file_is_in_a_metafile():
    on_disk = set(glob.glob(osp.join(ROOT, 'model_zoo', '**', '*.pth'),
                            recursive=True))
    listed = {info['Weights'] for info in INDEX.values()}
    assert on_disk, 'no checkpoints found under model_zoo/'
    assert on_disk - listed == set()
    assert listed - on_disk == set()


@pytest.mark.parametrize('name', sorted(INDEX))
def test_recipe_facts_match_the_config(name):
    """Metadata and protocol say what the config does (no drift)."""
    register_all_modules()
    info = INDEX[name]
    cfg = Config.fromfile(info['Config'])
    meta = info['Metadata']
    assert meta['Epochs'] == cfg.train_cfg.max_epochs
    assert meta['Batch Size'] == cfg.train_dataloader.batch_size
    test_set = cfg.test_dataloader.dataset
    assert meta['Clip Length'] == test_set.clip_len
    if cfg.model.type == 'ObjectContrastiveDetector':  # tube crops
        assert [cfg.model.tubes.crop_size] * 2 == meta['Input Size']
    else:
        resize = [t for t in test_set.pipeline if t.type == 'ResizeClip']
        assert list(resize[0].size) == meta['Input Size']
    protocol = info['Protocol']
    assert protocol['clip_to_frame'] == cfg.test_evaluator.clip_to_frame
    postprocess = cfg.model.get('postprocess')
    assert protocol['smoothing'] == (
        repr(POSTPROCESSORS.build(postprocess)) if postprocess else 'none')
    assert cfg.model.thresholder == dict(type='MADThresholder', lam=3.0)
    assert cfg.model.type in meta['Architecture']
    for part in meta['Architecture']:
        assert any(registry.get(part) is not None for registry in (
            MODELS, PROPOSALS, POSTPROCESSORS)), part
    metrics = info['Results'][0]['Metrics']
    assert set(metrics) == {'AUC micro raw', 'AUC micro vidnorm',
                            'AUC macro', 'Segment F1'}
    assert all(0 < value < 100 for value in metrics.values())


def test_collections_hold_their_models_and_readmes():
    collections = {c['Name']: c for c in load_collections()}
    index = load_model_index()
    for name, collection in collections.items():
        members = sorted(m['Name'] for m in collection['Models'])
        assert members == sorted(
            n for n, info in index.items() if info['In Collection'] == name)
    assert collections['CBAD']['README'] == osp.join(
        ROOT, 'configs', 'cbad', 'README.md')
    for collection in collections.values():
        assert osp.isfile(collection['README']), collection['README']


def _write_metafile(root, folder, text):
    path = root / 'configs' / folder / 'metafile.yml'
    path.parent.mkdir(parents=True)
    path.write_text(text)


MODEL = """
  - Name: {name}
    In Collection: {collection}
    Config: configs/{folder}/{name}.py
    Weights: model_zoo/{folder}/{name}.pth
    sha256: '00'
"""


def _metafile(folder, names, collection='C'):
    models = ''.join(MODEL.format(name=n, folder=folder, collection=collection)
                     for n in names)
    return f'Collections:\n  - Name: {folder}\nModels:{models or " []"}\n'


def test_duplicate_names_are_rejected(tmp_path):
    _write_metafile(tmp_path, 'a', _metafile('a', ['x_ped2'], 'a'))
    _write_metafile(tmp_path, 'b', _metafile('b', ['x_ped2'], 'b'))
    with pytest.raises(ValueError, match="'x_ped2' appears twice"):
        load_model_index(str(tmp_path))


def test_unknown_collection_is_rejected(tmp_path):
    _write_metafile(tmp_path, 'a', _metafile('a', ['x_ped2'], 'Other'))
    with pytest.raises(ValueError, match="collection 'Other'"):
        load_model_index(str(tmp_path))


def test_missing_metafiles_say_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match='pip install -e'):
        load_model_index(str(tmp_path))
