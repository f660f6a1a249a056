"""Re-fit a trained detector's scorers and threshold on normal data.

Use it after changing anything that is fitted rather than trained: the
scorer's reduction, the thresholder (e.g. the MAD factor), the score
weights. The network weights are kept; the fitted buffers are recomputed on
the config's normal training/validation splits (never on test data).

Example::

    CBAD_DATA_ROOT=../shared/datasets python tools/fit.py \
        configs/convae/convae_ped2_patchmax.py work_dirs/convae_ped2/epoch_25.pth \
        --out work_dirs/convae_ped2/epoch_25_patchmax.pth
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import torch  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from cbad.engine.hooks import FitDetectorHook  # noqa: E402
from cbad.registry import register_all_modules  # noqa: E402
from cbad.utils import allow_full_pickle_checkpoints  # noqa: E402
from cbad.utils.checkpoint import load_checkpoint_file  # noqa: E402
from cbad.utils.errors import UserInputError  # noqa: E402
from cbad.utils.cli import (add_config_arguments,  # noqa: E402
                            add_debug_argument, run_cli)
from cbad.utils.launch import load_cfg  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Re-fit a detector')
    parser.add_argument('config', help='config whose fitting to apply')
    parser.add_argument(
        'checkpoint',
        help="trained checkpoint, or 'none' to fit a freshly initialised "
        "network (the config's seed), a baseline for what training adds")
    parser.add_argument('--out', required=True,
                        help='where to write the re-fitted checkpoint')
    parser.add_argument('--work-dir', help='where logs go')
    add_config_arguments(parser, 'fit_dataloader.batch_size=2', 'the checkpoint')
    add_debug_argument(parser)
    return parser.parse_args()


def load_network_weights(model, checkpoint: str) -> None:
    """Load a training or zoo checkpoint's network weights into ``model``,
    every one of them (a missing or mis-shaped weight is refused), and none
    of its fitted state (threshold, scorers, normalisers: fitted anew here,
    so a network may be re-fitted with another config's scorers)."""
    state = load_checkpoint_file(checkpoint, map_location='cpu')
    state = state.get('state_dict', state)
    fitted = tuple(f'{name}.' for name, module in model.named_modules()
                   if name and hasattr(module, 'is_fitted'))

    def is_fitted_state(key: str) -> bool:
        return (key.startswith(fitted) or key.startswith('threshold')
                or key == 'empty_window_score')

    own = model.state_dict()
    missing = [k for k in own if k not in state and not is_fitted_state(k)
               and not model.may_be_missing(k)]
    misshaped = [k for k in own if k in state and not is_fitted_state(k)
                 and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or misshaped:
        raise UserInputError(
            f'{checkpoint} does not fit this config\'s network: '
            f'{len(missing)} weights missing (e.g. {missing[:3]}), '
            f'{len(misshaped)} of another shape (e.g. {misshaped[:3]}).')
    model.load_state_dict({k: v for k, v in state.items()
                           if k in own and not is_fitted_state(k)},
                          strict=False)


def main() -> None:
    args = parse_args()
    register_all_modules()
    if args.trust_checkpoint:
        allow_full_pickle_checkpoints(True)
    cfg = load_cfg(args.config, args.cfg_options, 'none',
                   args.work_dir)
    cfg.load_from = None
    runner = Runner.from_cfg(cfg)
    if args.checkpoint != 'none':
        load_network_weights(runner.model, args.checkpoint)
    FitDetectorHook().fit(runner)
    model = runner.model
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    torch.save(
        dict(state_dict=model.state_dict(),
             meta=dict(config=osp.splitext(osp.basename(args.config))[0],
                       refitted_from=osp.basename(args.checkpoint))),
        args.out)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    sys.exit(run_cli(main))
