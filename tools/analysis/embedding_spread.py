"""How spread out a detector's normal embeddings are, and where test ones lie.

For detectors that embed whole videos (``ContrastiveDetector``): mean
pairwise cosine of the normal training windows, their mean cosine to the
normal centre, and the test windows' mean cosine to that centre. A value
near 1
everywhere means a collapsed embedding (a narrow cone); test windows much
further from the centre than the training windows mean the embedding encodes
something that differs between training and test videos (on Ped2, where most
test frames are abnormal, read it with the per-term AUCs).

Example::

    CBAD_DATA_ROOT=../shared/datasets python tools/analysis/embedding_spread.py \
        configs/cbad/cbad_ped2_cpu.py work_dirs/cbad_ped2_cpu/epoch_16.pth
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from cbad.engine import FitDetectorHook, fitting_features  # noqa: E402
from cbad.registry import register_all_modules  # noqa: E402
from cbad.utils.checkpoint import load_checkpoint_strictly  # noqa: E402
from cbad.utils.cli import add_debug_argument, run_cli  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', help="checkpoint, or 'none'")
    add_debug_argument(parser)
    args = parser.parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    cfg.work_dir = cfg.get('work_dir') or '/tmp/cbad_embedding_spread'
    runner = Runner.from_cfg(cfg)
    if args.checkpoint != 'none':
        load_checkpoint_strictly(runner.model, args.checkpoint, args.config)
    model = runner.model.eval()
    train = torch.cat(fitting_features(
        model, FitDetectorHook._whole_split_loader(cfg.fit_train_dataloader)))
    test, labels = [], []
    with torch.no_grad():
        for data in FitDetectorHook._whole_split_loader(cfg.test_dataloader):
            data = model.data_preprocessor(data, False)
            for frames, sample in zip(data['inputs'], data['data_samples']):
                z, windows = model.embed_video(frames)
                test.append(z.reshape(len(windows), -1, z.shape[-1]))
                if 'gt_labels' in sample:  # window label: majority rule
                    y = sample.gt_labels.cpu().numpy()[windows]
                    labels.append(torch.as_tensor(y.mean(1) > 0.5))
    test = torch.cat(test)
    train, test = train.flatten(0, -2), test.mean(dim=1)
    n = len(train)
    pairwise = ((train @ train.T).sum() - n) / (n * n - n)
    centre = torch.nn.functional.normalize(train.mean(dim=0), dim=0)
    print(f'normal training windows: {n}, mean pairwise cosine '
          f'{pairwise:.3f}, mean cosine to their centre '
          f'{(train @ centre).mean():.3f}')
    print(f'test windows: {len(test)}, mean cosine to the training centre '
          f'{(test @ centre).mean():.3f}')
    if labels:
        abnormal = torch.cat(labels).to(test.device)
        for name, mask in (('normal', ~abnormal), ('abnormal', abnormal)):
            if mask.any():
                print(f'  {name} test windows: {int(mask.sum())}, mean cosine '
                      f'to the training centre {(test[mask] @ centre).mean():.3f}')


if __name__ == '__main__':
    sys.exit(run_cli(main))
