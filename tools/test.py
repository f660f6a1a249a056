"""Test a cbad checkpoint under the evaluation protocol.

Example::

    CBAD_DATA_ROOT=../shared/datasets python tools/test.py \
        configs/convae/convae_ped2.py model_zoo/convae/<ckpt>.pth --out-dir X

``CHECKPOINT`` may be a model-zoo name (``convae_ped2``: its published
weights), and a zoo name alone stands for its config and weights
(``python tools/test.py convae_ped2 --out-dir X``).

``--out-dir`` writes ``X/frame_scores.csv`` (video,frame,score,label) and
``X/metrics.json`` (numbers, protocol flags, config name, checkpoint sha256).

The checkpoint must fit the config's model exactly (only training-only
submodules such as FFP's discriminator may be absent) and hold the fitted
threshold/scorers; otherwise nothing is tested and the tool exits with
status 1. ``--fit-if-missing`` fits a checkpoint without them on the
config's normal training/validation data first (``metrics.json`` then says
``"fitted_at_test": true``); ``tools/fit.py`` writes a fitted copy instead.
``X`` is created and checked before any data or model is loaded; if
``frame_scores.csv`` cannot be written, ``metrics.json`` still is (the error
under ``output_errors``) and the tool exits with status 1.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from cbad.apis import resolve_config_and_checkpoint  # noqa: E402
from cbad.apis.scoring import init_detector  # noqa: E402
from cbad.registry import DATASETS, register_all_modules  # noqa: E402
from cbad.utils import allow_full_pickle_checkpoints  # noqa: E402
from cbad.utils.checkpoint import CheckpointMismatchError  # noqa: E402
from cbad.utils.cli import (add_config_arguments,  # noqa: E402
                            add_debug_argument, run_cli)
from cbad.utils.launch import load_cfg  # noqa: E402
from cbad.utils.report import (file_sha256, format_metrics,  # noqa: E402
                               prepare_out_dir)


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
        '--fit-if-missing',
        action='store_true',
        help='fit the threshold/scorers of a checkpoint that lacks them on '
        "the config's normal training/validation data before testing "
        '(default: refuse it; tools/fit.py writes a fitted copy)')
    parser.add_argument(
        '--check-frames',
        action='store_true',
        help='decode every test frame before loading the model, so a '
        'corrupt frame fails at once with every bad file named (default: '
        'it fails when scoring reaches it)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_config_arguments(parser, 'test_dataloader.batch_size=8', 'the checkpoint')
    add_debug_argument(parser)
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


def _check_checkpoint(cfg: Config, config: str, checkpoint: str,
                      fit_if_missing: bool) -> bool:
    """Refuse a checkpoint that does not fit the config's model, or that is
    not fitted unless ``fit_if_missing``; returns whether it is fitted.

    mmengine's runner loads ``load_from`` with ``strict=False``, so the
    checkpoint is first loaded strictly into a model of its own.
    """
    try:
        fitted = init_detector(cfg, checkpoint).is_fitted
    except CheckpointMismatchError as err:
        raise SystemExit(f'error: {err}') from None
    if fitted:
        return True
    if not fit_if_missing:
        raise SystemExit(
            f'error: {checkpoint} has no fitted threshold/scorers (an epoch '
            'before the last, or saved before fitting), so it was not '
            f'tested. Fit it with `tools/fit.py {config} {checkpoint} --out '
            'FITTED.pth` and test FITTED.pth, or pass --fit-if-missing to '
            "fit it now on this config's normal training/validation data.")
    hooks = list(cfg.get('custom_hooks') or [])
    fit_hooks = [h for h in hooks if h.get('type') == 'FitDetectorHook']
    if not fit_hooks:
        fit_hooks = [dict(type='FitDetectorHook')]
        hooks += fit_hooks
    for hook in fit_hooks:
        hook['fit_at_test_if_missing'] = True
    cfg.custom_hooks = hooks
    return False


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
    if args.out_dir is not None:  # before any data or model is loaded
        try:
            prepare_out_dir(args.out_dir)
        except OSError as err:
            raise SystemExit(f'--out-dir: {err}') from None
    cfg = load_cfg(config, args.cfg_options, args.launcher,
                   args.work_dir)
    cfg.load_from = checkpoint
    cfg.resume = False
    if args.check_frames:  # before the model is even built
        DATASETS.build(
            dict(cfg.test_dataloader.dataset, check_frames=True, pipeline=[]))
    fitted = _check_checkpoint(cfg, config, checkpoint, args.fit_if_missing)
    evaluator = cfg.test_evaluator
    evaluator['extra_meta'] = dict(
        config=osp.splitext(osp.basename(config))[0],
        config_path=_repo_relative(config),
        checkpoint=osp.basename(checkpoint),
        checkpoint_sha256=file_sha256(checkpoint),
        fitted_at_test=not fitted)
    if args.out_dir is not None:
        evaluator['out_dir'] = args.out_dir
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    if runner.rank == 0:
        print(format_metrics(metrics, title=osp.basename(config)))
        failed = [error for metric in runner.test_loop.evaluator.metrics
                  for error in getattr(metric, 'output_errors', [])]
        if failed:  # metrics.json was written, these errors in it
            raise SystemExit('error: could not write ' + '; '.join(failed)
                             + '\n(the metrics above are in metrics.json, '
                             'with this error under "output_errors")')
        if args.out_dir is not None:
            print(f'wrote {osp.join(args.out_dir, "frame_scores.csv")} and '
                  f'{osp.join(args.out_dir, "metrics.json")}')


if __name__ == '__main__':
    sys.exit(run_cli(main))
