"""Run a fitted detector on your own footage.

Examples::

    python tools/infer.py clip.mp4 --model convae_ped2 --out-dir out/clip
    python tools/infer.py frames/ --model convae_ped2 --out-dir out/f --fps 10
    python tools/infer.py 0 --model convae_ped2 --out-dir out/cam  # camera 0
    python tools/infer.py videos/ --model convae_ped2 --out-dir out/all
    python tools/infer.py clip.mp4 --config configs/convae/convae_ped2.py \\
        --checkpoint work_dirs/convae_ped2/epoch_25.pth --out-dir out/clip

INPUT is a video file, a folder of frames, a camera index (digits that
name no existing file or folder), a stream URL (``rtsp://...``) or a folder
of videos (one output folder each, plus ``summary.json``). Writes
``scores.csv``, ``events.json``, ``score_curve.png`` and, with
``--save-video``, ``annotated.mp4`` (see docs/get_started.md, "Run a model
on your own footage"). Nothing is written before the input delivered a
frame; then an earlier run's outputs in OUT_DIR move to
``OUT_DIR/previous_run/``.

Exit codes: 0 done; 2 bad input (unreadable file, frames of mixed sizes,
labels that are not one per frame, ...); 3 a live stream dropped for good;
130 interrupted (Ctrl-C); 143 terminated (SIGTERM). On every error the
frames read before it are scored and all outputs are written,
``events.json`` with ``"finished": false`` and the error.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from cbad.apis import (resolve_config_and_checkpoint,  # noqa: E402
                       run_inference)
from cbad.apis.infer import Terminated, sigterm_as_interrupt  # noqa: E402
from cbad.apis.scoring import init_detector  # noqa: E402
from cbad.utils import allow_full_pickle_checkpoints  # noqa: E402
from cbad.utils.cli import add_debug_argument, run_cli  # noqa: E402


def _bounded(kind: type, low: float, strict: bool = False):
    """An argparse type: a ``kind`` >= ``low`` (> ``low`` if strict)."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            what = 'an integer' if kind is int else 'a number'
            raise argparse.ArgumentTypeError(
                f'{text!r} is not {what}') from None
        if not (value > low if strict else value >= low):  # refuses NaN
            raise argparse.ArgumentTypeError(
                f'must be {">" if strict else ">="} {low}, got {text}')
        return value

    return parse


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Score a video, frame folder, camera or stream with a '
        'fitted detector; write scores.csv, events.json, score_curve.png '
        '(and annotated.mp4).')
    parser.add_argument(
        'input', help='video file, folder of frames, camera index (0; '
        'digits that name no existing path), stream URL (rtsp://...), or '
        'a folder of videos')
    model = parser.add_argument_group('model (a zoo name, or both files)')
    model.add_argument('--model', help='model-zoo name, e.g. convae_ped2')
    model.add_argument('--config', help='config file')
    model.add_argument('--checkpoint',
                       help='with --config: checkpoint file (or a zoo name '
                       'for its weights)')
    model.add_argument(
        '--trust-checkpoint', action='store_true',
        help='allow a full unpickle of the checkpoint (runs code; only for '
        'files you trust)')
    parser.add_argument(
        '--out-dir', required=True, help='output folder (an earlier run\'s '
        'outputs in it are moved to OUT_DIR/previous_run/ once this run has '
        'a frame to score)')
    parser.add_argument('--device', default='cpu', help='default: cpu')
    parser.add_argument(
        '--offline', action='store_true',
        help='read the whole input, then score it at once (same scores as '
        'streaming; for comparison). Detectors that cannot stream are '
        'always scored so, with a warning')
    parser.add_argument('--min-duration', type=float, default=0.0,
                        metavar='SEC', help='drop shorter events (default 0)')
    parser.add_argument('--merge-gap', type=float, default=0.0, metavar='SEC',
                        help='merge events at most SEC apart (default 0)')
    parser.add_argument(
        '--labels', metavar='FILE', help='per-frame 0/1 ground truth (.npy, '
        'or text separated by commas, spaces or newlines), one per frame: '
        'shaded in the plot, frame AUC in events.json')
    parser.add_argument(
        '--save-video', action='store_true',
        help='write annotated.mp4: score bar and response map per frame '
        '(the maps are slow: see --no-heatmap)')
    parser.add_argument(
        '--no-heatmap', action='store_true',
        help='annotated.mp4 without response maps. The maps are costly: '
        'one extra reconstruction per frame (Conv-AE, MemAE, FFP) or one '
        'backward pass per window (cbad Grad-CAM), several times slower '
        'than scoring alone')
    parser.add_argument('--fps', type=_bounded(float, 0, strict=True),
                        help="override the input's frame rate, > 0 "
                        '(default: the video\'s own; 25 for frame folders '
                        'and videos that report none)')
    parser.add_argument('--chunk', type=_bounded(int, 1), metavar='N',
                        help='frames per scoring step (default: the '
                        "detector's window stride)")
    parser.add_argument('--status-every', type=float, default=10.0,
                        metavar='SEC', help='live sources: seconds between '
                        'status lines (default 10)')
    parser.add_argument('--reconnect', type=_bounded(int, 0),
                        default=3, metavar='R',
                        help='live sources: reopen attempts after a drop '
                        '(default 3)')
    parser.add_argument(
        '--max-reconnects', type=_bounded(int, 0), metavar='M',
        help='live sources: reconnects allowed over the whole run; the '
        'next drop stops it (default 10 x --reconnect)')
    add_debug_argument(parser)
    args = parser.parse_args()
    if (args.model is None) == (args.config is None):
        parser.error('give --model ZOO_NAME, or --config CONFIG with '
                     '--checkpoint CHECKPOINT')
    if args.config is not None and args.checkpoint is None:
        parser.error('--config needs --checkpoint')
    if args.model is not None and args.checkpoint is not None:
        parser.error('--model takes the zoo checkpoint of that name; to '
                     'load other weights give --config CONFIG --checkpoint '
                     'CHECKPOINT (CHECKPOINT may be a zoo name)')
    return args


