"""Turn a training checkpoint into a small weights-only model-zoo file.

Example::

    python tools/publish_model.py configs/convae/convae_ped2.py \
        work_dirs/convae_ped2/epoch_20.pth

writes ``model_zoo/convae/convae_ped2_<YYYYMMDD>-<sha8>.pth`` (the OpenMMLab
naming convention). The file holds only the state dict (with the fitted
scorer buffers) and plain-typed meta, so ``torch.load(..., weights_only=True)``
reads it without any allowlist.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from cbad.utils import allow_full_pickle_checkpoints  # noqa: E402
from cbad.utils.cli import add_debug_argument, run_cli  # noqa: E402
from cbad.apis.publish import publish_checkpoint  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Publish a checkpoint')
    parser.add_argument('config', help='config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='training checkpoint (work_dirs)')
    parser.add_argument(
        '--out-root', default='model_zoo', help='model zoo folder')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='allow a full unpickle of the input checkpoint (runs code; only '
        'for files you trust); the output is weights-only either way')
    parser.add_argument(
        '--date', help='YYYYMMDD to put in the name (default: today)')
    add_debug_argument(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.trust_checkpoint:
        allow_full_pickle_checkpoints(True)
    path = publish_checkpoint(args.config, args.checkpoint, args.out_root,
                              date=args.date)
    print(f'published {path} ({os.path.getsize(path) / 2**20:.2f} MiB)')


if __name__ == '__main__':
    sys.exit(run_cli(main))
