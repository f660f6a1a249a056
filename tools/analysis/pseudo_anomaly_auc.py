"""A label-free validation signal: can the detector tell pseudo-anomalies?

Kind ``speed`` (the default) plays each normal validation video (the split
carved from the training videos, the one the threshold is fitted on) at its
own speed and ``s`` times faster (every ``s``-th frame; only inside
``--box`` if given), scores both with the fitted detector exactly as
``tools/test.py`` would (:func:`cbad.apis.score_offline`), and reports the
frame-level AUC of "sped-up" against "original". The same scene and people
with faster motion is what most Ped2/Avenue anomalies look like (bicycles,
carts, running), and it needs no anomaly labels, so it can compare
checkpoints, epochs or variants without touching the test labels.

The object-level kinds (``--kinds object_faster object_pasted_reversed
object_stopped``, :mod:`cbad.datasets.pseudo_anomalies`) edit one moving
object of each validation video at its source resolution (one object played
faster, an object from the next validation video pasted in backwards, an
object frozen; ``--repeats`` edits per video and kind), then run the
config's test pipeline on the edited frames and score them the same way. A
kind's AUC ranks the edited frames (those the edit shows in) against all
original validation frames; ``auc_objects`` pools the object kinds.

Caveats: each kind measures sensitivity to one kind of anomaly only, and a
model trained with sped-up clips as negatives (``cbad_ped2_cpu_speedneg.py``)
has been optimised for ``speed``.

Example::

    CBAD_DATA_ROOT=../shared/datasets \
    python tools/analysis/pseudo_anomaly_auc.py configs/cbad/cbad_ped2_cpu.py \
        model_zoo/cbad/cbad_ped2_cpu_20261128-d62e5b08.pth \
        --kinds speed object_faster object_pasted_reversed object_stopped \
        --seed 0 --out pseudo_aucs.json
"""
import argparse
import json
import os.path as osp
import sys
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402

from cbad.apis.scoring import (init_detector, score_offline,  # noqa: E402
                                 window_geometry)
from cbad.datasets.pseudo_anomalies import (  # noqa: E402
    KINDS as OBJECT_KINDS, generate_pseudo_anomalies)
from cbad.datasets.transforms import LoadClipFrames  # noqa: E402
from cbad.evaluation.functional import roc_auc  # noqa: E402
from cbad.registry import DATASETS, register_all_modules  # noqa: E402
from cbad.utils import allow_full_pickle_checkpoints  # noqa: E402
from cbad.utils.cli import add_debug_argument, run_cli  # noqa: E402
from cbad.utils.errors import UserInputError  # noqa: E402

#: Kinds ``--kinds`` accepts: the whole-frame/box speed-up, then objects.
KINDS = ('speed', ) + OBJECT_KINDS


def sped_up(video: torch.Tensor, speed: int,
            box: Optional[Sequence[float]] = None) -> torch.Tensor:
    """``video`` (C, L, H, W) played ``speed`` times faster: everywhere
    (``box`` None), or only inside ``box`` = (top, left, height, width) as
    fractions of the frame, the rest of the frame at normal speed (a local
    speed-up, like one fast object among walkers). Length ``ceil(L/speed)``.
    """
    fast = video[:, ::speed]
    if box is None:
        return fast
    _, length, h, w = fast.shape
    top, left = int(box[0] * video.shape[2]), int(box[1] * video.shape[3])
    bottom = top + max(1, int(box[2] * video.shape[2]))
    right = left + max(1, int(box[3] * video.shape[3]))
    out = video[:, :length].clone()
    out[:, :, top:bottom, left:right] = fast[:, :, top:bottom, left:right]
    return out


def speed_up_auc(model: torch.nn.Module, videos: Sequence[torch.Tensor],
                 geometry: Dict, speeds: Sequence[int] = (2, 3),
                 box: Optional[Sequence[float]] = None) -> Dict:
    """AUC of sped-up against original frames, per speed and pooled.

    Args:
        model: A fitted detector in eval mode.
        videos (list[Tensor]): Normal videos, (C, L, H, W) normalised.
        geometry (dict): From :func:`cbad.apis.window_geometry`.
        speeds (Sequence[int]): Speed-up factors (>= 2).
        box (Sequence[float], optional): Speed up only this region, see
            :func:`sped_up`. Defaults to None (the whole frame).

    Returns:
        dict: ``auc_x{s}`` per speed and ``auc`` over all of them (frame
        level, micro), plus ``num_frames``.
    """
    if not videos:
        raise ValueError('no validation videos to speed up.')
    original = np.concatenate(
        [score_offline(model, video, geometry) for video in videos])
    result, pooled = {'num_frames': int(original.size)}, [original]
    for speed in speeds:
        if int(speed) < 2:
            raise ValueError(f'speeds must be >= 2, got {speed}.')
        fast = np.concatenate([
            score_offline(model, sped_up(video, int(speed), box), geometry)
            for video in videos])
        pooled.append(fast)
        labels = np.r_[np.zeros(original.size), np.ones(fast.size)]
        result[f'auc_x{speed}'] = float(
            roc_auc(np.r_[original, fast], labels))
    labels = np.r_[np.zeros(original.size),
                   np.ones(sum(p.size for p in pooled[1:]))]
    result['auc'] = float(roc_auc(np.concatenate(pooled), labels))
    return result


