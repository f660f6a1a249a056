"""Label-free choice of the object model's scoring: attributes, weights,
post-processing.

One trained object-centric checkpoint is run once over the training, normal
validation, pseudo-anomalous validation (``pseudo_anomaly_auc``'s object
kinds) and, for the report only, test videos; every tube keeps all
``ATTRIBUTE_NAMES`` and the learned terms (``D``, ``T``, ``R``) of the
checkpoint. Each candidate (attribute set for ``M`` x weight of ``M`` x
causal trailing-mean length) is then refitted from that cache exactly as
``fit_scorers`` / ``fit_normalizers`` would (``M`` on the training tubes,
the quantile normalisers and the empty-window floor on the validation
tubes) and scored on

- the pseudo-anomaly AUC of each kind (``--protocol``: the edited frames
  against all original validation frames, or the unedited and edited
  videos whole as the test protocol counts them; :func:`pseudo_auc`): the
  **selection signal**, and
- the test split's raw and per-video-normalised micro AUC: reported beside
  it, never used to choose.

    python tools/analysis/object_scoring_choices.py \\
        configs/cbad/cbad_ped2.py work_dirs/cbad_ped2/epoch_10.pth \\
        --out results/choices_s0.json

Prints one row per candidate, sorted by the selection signal.
"""
import argparse
import dataclasses
import itertools
import json
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from pseudo_anomaly_auc import SourceVideos, validation_dataset  # noqa: E402
from tqdm import tqdm  # noqa: E402

from cbad.datasets.pseudo_anomalies import (KINDS as OBJECT_KINDS,  # noqa
                                            generate_pseudo_anomalies)
from cbad.evaluation.functional import (minmax_normalize_per_video,  # noqa
                                        roc_auc)
from cbad.postprocessing import TrailingMean  # noqa: E402
from cbad.proposals import ATTRIBUTE_NAMES, TubeExtractor  # noqa: E402
from cbad.registry import (DATASETS, SCORERS,  # noqa: E402
                           register_all_modules)
from cbad.utils.checkpoint import load_checkpoint_strictly  # noqa: E402
from cbad.utils.cli import add_debug_argument, run_cli  # noqa: E402

#: Candidate attribute sets of ``M`` (names from ATTRIBUTE_NAMES).
ATTRIBUTE_SETS = {
    'speed+size': ('speed_mean', 'speed_p90', 'abs_vx_mean', 'vy_mean',
                   'box_height', 'box_width'),
    '+direction': ('speed_mean', 'speed_p90', 'abs_vx_mean', 'vy_mean',
                   'box_height', 'box_width') +
    tuple(f'direction_{k}' for k in range(8)),
    '+position': ('speed_mean', 'speed_p90', 'abs_vx_mean', 'vy_mean',
                  'box_height', 'box_width', 'centre_y', 'centre_x'),
    'all': tuple(ATTRIBUTE_NAMES),
}
#: Candidate weights of ``M``; the learned terms share the rest as
#: ``--learned-ratios`` says (default :data:`LEARNED_RATIO`).
M_WEIGHTS = (1.0, 0.75, 0.5)
#: The learned terms' default shares D:T:R (the paper's full model, M6).
LEARNED_RATIO = '2:1:2'
#: Candidate causal trailing-mean lengths (1: none).
TRAILING = (1, 4, 8, 16)
#: How the pseudo-anomaly AUC counts frames, see :func:`pseudo_auc`.
PROTOCOLS = ('edited-frames', 'whole-videos')


def video_cache(model, extractor: TubeExtractor,
                frames: np.ndarray) -> Dict:
    """Tubes of one grey video with every attribute and the learned terms
    of the checkpoint."""
    video = extractor(frames)
    z = model.embed_tubes(video)
    # the model's own terms; its M reads its attribute columns of the full
    # set and is dropped (each candidate refits its own M)
    own = dataclasses.replace(
        video, attributes=video.attributes[:,
                                           model.extractor.attribute_columns])
    learned = {name: value.numpy()
               for name, value in model.tube_terms(own, z).items()
               if name != 'M'}
    boxes = np.asarray([t.boxes[t.anchor - t.start] for t in video.tubes],
                       np.float32).reshape(-1, 4)
    return dict(video=dataclasses.replace(video, crops=None),
                attributes=video.attributes, terms=learned, boxes=boxes)


