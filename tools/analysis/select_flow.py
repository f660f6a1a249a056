"""Which optical flow (and foreground rule) for the proposals: the
label-free signal behind the choice in docs/proposals.md.

For each flow method and ``combine`` mode, every proposal region of every
frame gets its motion attributes (speed mean and p90, mean |vx|, mean vy, box
height and width), standardised on the training videos; a frame's score is
the largest mean distance of its regions to their ``k`` nearest training
regions (faiss), 0 for a frame with none. The signal is the frame AUC of the
normal validation videos against the same videos played ``--speeds`` times
faster (every object moves faster): no anomaly label is read. With
``--test-auc`` the labelled test split's AUC is printed beside it, for the
record, never for choosing.

With ``--match-threshold`` it instead calibrates each flow's motion threshold
on the training videos alone: among the pixels the background model marks as
changed, the config's proposer (its flow, flow parameters and
``flow_threshold``) calls a share "moving"; each flow method's threshold is
the speed above which the same share of its own changed pixels lies. A flow
that smooths speeds down (DIS at a coarse finest scale) then keeps the same
foreground area as the reference instead of losing small, slow objects to a
threshold set for another method. With ``--downsample N`` each flow is
computed on the grid shrunk N times again (the proposer's
``flow_downsample``), and ``--flow-params`` overrides the Farneback
candidate's parameters. Prints the thresholds; reads no label.

Example::

    CBAD_DATA_ROOT=../shared/datasets python tools/analysis/select_flow.py \
        configs/cbad/cbad_ped2.py
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

import cv2  # noqa: E402
import faiss  # noqa: E402
import numpy as np  # noqa: E402
from mmengine.config import Config  # noqa: E402
from tqdm import tqdm  # noqa: E402

from cbad.datasets.sources import read_grey  # noqa: E402
from cbad.evaluation.functional import roc_auc  # noqa: E402
from cbad.proposals import (ATTRIBUTE_NAMES, COMBINE_MODES,  # noqa: E402
                            FLOW_METHODS, BackgroundMotionProposer,
                            flow_magnitude, motion_attributes)
from cbad.registry import (DATASETS, PROPOSALS,  # noqa: E402
                           register_all_modules)
from cbad.utils.cli import add_debug_argument, run_cli  # noqa: E402
from cbad.utils.errors import UserInputError  # noqa: E402

COLUMNS = [ATTRIBUTE_NAMES.index(n) for n in (
    'speed_mean', 'speed_p90', 'abs_vx_mean', 'vy_mean', 'box_height',
    'box_width')]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a config whose fit_train_dataloader, '
                        'fit_dataloader (and test_dataloader) name the data')
    parser.add_argument('--flows', nargs='+', default=list(FLOW_METHODS),
                        choices=FLOW_METHODS)
    parser.add_argument('--combines', nargs='+', default=['or', 'and',
                                                           'background'],
                        choices=COMBINE_MODES)
    parser.add_argument('--speeds', nargs='+', type=int, default=[2, 3])
    parser.add_argument('--k', type=int, default=5)
    parser.add_argument('--test-auc', action='store_true',
                        help='also print the test AUC (for the record only)')
    parser.add_argument('--match-threshold', action='store_true',
                        help="print each flow's threshold that keeps the "
                        "config's share of moving changed pixels on the "
                        'training videos (see above), then stop')
    parser.add_argument('--downsample', type=int, default=1,
                        help='with --match-threshold: each flow computed on '
                        "the grid shrunk by this factor (the proposer's "
                        '`flow_downsample`); the reference stays the '
                        "config's proposer (default 1)")
    parser.add_argument('--flow-params', type=json.loads, default=None,
                        metavar='JSON',
                        help="with --match-threshold: Farneback parameters "
                        "overriding the config's for the farneback "
                        'candidate, e.g. \'{"winsize": 7}\' (the reference '
                        "stays the config's)")
    add_debug_argument(parser)
    return parser.parse_args()


def grey_videos(dataset_cfg):
    """Whole grey videos (and their labels, if any) of a dataset config."""
    dataset = DATASETS.build(dict(dataset_cfg, sample_unit='video',
                                  pipeline=[]))
    for idx in range(len(dataset)):
        info = dataset.get_data_info(idx)
        ids = np.asarray(info['frame_indices']) + info.get('frame_offset', 0)
        frames = [read_grey(info['source'], int(i)) for i in ids]
        yield frames, info.get('gt_labels')


def region_rows(frames, **proposer):
    """Per frame, the (K, 6) attributes of its regions."""
    found = BackgroundMotionProposer(**proposer)(frames)
    return [motion_attributes(p)[:, COLUMNS] for p in found]


def changed_speeds(frames, proposer):
    """Flow speeds (input pixels/frame) at the pixels the proposer's
    background model marks as changed, over one video (first frame, which
    has no flow, left out)."""
    proposer.reset()
    speeds = []
    for t, grey in enumerate(frames):
        changed, flow = proposer.motion(grey)
        if t:
            speeds.append(flow_magnitude(flow)[changed])
    return np.concatenate(speeds) if speeds else np.zeros(0, np.float32)


def match_thresholds(proposer_cfg, train, flows, downsample=1,
                     flow_params=None):
    """Per flow method, the threshold keeping the reference proposer's share
    of moving changed pixels on ``train`` (see the module docstring).

    Returns:
        tuple: (the reference proposer, the share of its changed pixels
        that move, the number of changed pixels, ``{flow: threshold}``).
    """
    reference = PROPOSALS.build(dict(proposer_cfg))
    speeds = np.concatenate([changed_speeds(v, reference) for v in tqdm(
        train, desc='reference', leave=False)])
    if speeds.size == 0:
        raise UserInputError('The background model marks no pixel of the '
                             'training videos as changed: nothing to match.')
    share = float((speeds > reference.flow_threshold).mean())
    thresholds = {}
    for flow in flows:
        cfg = dict(proposer_cfg, flow=flow)
        if flow != 'farneback':
            cfg['flow_params'] = None
        elif flow_params:
            cfg['flow_params'] = dict(cfg.get('flow_params') or {},
                                      **flow_params)
        if downsample != 1:
            cfg['flow_downsample'] = downsample
        if cfg == dict(proposer_cfg):  # the reference itself: speeds known
            own = speeds
        else:
            proposer = PROPOSALS.build(cfg)
            own = np.concatenate([changed_speeds(v, proposer) for v in tqdm(
                train, desc=flow, leave=False)])
        thresholds[flow] = float(np.quantile(own, 1 - share))
    return reference, share, speeds.size, thresholds


def frame_scores(per_frame, index, mean, std, k):
    scores = np.zeros(len(per_frame))
    for t, rows in enumerate(per_frame):
        if len(rows):
            dist, _ = index.search(((rows - mean) / std).astype(np.float32), k)
            scores[t] = np.sqrt(np.maximum(dist, 0)).mean(1).max()
    return scores


def main():
    args = parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    cv2.setNumThreads(1)
    train = [f for f, _ in grey_videos(cfg.fit_train_dataloader.dataset)]
    if args.match_threshold:
        reference, share, pixels, thresholds = match_thresholds(
            cfg.model.tubes.proposer, train, args.flows, args.downsample,
            args.flow_params)
        params = (f' {reference.flow.flow_params}'
                  if reference.flow.method == 'farneback' else '')
        print(f'reference: {reference.flow.method}{params} above '
              f'{reference.flow_threshold}: {100 * share:.1f}% of {pixels} '
              'changed training pixels move')
        print(f'{"flow":<15}{"threshold":>10}'
              + (f' (flow_downsample {args.downsample})'
                 if args.downsample != 1 else '')
              + (f' (farneback with {args.flow_params})'
                 if args.flow_params else ''))
        for flow, threshold in thresholds.items():
            print(f'{flow:<15}{threshold:>10.3f}')
        return None
    val = [f for f, _ in grey_videos(cfg.fit_dataloader.dataset)]
    test = (list(grey_videos(cfg.test_dataloader.dataset))
            if args.test_auc else [])
    print(f'{len(train)} training, {len(val)} validation videos; '
          f'pseudo-anomaly: validation played {args.speeds}x faster')
    print(f'{"flow":<15}{"combine":<12}{"pseudo AUC":>11}'
          + (f'{"test AUC":>10}' if args.test_auc else ''))
    for flow in args.flows:
        for combine in args.combines:
            kw = dict(flow=flow, combine=combine)
            bank = np.concatenate([r for v in tqdm(
                train, desc=f'{flow} {combine}', leave=False)
                for r in region_rows(v, **kw)])
            mean, std = bank.mean(0), bank.std(0) + 1e-6
            index = faiss.IndexFlatL2(bank.shape[1])
            index.add(((bank - mean) / std).astype(np.float32))
            normal = np.concatenate([frame_scores(
                region_rows(v, **kw), index, mean, std, args.k) for v in val])
            fast = np.concatenate([frame_scores(
                region_rows(v[::s], **kw), index, mean, std, args.k)
                for v in val for s in args.speeds])
            pseudo = roc_auc(np.r_[normal, fast], np.r_[np.zeros(
                len(normal)), np.ones(len(fast))])
            line = f'{flow:<15}{combine:<12}{100 * pseudo:>11.1f}'
            if args.test_auc:
                scores = np.concatenate([frame_scores(
                    region_rows(v, **kw), index, mean, std, args.k)
                    for v, _ in test])
                labels = np.concatenate([lab for _, lab in test])
                line += f'{100 * roc_auc(scores, labels):>10.1f}'
            print(line, flush=True)


if __name__ == '__main__':
    sys.exit(run_cli(main))