def validation_dataset(cfg: Config):
    """The normal validation split, one sample per video, test pipeline."""
    dataset_cfg = cfg.fit_dataloader.dataset.copy()
    dataset_cfg.update(sample_unit='video',
                       pipeline=cfg.test_dataloader.dataset.pipeline)
    return DATASETS.build(dataset_cfg)


def validation_videos(model: torch.nn.Module,
                      cfg: Config) -> List[torch.Tensor]:
    """The normal validation split as whole normalised videos."""
    dataset = validation_dataset(cfg)
    videos = []
    with torch.no_grad():
        for i in range(len(dataset)):
            data = model.data_preprocessor(
                dict(inputs=[dataset[i]['inputs']]), False)
            videos.append(data['inputs'][0])
    return videos


class SourceVideos:
    """The validation videos as decoded frames, read on ``[i]``.

    The first transform of the dataset's pipeline (``LoadClipFrames``) reads
    them, so they come at source resolution, grey or BGR as the config
    says; :meth:`to_inputs` runs the rest of the pipeline and the model's
    data preprocessor on (edited) frames, as ``dataset[i]`` would.

    Shape:
        - ``[i]``: ``(name, frames)``, frames (L, H, W) uint8 for a grey
          pipeline, (L, H, W, C) otherwise.
    """

    def __init__(self, dataset) -> None:
        transforms = list(dataset.pipeline.transforms)
        if not transforms or not isinstance(transforms[0], LoadClipFrames):
            raise ValueError(
                'object-level pseudo-anomalies edit decoded frames, so the '
                "test pipeline must start with LoadClipFrames; found "
                f'{transforms[:1]}. Use --kinds speed with this config.')
        self.dataset = dataset
        self.load, self.rest = transforms[0], transforms[1:]

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Tuple[str, np.ndarray]:
        info = self.dataset.get_data_info(index)
        imgs = self.load(info)['imgs']  # T x H x W x C
        return info['video'], imgs[..., 0] if imgs.shape[-1] == 1 else imgs

    def to_inputs(self, model: torch.nn.Module, index: int,
                  frames: np.ndarray) -> torch.Tensor:
        """Frames of video ``index`` -> (C, L, H, W) normalised model input."""
        results = self.dataset.get_data_info(index)
        results.update(
            imgs=frames[..., None] if frames.ndim == 3 else frames,
            ori_shape=frames.shape[1:3], img_shape=frames.shape[1:3])
        for transform in self.rest:
            results = transform(results)
        with torch.no_grad():
            data = model.data_preprocessor(dict(inputs=[results['inputs']]),
                                           False)
        return data['inputs'][0]


def pseudo_anomaly_videos(
        cfg: Config, kinds: Sequence[str] = OBJECT_KINDS, seed: int = 0,
        repeats: int = 1, options: Optional[Dict[str, dict]] = None
) -> Iterator[Tuple[str, str, np.ndarray, np.ndarray]]:
    """Object-level pseudo-anomalies of a config's normal validation videos.

    Yields:
        tuple: ``(name, kind, frames, frame_labels)``, frames at source
        resolution (see :class:`SourceVideos`), labels (L,) uint8; see
        :func:`cbad.datasets.pseudo_anomalies.generate_pseudo_anomalies`.
    """
    yield from generate_pseudo_anomalies(
        SourceVideos(validation_dataset(cfg)), kinds, seed, options=options,
        repeats=repeats)