def main() -> int:
    args = parse_args()
    if args.trust_checkpoint:
        allow_full_pickle_checkpoints(True)
    try:
        config, checkpoint = resolve_config_and_checkpoint(
            args.model or args.config, None if args.model else args.checkpoint)
    except (KeyError, ValueError, FileNotFoundError) as err:
        print(f'error: {err.args[0]}', file=sys.stderr)
        return 2
    model = init_detector(config, checkpoint, device=args.device)
    try:
        with sigterm_as_interrupt():  # kill / a service manager: as Ctrl-C
            summary = run_inference(
                model, model.cfg, args.input, args.out_dir,
                offline=args.offline,
                min_duration=args.min_duration, merge_gap=args.merge_gap,
                labels=args.labels, save_video=args.save_video,
                heatmap=not args.no_heatmap, fps=args.fps, chunk=args.chunk,
                status_every=args.status_every, reconnect=args.reconnect,
                max_reconnects=args.max_reconnects,
                meta=dict(model=args.model, config=config,
                          checkpoint=checkpoint))
    except KeyboardInterrupt as err:
        sigterm = isinstance(err, Terminated)
        print('interrupted' + (' (SIGTERM)' if sigterm else '') +
              _written(err), file=sys.stderr)
        return 143 if sigterm else 130
    except ConnectionError as err:  # before OSError: it is one
        print(f'error: {err}' + _written(err), file=sys.stderr)
        return 3
    except (ValueError, OSError) as err:  # FileNotFoundError is an OSError
        print(f'error: {err}' + _written(err), file=sys.stderr)
        return 2
    print(format_summary(summary, args.out_dir))
    return 0


def _written(error: BaseException) -> str:
    """Where this run's outputs are, if it wrote any before ``error``
    (run_inference sets ``error.outputs``); never an earlier run's files."""
    path = getattr(error, 'outputs', None)
    if path is None:
        return '\nthis run wrote no output'
    return f'\nwhat was scored is kept: see {path}'


def format_summary(summary: dict, out_dir: str) -> str:
    """What a run found, in a few lines."""
    if 'videos' in summary:
        lines = [f'{len(summary["videos"])} videos -> '
                 f'{osp.join(out_dir, "summary.json")}']
        for name, video in summary['videos'].items():
            lines.append(f'  {name}: {video["frames"]} frames, '
                         f'{video["events"]} events, max score '
                         f'{video["max_score"]:.4g}')
        return '\n'.join(lines)
    lines = [f'{summary["name"]}: {summary["num_frames"]} frames at '
             f'{summary["frames_per_s"]:.1f} frames/s, threshold '
             f'{summary["threshold"]:.4g}, {len(summary["events"])} events']
    if 'frame_auc' in summary:
        lines[0] += f', frame AUC {summary["frame_auc"]:.3f}'
    for event in summary['events']:
        lines.append(f'  frames {event["start_frame"]}-{event["end_frame"]} '
                     f'({event["start_time"]:.2f}-{event["end_time"]:.2f} s)'
                     f': peak {event["peak_score"]:.4g} at frame '
                     f'{event["peak_frame"]}, mean {event["mean_score"]:.4g}')
    lines.append(f'wrote {out_dir}/scores.csv, events.json, score_curve.png'
                 + (f', {osp.basename(summary["video"])}'
                    if summary.get('video') else ''))
    return '\n'.join(lines)


if __name__ == '__main__':
    sys.exit(run_cli(main))
