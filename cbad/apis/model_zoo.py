"""The model zoo: published checkpoints, described by the metafiles.

Each method folder has a ``configs/<method>/metafile.yml`` (OpenMMLab schema): a
``Collections`` entry (paper, architecture, README, evaluation protocol) and
one ``Models`` entry per published checkpoint (``Name`` = config basename,
``Method`` = its label in the zoo table,
``Config``, ``Weights``, ``sha256``, ``size_bytes``, ``Metadata``, ``Results``,
``Published``). Paths in a metafile are relative to the repository root, the
folder that holds the ``cbad`` package, so the zoo needs a source checkout
(``pip install -e .``); nothing here downloads anything.

Example::

    >>> from cbad.apis import get_model, list_models
    >>> list_models('convae*')
    ['convae_ped2', 'convae_ped2_patchmax']
    >>> model = get_model('convae_ped2')  # built, weights loaded, eval mode
    >>> model.is_fitted
    True
"""
import copy
import fnmatch
import glob
import os.path as osp
import re
from typing import Any, Dict, List, Optional, Tuple

import yaml
from torch import nn

import cbad
from cbad.apis.scoring import init_detector
from cbad.utils.registry_hint import nearest_names
from cbad.utils.report import file_sha256

METAFILE_PATTERN = osp.join('configs', '*', 'metafile.yml')
# Entries whose value is a repository-relative path, made absolute on loading.
_PATH_KEYS = ('Config', 'Weights', 'README')
_MODEL_KEYS = ('Name', 'In Collection', 'Config', 'Weights', 'sha256')
# A zoo name is a config basename; anything else given to a tool is a path.
_NAME = re.compile(r'\w+')


def repo_root() -> str:
    """The folder that holds the ``cbad`` package, ``configs/`` and
    ``model_zoo/`` (the parent of the package directory)."""
    return osp.dirname(osp.dirname(osp.abspath(cbad.__file__)))


def _absolute(entry: Dict[str, Any], root: str) -> None:
    for key in _PATH_KEYS:
        if key in entry:
            entry[key] = osp.normpath(osp.join(root, entry[key]))


def _merge(collection: Dict[str, Any], model: Dict[str, Any],
           metafile: str) -> Dict[str, Any]:
    """A model entry with its collection's metadata, protocol, paper and
    README filled in; the model's own values win."""
    info = copy.deepcopy(model)
    for key in ('Metadata', 'Protocol'):
        info[key] = {**collection.get(key, {}), **model.get(key, {})}
    for key in ('Paper', 'README'):
        if key in collection:
            info.setdefault(key, copy.deepcopy(collection[key]))
    info['Metafile'] = metafile
    return info


def load_collections(root: Optional[str] = None) -> List[Dict[str, Any]]:
    """Every collection of every metafile, with its models merged in.

    Args:
        root (str, optional): The repository root. Defaults to
            :func:`repo_root`.

    Returns:
        list[dict]: One dict per collection, in metafile order (sorted by
        folder), with absolute paths, ``Metafile`` and ``Models``: the
        collection's models, each merged with the collection (see
        :func:`get_model_info`).

    Raises:
        FileNotFoundError: If ``root`` has no metafiles.
        ValueError: If a model lacks a required key or names a collection
            its metafile does not define.
    """
    root = root or repo_root()
    metafiles = sorted(glob.glob(osp.join(root, METAFILE_PATTERN)))
    if not metafiles:
        raise FileNotFoundError(
            f'No model-zoo metafiles ({METAFILE_PATTERN}) under {root}. The '
            'model zoo needs a source checkout of cbad installed with '
            '`pip install -e .`, so that configs/ and model_zoo/ sit next '
            'to the cbad package.')
    collections = []
    for metafile in metafiles:
        with open(metafile) as f:
            meta = yaml.safe_load(f) or {}
        by_name = {}
        for collection in meta.get('Collections') or []:
            collection = dict(collection, Metafile=metafile, Models=[])
            _absolute(collection, root)
            by_name[collection['Name']] = collection
            collections.append(collection)
        for model in meta.get('Models') or []:
            missing = [key for key in _MODEL_KEYS if key not in model]
            if missing:
                raise ValueError(f'{metafile}: model {model.get("Name")!r} '
                                 f'lacks {", ".join(missing)}.')
            if model['In Collection'] not in by_name:
                raise ValueError(
                    f'{metafile}: model {model["Name"]!r} is in collection '
                    f'{model["In Collection"]!r}, which the file does not '
                    f'define (it has: {", ".join(by_name) or "none"}).')
            collection = by_name[model['In Collection']]
            info = _merge(collection, model, metafile)
            _absolute(info, root)
            collection['Models'].append(info)
    return collections


def load_model_index(root: Optional[str] = None) -> Dict[str, Dict[str, Any]]:
    """Every published model by name (see :func:`load_collections`).

    Raises:
        ValueError: If two metafile entries share a name.
    """
    index = {}
    for collection in load_collections(root):
        for info in collection['Models']:
            name = info['Name']
            if name in index:
                raise ValueError(
                    f'Model name {name!r} appears twice: in '
                    f'{index[name]["Metafile"]} and {info["Metafile"]}. '
                    'Names are config basenames and must be unique.')
            index[name] = info
    return index


def list_models(pattern: Optional[str] = None) -> List[str]:
    """Names of the published models, sorted.

    Args:
        pattern (str, optional): A shell-style pattern (``'convae*'``) the
            names must match. Defaults to None (all).
    """
    names = sorted(load_model_index())
    return names if pattern is None else fnmatch.filter(names, pattern)