def object_auc(model: torch.nn.Module, cfg: Config, geometry: Dict,
               kinds: Sequence[str] = OBJECT_KINDS, seed: int = 0,
               repeats: int = 1,
               options: Optional[Dict[str, dict]] = None) -> Dict:
    """AUC of each object-level kind's edited frames against all original
    normal validation frames, scored as :func:`speed_up_auc` does.

    Args:
        model: A fitted detector in eval mode.
        cfg (Config): Its config (the validation split and test pipeline).
        geometry (dict): From :func:`cbad.apis.window_geometry`.
        kinds (Sequence[str]): Object-level kinds. Defaults to all.
        seed (int): Seed of the edits. Defaults to 0.
        repeats (int): Edits per video and kind. Defaults to 1.
        options (dict, optional): Keyword arguments per kind. Defaults to
            None.

    Returns:
        dict: Per kind (under ``kinds``) ``auc`` (None when nothing could be
        edited), ``num_frames`` (edited frames: only the frames an edit
        shows count as positives) and ``edits`` (per video; 0 means no
        usable moving object); ``auc_objects`` pooled over the kinds;
        ``num_normal_frames``, ``num_videos``.
    """
    videos = SourceVideos(validation_dataset(cfg))
    if not len(videos):
        raise ValueError('no validation videos to edit.')
    index, original = {}, []
    for i in range(len(videos)):
        name, frames = videos[i]
        index[name] = i
        original.append(score_offline(
            model, videos.to_inputs(model, i, frames), geometry))
    original = np.concatenate(original)
    edited = {kind: [] for kind in kinds}
    edits = {kind: dict.fromkeys(index, 0) for kind in kinds}
    for name, kind, frames, labels in generate_pseudo_anomalies(
            videos, kinds, seed, options=options, repeats=repeats):
        scores = score_offline(
            model, videos.to_inputs(model, index[name], frames), geometry)
        edited[kind].append(scores[labels.astype(bool)])
        edits[kind][name] += 1
    result = dict(num_normal_frames=int(original.size),
                  num_videos=len(videos), kinds={})
    for kind in kinds:
        result['kinds'][kind] = dict(
            auc=_auc(original, edited[kind]),
            num_frames=int(sum(s.size for s in edited[kind])),
            edits=edits[kind])
    result['auc_objects'] = _auc(original, sum(edited.values(), []))
    return result


def _auc(negatives: np.ndarray, positives: List[np.ndarray]):
    if not positives:
        return None
    positives = np.concatenate(positives)
    labels = np.r_[np.zeros(negatives.size), np.ones(positives.size)]
    return float(roc_auc(np.r_[negatives, positives], labels))


def format_table(result: Dict) -> str:
    """Per-kind AUC table of :func:`main`'s result, as text."""
    lines = [f'{"kind":<24} {"AUC":>5}  {"edited frames":>13}  '
             f'{"edits":>5}  {"videos skipped":>14}']
    for kind, row in result['kinds'].items():
        auc = 'n/a' if row['auc'] is None else f'{100 * row["auc"]:.1f}'
        edits = row.get('edits')
        count, skipped = (('-', '-') if edits is None else
                          (sum(edits.values()),
                           sum(n == 0 for n in edits.values())))
        lines.append(f'{kind:<24} {auc:>5}  {row["num_frames"]:>13}  '
                     f'{count:>5}  {skipped:>14}')
    return '\n'.join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', help='a fitted checkpoint')
    parser.add_argument('--speeds', type=int, nargs='+', default=[2, 3])
    parser.add_argument(
        '--box', type=float, nargs=4, metavar=('TOP', 'LEFT', 'H', 'W'),
        help='speed up only this region (fractions of the frame), e.g. '
        '0.5 0.375 0.4 0.25; default: the whole frame')
    parser.add_argument(
        '--kinds', nargs='+', default=['speed'], choices=KINDS,
        help='pseudo-anomalies to score: speed (whole frame or --box, the '
        'default) and/or object-level kinds')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the object-level edits')
    parser.add_argument(
        '--repeats', type=int, default=4,
        help='object-level edits per validation video and kind, each '
        'scored on its own (more edits, a steadier AUC)')
    parser.add_argument('--out', help='write the numbers as JSON here')
    parser.add_argument('--trust-checkpoint', action='store_true')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_debug_argument(parser)
    return parser.parse_args(argv)


def run(argv=None) -> Dict:
    """The tool: parse ``argv``, print and return the numbers."""
    args = parse_args(argv)
    if args.repeats < 1:
        raise UserInputError(f'--repeats must be >= 1, got {args.repeats}.')
    register_all_modules()
    if args.trust_checkpoint:
        allow_full_pickle_checkpoints(True)
    model = init_detector(args.config, args.checkpoint,
                          cfg_options=args.cfg_options)
    cfg = model.cfg
    if not model.is_fitted:
        raise SystemExit(f'{args.checkpoint} holds no fitted state: fit it '
                         'first (tools/fit.py).')
    geometry = window_geometry(model, cfg)
    result = dict(kinds={})
    if 'speed' in args.kinds:
        videos = validation_videos(model, cfg)
        result.update(speed_up_auc(model, videos, geometry, args.speeds,
                                   args.box))
        result.update(num_videos=len(videos))
        result['kinds']['speed'] = {
            k: v for k, v in result.items() if k.startswith('auc')}
        result['kinds']['speed']['num_frames'] = result['num_frames']
    objects = [kind for kind in args.kinds if kind in OBJECT_KINDS]
    if objects:
        found = object_auc(model, cfg, geometry, objects, args.seed,
                           args.repeats)
        result['kinds'].update(found.pop('kinds'))
        result.update(found)
    result.update(config=args.config, checkpoint=args.checkpoint,
                  box=args.box, seed=args.seed, repeats=args.repeats)
    if args.kinds != ['speed']:
        print(format_table(result))
    print(json.dumps(result, indent=2))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
    return result


def main(argv=None) -> None:
    # run_cli takes main's return value as the exit status.
    run(argv)


if __name__ == '__main__':
    sys.exit(run_cli(main))
