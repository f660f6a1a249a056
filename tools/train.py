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

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from cbad.registry import register_all_modules  # noqa: E402
from cbad.utils import allow_full_pickle_checkpoints  # noqa: E402
from cbad.utils.cli import add_debug_argument, run_cli  # noqa: E402
from cbad.utils.launch import prepare_cfg  # noqa: E402


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
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. train_cfg.max_epochs=2')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='allow a full unpickle of --resume/load_from checkpoints (runs '
        'code; only for files you trust)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
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
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg = prepare_cfg(cfg, args.config, args.launcher, args.work_dir)
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