def get_model_info(name: str) -> Dict[str, Any]:
    """The metafile entry of one model, merged with its collection.

    Args:
        name (str): A name from :func:`list_models`.

    Returns:
        dict: The model's metafile keys (``Name``, ``In Collection``,
        ``Config``, ``Weights``, ``sha256``, ``size_bytes``, ``Metadata``,
        ``Results``, ``Published`` ...), plus the collection's ``Paper``,
        ``README``, ``Metadata`` (model values win) and ``Protocol``, and
        ``Metafile``. ``Config``, ``Weights``, ``README`` and ``Metafile``
        are absolute paths.

    Raises:
        KeyError: If no model has that name; the message lists the nearest.
    """
    index = load_model_index()
    if name not in index:
        close = nearest_names(name, index)
        hint = (f'Nearest names: {", ".join(close)} (all: '
                'cbad.apis.list_models()).' if close else
                f'Known names: {", ".join(sorted(index))}.')
        raise KeyError(f'{name!r} is not in the model zoo '
                       f'({METAFILE_PATTERN}). {hint}')
    return index[name]


def verify_weights(info: Dict[str, Any]) -> None:
    """Check that a model's weights file exists and has its recorded sha256.

    Args:
        info (dict): The model's entry (:func:`get_model_info`).

    Raises:
        FileNotFoundError: If the file is missing.
        ValueError: If its sha256 differs from the metafile's.
    """
    path, expected = info['Weights'], info['sha256']
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path}, the weights of {info["Name"]} in {info["Metafile"]}, '
            'does not exist: restore it from the repository (git checkout '
            '-- model_zoo) or correct `Weights` in the metafile.')
    actual = file_sha256(path)
    if actual != expected:
        raise ValueError(
            f'{path} has sha256 {actual}, but {info["Metafile"]} records '
            f'{expected} for {info["Name"]}: the file was changed or '
            'replaced. Restore it from the repository; if you published a '
            'new checkpoint, update `Weights`, `sha256` and `size_bytes` in '
            'the metafile.')


def get_model(name: str,
              pretrained: bool = True,
              device: str = 'cpu',
              cfg_options: Optional[Dict[str, Any]] = None) -> nn.Module:
    """Build a model-zoo detector, with its published weights by default.

    Args:
        name (str): A name from :func:`list_models`, e.g. ``'convae_ped2'``.
        pretrained (bool): Load the published checkpoint (weights and fitted
            state: threshold, memory banks, ...) after checking its sha256.
            Without it the detector is freshly initialised and unfitted.
            Defaults to True.
        device (str): Where to put the model. Defaults to ``'cpu'``.
        cfg_options (dict, optional): Overrides merged into the config before
            building, as ``--cfg-options`` of the tools
            (``{'model.thresholder.lam': 2.5}``). Defaults to None.

    Returns:
        nn.Module: The detector, in eval mode, on ``device``.

    Raises:
        KeyError: If ``name`` is not in the zoo.
        FileNotFoundError, ValueError: If the weights file is missing or its
            sha256 differs from the metafile's.
        RuntimeError: If the weights do not fit the built model (e.g. after
            ``cfg_options`` changed the architecture).
    """
    info = get_model_info(name)
    if pretrained:
        verify_weights(info)
    return init_detector(info['Config'],
                         info['Weights'] if pretrained else None,
                         device=device, cfg_options=cfg_options)


def _zoo_entry(arg: str) -> Optional[Dict[str, Any]]:
    """The zoo entry a tool argument names, or None when it is a path.

    An existing file, or anything that does not look like a name (it has a
    ``/`` or a ``.``), is a path, so missing paths keep their own error.

    Raises:
        KeyError: If ``arg`` looks like a name but is not in the zoo.
    """
    if osp.isfile(arg) or not _NAME.fullmatch(arg):
        return None
    try:
        return get_model_info(arg)
    except KeyError as err:
        raise KeyError(f'{arg!r} is not a file. {err.args[0]}') from None


def resolve_checkpoint(arg: str) -> str:
    """A checkpoint argument as a path: ``arg`` itself when it is a path,
    else the verified weights of the zoo model named ``arg``.

    Raises:
        KeyError: If ``arg`` is neither a file nor a zoo name.
        FileNotFoundError, ValueError: See :func:`verify_weights`.
    """
    info = _zoo_entry(arg)
    if info is None:
        return arg
    verify_weights(info)
    return info['Weights']


def resolve_config_and_checkpoint(
        config: str, checkpoint: Optional[str] = None) -> Tuple[str, str]:
    """The ``CONFIG [CHECKPOINT]`` arguments of ``tools/test.py`` as paths.

    Files are returned unchanged. ``CHECKPOINT`` may be a zoo name (its
    weights); ``CONFIG`` may be a zoo name (its config), and then
    ``CHECKPOINT`` may be omitted (its weights).

    Args:
        config (str): A config file or a zoo name.
        checkpoint (str, optional): A checkpoint file or a zoo name.

    Returns:
        tuple[str, str]: The config path and the checkpoint path.

    Raises:
        ValueError: If ``checkpoint`` is omitted and ``config`` is not a zoo
            name.
        KeyError: If an argument is neither a file nor a zoo name.
        FileNotFoundError: See :func:`verify_weights`.
    """
    info = _zoo_entry(config)
    if info is None and checkpoint is None:
        raise ValueError(
            f'No checkpoint given for {config}: pass a checkpoint file or a '
            'model-zoo name after the config, or a model-zoo name alone '
            '(e.g. convae_ped2) for its config and weights.')
    config_path = config if info is None else info['Config']
    return config_path, resolve_checkpoint(checkpoint or config)
