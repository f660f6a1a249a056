"""Frame AUC of each score term of a detector on a labelled test split.

For detectors whose predictions carry ``pred_terms_<name>`` (the paper's
model: D, T, R, ...), maps each term's window scores to frames exactly as the
metric does and reports, per term and for the fused score: micro AUC on raw
scores, micro AUC after per-video min-max normalisation, and per-video AUCs.

Example::

    CBAD_DATA_ROOT=../shared/datasets python tools/analysis/term_aucs.py \
        configs/cbad/cbad_ped2_cpu.py model_zoo/cbad/<ckpt>.pth --out terms.json
"""
import argparse
import json
import os.path as osp
import sys
from collections import defaultdict

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from tqdm import tqdm  # noqa: E402

from cbad.evaluation.functional import (clip_to_frame_scores,  # noqa: E402
                                        minmax_normalize_per_video, roc_auc)
from cbad.registry import register_all_modules  # noqa: E402
from cbad.utils.checkpoint import load_checkpoint_strictly  # noqa: E402
from cbad.utils.errors import UserInputError  # noqa: E402
from cbad.utils.cli import add_debug_argument, run_cli  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', help='write the table as JSON here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_debug_argument(parser)
    return parser.parse_args()


def _auc(scores, labels):
    labels = np.asarray(labels)
    if labels.min() == labels.max():
        return float('nan')
    return float(roc_auc(np.asarray(scores), labels))


def main():
    args = parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = cfg.get('work_dir') or '/tmp/cbad_term_aucs'
    runner = Runner.from_cfg(cfg)
    # strictly, as tools/test.py: a checkpoint that does not fit the config
    # is refused, never scored with whatever it left at its initial value
    load_checkpoint_strictly(runner.model, args.checkpoint, args.config)
    model = runner.model
    model.eval()
    reduce = cfg.test_evaluator.get('clip_to_frame', 'mean')
    windows, terms = defaultdict(list), defaultdict(lambda: defaultdict(list))
    labels, lengths = {}, {}
    with torch.no_grad():
        for data in tqdm(runner.test_dataloader, desc='scoring'):
            data = model.data_preprocessor(data, False)
            for sample in model.predict(**data):
                name = sample.video
                idx = np.asarray(sample.frame_indices)  # (W, T) windows
                windows[name].extend(idx)
                lengths[name] = int(sample.num_frames)
                # a short video is one window, still (1, T); a clip-level
                # split gives (T,) per sample and per-clip labels
                if idx.ndim != 2 or 'gt_labels' not in sample:
                    raise UserInputError(
                        'term_aucs needs a labelled test split scored as whole '
                        "videos (test_dataloader.dataset.sample_unit='video').")
                labels[name] = sample.gt_labels.cpu().numpy()  # per frame
                fields = {'A': sample.pred_scores}
                fields.update({k[len('pred_terms_'):]: sample.get(k)
                               for k in sample.keys()
                               if k.startswith('pred_terms_')})
                for key, value in fields.items():
                    value = value.numpy().reshape(len(idx), -1)
                    terms[key][name].extend(
                        np.broadcast_to(value, idx.shape))
    names = sorted(windows)
    y = np.concatenate([labels[n] for n in names])
    table = {}
    for key, per_video in terms.items():
        frames = {n: clip_to_frame_scores(windows[n], per_video[n],
                                          lengths[n], reduce=reduce)
                  for n in names}
        normed = minmax_normalize_per_video(frames)
        table[key] = dict(
            auc_micro=_auc(np.concatenate([frames[n] for n in names]), y),
            auc_micro_vidnorm=_auc(
                np.concatenate([normed[n] for n in names]), y),
            per_video={n: _auc(frames[n], labels[n]) for n in names})
    print(f'{"term":<6}{"auc_micro":>10}{"vidnorm":>10}  per-video AUC')
    for key, row in table.items():
        per_video = ' '.join(f'{v:.2f}' for v in row['per_video'].values())
        print(f'{key:<6}{row["auc_micro"]:>10.4f}'
              f'{row["auc_micro_vidnorm"]:>10.4f}  {per_video}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(table, f, indent=2)


if __name__ == '__main__':
    sys.exit(run_cli(main))