def frame_scores(model, record: Dict, fused: np.ndarray,
                 floor: float) -> np.ndarray:
    """(L,) the model's frame scores: each frame takes its own window's
    largest tube score (the floor for a window without tubes), as
    ``predict`` makes them."""
    video = record['video']
    values = model._window_max(torch.from_numpy(fused), video, floor)
    return model.frame_values(values.numpy(), video.windows,
                              video.num_frames)


def pseudo_auc(normal: Sequence[np.ndarray],
               edited: Sequence[Tuple[np.ndarray, np.ndarray]],
               protocol: str = 'edited-frames') -> float:
    """AUC of pseudo-anomalous frames against normal ones.

    Args:
        normal (Sequence[np.ndarray]): Frame scores of each unedited normal
            validation video.
        edited (Sequence[tuple]): ``(scores, labels)`` of each edited video,
            labels 1 on the frames that show the edit.
        protocol (str): ``'edited-frames'``: the edited frames against every
            frame of the unedited videos (the frames of an edited video
            outside its edit are left out). ``'whole-videos'``: the test
            protocol on a pseudo test set, micro AUC over the unedited and
            the edited videos whole, an edited video's frames outside its
            edit counting as normal; so a step that carries a score forward
            in time (a trailing mean) pays for its tail after an edit and
            its lag at the edit's start. Defaults to ``'edited-frames'``.

    Returns:
        float: The AUC.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f'protocol must be one of {PROTOCOLS}, got '
                         f'{protocol!r}.')
    if protocol == 'edited-frames':
        edited = [(s[labels.astype(bool)], np.ones(int(labels.sum())))
                  for s, labels in edited]
    scores = np.concatenate(list(normal) + [s for s, _ in edited])
    labels = np.concatenate([np.zeros(s.size) for s in normal] +
                            [np.asarray(y, float) for _, y in edited])
    return float(roc_auc(scores, labels))


def parse_ratio(text: str) -> Dict[str, float]:
    """``'D:T:R'`` shares of the learned terms (e.g. ``'2:1:0'``, the
    paper's M4) -> weights summing to 1."""
    try:
        parts = [float(v) for v in text.split(':')]
    except ValueError:
        parts = []
    if len(parts) != 3 or min(parts) < 0 or sum(parts) <= 0:
        raise ValueError(f'A learned ratio is D:T:R, three non-negative '
                         f'numbers not all zero (e.g. 2:1:2), got {text!r}.')
    return {name: v / sum(parts) for name, v in zip('DTR', parts)}


def evaluate(model, cache: Dict, attributes: Sequence[str], m_weight: float,
             trailing: int, k: int = 5,
             protocol: str = 'edited-frames',
             learned_ratio: str = LEARNED_RATIO) -> Dict:
    """Refit ``M`` (``k`` neighbours) and the fusion from the cache, score
    every split; the pseudo-anomaly AUCs under ``protocol`` (see
    :func:`pseudo_auc`). The learned terms share ``1 - m_weight`` as
    ``learned_ratio`` (D:T:R) says."""
    columns = [ATTRIBUTE_NAMES.index(a) for a in attributes]
    m = SCORERS.build(dict(type='MotionAttributeScorer', k=k))
    m.fit(np.concatenate([r['attributes'][:, columns]
                          for r in cache['train']]))
    learned = parse_ratio(learned_ratio)
    weights = dict(M=m_weight, **{k: v * (1 - m_weight)
                                  for k, v in learned.items()})
    fusion = SCORERS.build(dict(type='WeightedScoreFusion', weights=weights))

    def terms_of(record):
        terms = {k: torch.from_numpy(v) for k, v in record['terms'].items()}
        terms['M'] = (m(torch.from_numpy(record['attributes'][:, columns]))
                      if len(record['attributes']) else torch.zeros(0))
        return {k: v for k, v in terms.items() if weights.get(k, 0) > 0}

    val_terms = [terms_of(r) for r in cache['val']]
    fusion.fit({k: torch.cat([t[k] for t in val_terms])
                for k in val_terms[0]})
    floor = float(fusion({k: torch.cat([t[k] for t in val_terms])
                          for k in val_terms[0]}).min())
    smoother = TrailingMean(length=trailing)

    def scores(record):
        terms = terms_of(record)
        fused = (fusion(terms).numpy() if len(record['attributes']) else
                 np.zeros(0))
        return smoother(frame_scores(model, record, fused, floor))

    normal = [scores(r) for r in cache['val']]
    result = dict(attributes=list(attributes), m_weight=m_weight,
                  trailing=trailing, k=k, protocol=protocol,
                  learned_ratio=learned_ratio, pseudo={})
    for kind in cache['pseudo_kinds']:
        edited = [(scores(r), r['labels']) for r in cache['pseudo']
                  if r['kind'] == kind]
        if edited:
            result['pseudo'][kind] = pseudo_auc(normal, edited, protocol)
    test = [scores(r) for r in cache['test']]
    labels = np.concatenate([r['labels'] for r in cache['test']])
    result['test_auc_micro'] = float(roc_auc(np.concatenate(test), labels))
    result['test_auc_micro_vidnorm'] = float(roc_auc(
        np.concatenate(minmax_normalize_per_video(test)), labels))
    return result


def build_cache(model, cfg: Config, kinds: Sequence[str], seed: int,
                repeats: int, options: Optional[Dict[str, dict]] = None
                ) -> Dict:
    tubes = dict(cfg.model.tubes)
    tubes['attributes'] = tuple(ATTRIBUTE_NAMES)
    extractor = TubeExtractor(clip_len=model.clip_len, stride=model.stride,
                              **tubes)
    train_cfg = cfg.fit_train_dataloader.dataset.copy()
    train_cfg.update(sample_unit='video',
                     pipeline=cfg.test_dataloader.dataset.pipeline)
    splits = dict(train=SourceVideos(DATASETS.build(train_cfg)),
                  val=SourceVideos(validation_dataset(cfg)),
                  test=SourceVideos(DATASETS.build(
                      cfg.test_dataloader.dataset)))
    cache: Dict = dict(pseudo_kinds=list(kinds), pseudo=[])
    with torch.no_grad():
        for split, videos in splits.items():
            cache[split] = []
            for i in tqdm(range(len(videos)), desc=split):
                _, frames = videos[i]
                record = video_cache(model, extractor, frames)
                if split == 'test':
                    record['labels'] = np.asarray(
                        videos.dataset.get_data_info(i)['gt_labels'])
                cache[split].append(record)
        for name, kind, frames, labels in tqdm(
                generate_pseudo_anomalies(splits['val'], kinds, seed,
                                          repeats=repeats, options=options),
                desc='pseudo-anomalies'):
            record = video_cache(model, extractor, frames)
            record.update(kind=kind, labels=labels)
            cache['pseudo'].append(record)
    return cache


def _ratio_argument(text: str) -> str:
    try:
        parse_ratio(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', help='a trained (fitted) checkpoint')
    parser.add_argument('--kinds', nargs='+', default=list(OBJECT_KINDS),
                        choices=OBJECT_KINDS)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--repeats', type=int, default=4)
    parser.add_argument('--select', default='object_faster',
                        help='pseudo-anomaly kind whose AUC ranks the '
                        "candidates ('mean' for the mean over the kinds)")
    parser.add_argument(
        '--options', type=json.loads, default=None,
        help='keyword arguments per kind as JSON, e.g. '
        '\'{"object_faster": {"speed": 2}}\' for a harder signal')
    parser.add_argument('--m-weights', type=float, nargs='+',
                        default=list(M_WEIGHTS),
                        help=f'weights of M to try (default {M_WEIGHTS}; 0: '
                        'the learned terms alone)')
    parser.add_argument('--trailing', type=int, nargs='+',
                        default=list(TRAILING),
                        help=f'trailing-mean lengths to try (default '
                        f'{TRAILING}; 1: none)')
    parser.add_argument('--k', type=int, nargs='+', default=[5],
                        help="M's neighbours to try (default 5)")
    parser.add_argument(
        '--learned-ratios', nargs='+', default=[LEARNED_RATIO],
        type=_ratio_argument,
        help='D:T:R shares of the learned terms to try (default '
        f'{LEARNED_RATIO}, the full model; the paper\'s M3 / M4 / M5 are '
        '1:0:0 / 2:1:0 / 1:0:1)')
    parser.add_argument('--attribute-sets', nargs='+',
                        default=list(ATTRIBUTE_SETS), choices=ATTRIBUTE_SETS,
                        help='attribute sets of M to try (default: all)')
    parser.add_argument(
        '--protocol', default='edited-frames', choices=PROTOCOLS,
        help="frames the pseudo-anomaly AUC counts: 'edited-frames' (the "
        "edited frames against the unedited videos; the default) or "
        "'whole-videos' (every frame of the edited videos too, as the test "
        'protocol counts them)')
    parser.add_argument('--out', help='write every row as JSON here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_debug_argument(parser)
    return parser.parse_args(argv)


def signal(row: Dict, select: str) -> float:
    if select == 'mean':
        return float(np.mean(list(row['pseudo'].values())))
    return row['pseudo'][select]


def main(argv=None) -> None:
    args = parse_args(argv)
    run(args)


def run(args: argparse.Namespace) -> List[Dict]:
    """Every candidate's row, best selection signal first."""
    register_all_modules()
    torch.set_num_threads(2)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = cfg.get('work_dir', '/tmp/cbad_object_choices')
    cfg.model.setdefault('init_cfg', None)
    model = Runner.from_cfg(cfg).model
    load_checkpoint_strictly(model, args.checkpoint, args.config)
    model.eval()
    cache = build_cache(model, cfg, args.kinds, args.seed, args.repeats,
                        args.options)
    grid = list(itertools.product(args.attribute_sets, args.m_weights,
                                  args.trailing, args.k, args.learned_ratios))
    rows = [evaluate(model, cache, ATTRIBUTE_SETS[a], w, n, k,
                     args.protocol, r) for a, w, n, k, r in grid]
    for row, (name, _, _, _, _) in zip(rows, grid):
        row['attribute_set'] = name
    rows.sort(key=lambda r: -signal(r, args.select))
    kinds = list(rows[0]['pseudo'])
    print(f'{"attributes":<12}{"w_M":>5}{"trail":>6}{"k":>4}{"D:T:R":>8} ' +
          ' '.join(f'{k[:14]:>14}' for k in kinds) +
          f'{"test raw":>10}{"vidnorm":>9}')
    for row in rows:
        print(f'{row["attribute_set"]:<12}{row["m_weight"]:>5.2f}'
              f'{row["trailing"]:>6}{row["k"]:>4}{row["learned_ratio"]:>8} ' +
              ' '.join(f'{row["pseudo"][k]:>14.4f}' for k in kinds) +
              f'{row["test_auc_micro"]:>10.4f}'
              f'{row["test_auc_micro_vidnorm"]:>9.4f}')
    print(f'selected by {args.select}: {rows[0]["attribute_set"]}, '
          f'w_M={rows[0]["m_weight"]}, trailing={rows[0]["trailing"]}, '
          f'k={rows[0]["k"]}, D:T:R={rows[0]["learned_ratio"]}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(select=args.select, options=args.options,
                           protocol=args.protocol, rows=rows), f, indent=2)
    return rows


if __name__ == '__main__':
    sys.exit(run_cli(main))
