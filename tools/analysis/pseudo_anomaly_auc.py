"""A label-free validation signal: can the detector tell sped-up normals?

Plays each normal validation video (the split carved from the training
videos, the one the threshold is fitted on) at its own speed and ``s`` times
faster (every ``s``-th frame), scores both with the fitted detector exactly
as ``tools/test.py`` would (:func:`cbad.apis.score_offline`), and reports the
frame-level AUC of "sped-up" against "original". The same scene and people
with faster motion is what most Ped2/Avenue anomalies look like (bicycles,
carts, running), and it needs no anomaly labels, so it can compare
checkpoints, epochs or variants without touching the test labels.

Caveats: it measures sensitivity to one kind of anomaly only, and a model
trained with sped-up clips as negatives (``cbad_ped2_cpu_speedneg.py``) has
been optimised for it.

Example::

    CBAD_DATA_ROOT=../shared/datasets python tools/analysis/pseudo_anomaly_auc.py \
        configs/cbad/cbad_ped2_cpu.py model_zoo/cbad/cbad_ped2_cpu_20261128-d62e5b08.pth
"""
import argparse
import json
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402

from cbad.apis.inference import (init_detector, score_offline,  # noqa: E402
                                 window_geometry)
from cbad.evaluation.functional import roc_auc  # noqa: E402
from cbad.registry import DATASETS  # noqa: E402
from cbad.utils import (allow_full_pickle_checkpoints,  # noqa: E402
                        register_all_modules)
from cbad.utils.cli import add_debug_argument, run_cli  # noqa: E402


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


def validation_videos(model: torch.nn.Module,
                      cfg: Config) -> List[torch.Tensor]:
    """The normal validation split as whole normalised videos."""
    dataset_cfg = cfg.fit_dataloader.dataset.copy()
    dataset_cfg.update(sample_unit='video',
                       pipeline=cfg.test_dataloader.dataset.pipeline)
    dataset = DATASETS.build(dataset_cfg)
    videos = []
    with torch.no_grad():
        for i in range(len(dataset)):
            data = model.data_preprocessor(
                dict(inputs=[dataset[i]['inputs']]), False)
            videos.append(data['inputs'][0])
    return videos


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', help='a fitted checkpoint')
    parser.add_argument('--speeds', type=int, nargs='+', default=[2, 3])
    parser.add_argument(
        '--box', type=float, nargs=4, metavar=('TOP', 'LEFT', 'H', 'W'),
        help='speed up only this region (fractions of the frame), e.g. '
        '0.5 0.375 0.4 0.25; default: the whole frame')
    parser.add_argument('--out', help='write the numbers as JSON here')
    parser.add_argument('--trust-checkpoint', action='store_true')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv=None) -> Dict:
    args = parse_args(argv)
    register_all_modules()
    if args.trust_checkpoint:
        allow_full_pickle_checkpoints(True)
    model = init_detector(args.config, args.checkpoint,
                          cfg_options=args.cfg_options)
    cfg = model.cfg
    if not model.is_fitted:
        raise SystemExit(f'{args.checkpoint} holds no fitted state: fit it '
                         'first (tools/fit.py).')
    videos = validation_videos(model, cfg)
    result = speed_up_auc(model, videos, window_geometry(model, cfg),
                          args.speeds, args.box)
    result.update(config=args.config, checkpoint=args.checkpoint,
                  num_videos=len(videos), box=args.box)
    print(json.dumps(result, indent=2))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    sys.exit(run_cli(main))
