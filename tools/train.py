"""Train a cbad detector from a config (mmaction2-style entry point).

Example::

    python tools/train.py configs/convae/convae_ped2.py
    CBAD_DATA_ROOT=../shared/datasets python tools/train.py \
        configs/convae/convae_ped2.py --work-dir work_dirs/convae_ped2
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.runner import Runner  # noqa: E402

from cbad.registry import register_all_modules  # noqa: E402
from cbad.utils import allow_full_pickle_checkpoints  # noqa: E402
from cbad.utils.cli import (add_config_arguments,  # noqa: E402
                            add_debug_argument, run_cli)
from cbad.utils.launch import load_cfg  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a cbad detector')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or from the latest one in '
        'the work dir when no path is given')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_config_arguments(parser, 'train_cfg.max_epochs=2', '--resume/load_from checkpoints')
    add_debug_argument(parser)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main() -> None:
    args = parse_args()
    register_all_modules()
    if args.trust_checkpoint:
        allow_full_pickle_checkpoints(True)
    cfg = load_cfg(args.config, args.cfg_options, args.launcher,
                   args.work_dir)
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    sys.exit(run_cli(main))
