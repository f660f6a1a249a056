"""The layout of configs/ that docs/config_guide.md promises.

Two inheritance levels: a config inherits ``_base_`` files only (a headline
recipe) or one headline of its own folder (a variant). And the knobs that
must agree do: the model's windows, the loaders' clips and the metric's
segments; the widths the parts of a model hand each other; the frames a
pipeline loads (grey or colour) and the channels the model takes; the
dataset every loader of a config reads.
"""
import ast
import glob
import os.path as osp

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_DIR = osp.join(ROOT, 'configs')
BASE_DIR = osp.join(CONFIG_DIR, '_base_')
ALL = sorted(glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True))
BASES = [p for p in ALL if p.startswith(BASE_DIR + osp.sep)]
CONFIGS = [p for p in ALL if p not in BASES]
LOADERS = ('train_dataloader', 'fit_dataloader', 'fit_train_dataloader',
           'test_dataloader')


def _rel(path):
    return osp.relpath(path, CONFIG_DIR)


def _parents(path):
    """The files ``path`` lists in ``_base_``, as absolute paths."""
    tree = ast.parse(open(path).read())
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], 'id', None) == '_base_'):
            bases = ast.literal_eval(node.value)
            bases = [bases] if isinstance(bases, str) else bases
            return [
                osp.normpath(osp.join(osp.dirname(path), b)) for b in bases
            ]
    return []


def _is_base(path):
    return path.startswith(BASE_DIR + osp.sep)


@pytest.mark.parametrize('path', BASES, ids=_rel)
def test_bases_are_flat(path):
    """A ``_base_`` file inherits nothing, except that a dataset base may be
    another dataset base on other videos (avenue.py is ped2.py's loaders on
    the Avenue videos)."""
    parents = _parents(path)
    if not parents:
        return
    assert osp.basename(osp.dirname(path)) == 'datasets', _rel(path)
    assert len(parents) == 1, _rel(path)
    parent = parents[0]
    assert osp.dirname(parent) == osp.dirname(path), _rel(parent)
    assert _parents(parent) == [], f'{_rel(parent)} must be flat'


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_two_inheritance_levels(path):
    parents = _parents(path)
    assert parents, f'{_rel(path)} inherits nothing'
    for parent in parents:
        assert osp.exists(parent), (_rel(path), parent)
    if all(_is_base(p) for p in parents):
        return  # a headline recipe: _base_ files only
    assert len(parents) == 1, (
        f'{_rel(path)}: a variant inherits its headline alone')
    headline = parents[0]
    assert osp.dirname(headline) == osp.dirname(path), _rel(headline)
    assert all(_is_base(p) for p in _parents(headline)), (
        f'{_rel(path)} -> {_rel(headline)} -> a third config level; '
        'inherit the headline recipe directly')


def _data(loader):
    """The dataset a loader reads (the videos a TubeDataset cuts)."""
    dataset = loader['dataset']
    return dataset['dataset'] if dataset['type'] == 'TubeDataset' else dataset


def _to_gray(loader):
    return [
        t.get('to_gray', False) for t in loader['dataset'].get('pipeline', [])
        if t['type'] == 'LoadClipFrames'
    ]


def _input_channels(model):
    encoder = model.get('encoder') or {}
    for part in (encoder.get('spatial'), encoder, model.get('generator')):
        if isinstance(part, dict) and 'in_channels' in part:
            return part['in_channels']
    return None


@pytest.fixture(scope='module')
def configs():
    return {path: Config.fromfile(path).to_dict() for path in CONFIGS}


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_every_loader_reads_the_same_dataset(configs, path):
    cfg = configs[path]
    loaders = {k: _data(cfg[k]) for k in LOADERS if k in cfg}
    train = loaders['train_dataloader']
    for key, data in loaders.items():
        for name in ('type', 'data_root', 'seed'):
            assert data.get(name) == train.get(name), (key, name)
        if key != 'test_dataloader':
            assert data['val_ratio'] == train['val_ratio'], key
    assert loaders['train_dataloader']['split'] == 'train'
    assert loaders['fit_dataloader']['split'] == 'val'
    assert loaders['test_dataloader']['split'] == 'test'
    if 'fit_train_dataloader' in loaders:
        assert loaders['fit_train_dataloader']['split'] == 'train'


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_windows_clips_and_segments_agree(configs, path):
    cfg = configs[path]
    model, metric = cfg['model'], cfg['test_evaluator']
    clips = {k: _data(cfg[k]) for k in LOADERS if k in cfg}
    clips = {k: d for k, d in clips.items() if 'clip_len' in d}
    if 'clip_len' in model:  # a detector that scores windows itself
        t, stride = model['clip_len'], model['stride']
        assert (metric['segment_len'], metric['segment_stride']) == (t,
                                                                     stride)
        speed = model.get('speed_negative')
        for key, data in clips.items():
            expected = t
            if key == 'train_dataloader' and speed:
                # anchor + its sped-up copy: the loaded clip is longer
                assert speed['clip_len'] == t
                expected = t * max(speed['speeds'])
            assert data['clip_len'] == expected, key
            assert data['stride'] == stride, key
    encoder = model.get('encoder') or {}
    if 'in_frames' in encoder:  # Conv-AE: a clip's frames are channels
        # the decoder's out_frames follow in_frames (ReconstructionDetector)
        assert model['decoder'].get('out_frames', encoder['in_frames']) == \
            encoder['in_frames']
        for key, data in clips.items():
            assert data['clip_len'] == encoder['in_frames'], key
    generator = model.get('generator') or {}
    if 'in_frames' in generator:  # FFP: in_frames past + 1 predicted
        for key, data in clips.items():
            assert data['clip_len'] == generator['in_frames'] + 1, key


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_widths_agree(configs, path):
    model = configs[path]['model']
    encoder = model.get('encoder') or {}
    if 'channels' in encoder:  # MemAE, Conv-AE: the encoder sets them
        # feat_dim and the decoder's channels follow it (cbad.models.dims):
        # a config that gives one anyway must give the same
        if 'memory' in model:
            assert model['memory'].get(
                'feat_dim', encoder['channels'][-1]) == encoder['channels'][-1]
        assert tuple(model['decoder'].get('channels', encoder['channels'])
                     ) == tuple(encoder['channels'])
    if 'spatial' in encoder:  # the contrastive detectors
        dim = encoder['spatial']['out_dim']
        temporal = encoder.get('temporal')
        if temporal is not None:
            for key in ('in_channels', 'channels', 'out_dim'):
                assert temporal[key] == encoder['spatial'][key], key
        # the later widths follow out_dim (cbad.models.dims): a config
        # that gives one anyway must give the same
        assert encoder['fusion'].get('dim', dim) == dim
        assert model['aggregator'].get('dim', dim) == dim
        assert model['head'].get('in_dim', dim) == dim
        if model.get('prototype_loss') is not None:
            assert model['prototype_loss'].get('dim', dim) == dim
            groups = _data(configs[path]['train_dataloader']).get(
                'motion_groups')
            if groups is not None:
                assert groups['num_groups'] == model['prototype_loss'][
                    'num_groups']


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_frames_match_the_input_channels(configs, path):
    cfg = configs[path]
    channels = _input_channels(cfg['model'])
    if channels is None:
        return
    for key in LOADERS:
        if key in cfg:
            for gray in _to_gray(cfg[key]):
                assert gray == (channels == 1), (key, channels)
