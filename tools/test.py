"""Test a cbad checkpoint under the evaluation protocol.

Example::

    CBAD_DATA_ROOT=../shared/datasets python tools/test.py \
        configs/convae/convae_ped2.py model_zoo/convae/<ckpt>.pth --out-dir X

``CHECKPOINT`` may be a model-zoo name (``convae_ped2``: its published
weights), and a zoo name alone stands for its config and weights
(``python tools/test.py convae_ped2 --out-dir X``).

``--out-dir`` writes ``X/frame_scores.csv`` (video,frame,score,label) and
``X/metrics.json`` (numbers, protocol flags, config name, checkpoint sha256).
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from cbad.apis import resolve_config_and_checkpoint  # noqa: E402
from cbad.utils import (allow_full_pickle_checkpoints,  # noqa: E402
                        register_all_modules)
from cbad.utils.launch import prepare_cfg  # noqa: E402
from cbad.utils.registry_hint import with_name_hint  # noqa: E402
from cbad.utils.report import file_sha256, format_metrics  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a cbad detector')
    parser.add_argument(
        'config', help='test config file path, or a model-zoo name')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help='checkpoint file or model-zoo name (default: the weights of '
        'the zoo model named by CONFIG)')
    parser.add_argument(
        '--out-dir', help='write frame_scores.csv and metrics.json here')
    parser.add_argument('--work-dir', help='where logs go')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='allow a full unpickle of the checkpoint (runs code; only for '
        'files you trust)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. test_dataloader.batch_size=8')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def _repo_relative(path: str) -> str:
    """``path`` relative to the repository when it lies inside it (zoo
    names resolve to absolute paths), so metrics.json names no machine."""
    root = osp.dirname(osp.dirname(osp.abspath(__file__)))
    full = osp.abspath(path)
    return osp.relpath(full, root) if full.startswith(root + os.sep) else path


def main() -> None:
    args = parse_args()
    register_all_modules()
    if args.trust_checkpoint:
        allow_full_pickle_checkpoints(True)
    try:
        config, checkpoint = resolve_config_and_checkpoint(
            args.config, args.checkpoint)
    except (KeyError, ValueError, FileNotFoundError) as err:
        raise SystemExit(err.args[0]) from None
    if (config, checkpoint) != (args.config, args.checkpoint):
        print(f'model zoo: config {config}\n'
              f'           checkpoint {checkpoint}')
    if not osp.isfile(checkpoint):
        raise SystemExit(f'Checkpoint not found: {checkpoint}')
    cfg = Config.fromfile(config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg = prepare_cfg(cfg, config, args.launcher, args.work_dir)
    cfg.load_from = checkpoint
    cfg.resume = False
    evaluator = cfg.test_evaluator
    evaluator['extra_meta'] = dict(
        config=osp.splitext(osp.basename(config))[0],
        config_path=_repo_relative(config),
        checkpoint=osp.basename(checkpoint),
        checkpoint_sha256=file_sha256(checkpoint))
    if args.out_dir is not None:
        evaluator['out_dir'] = args.out_dir
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    if runner.rank == 0:
        print(format_metrics(metrics, title=osp.basename(config)))
        if args.out_dir is not None:
            print(f'wrote {osp.join(args.out_dir, "frame_scores.csv")} and '
                  f'{osp.join(args.out_dir, "metrics.json")}')


if __name__ == '__main__':
    with with_name_hint():
        main()
