"""Frames/s of the object-centric front end beside plain JPEG decoding.

For each optical-flow method, decodes the same frames and runs the causal
proposals (background model + flow -> boxes) and their motion attributes,
one core, and prints frames/s of decode alone and of decode + proposals +
attributes in the same run, with the ratio. With ``--model CONFIG
CHECKPOINT`` it times the whole detector instead (decode + ``predict`` of
each video: proposals, tubes, encoder, scorers), torch on ``--threads``
threads. A benchmark, not a test: the numbers depend on the machine and on
what else runs on it.

Example::

    CBAD_DATA_ROOT=../shared/datasets python \
        tools/analysis/benchmark_proposals.py --limit 600
    CBAD_DATA_ROOT=../shared/datasets python \
        tools/analysis/benchmark_proposals.py --model cbad_ped2 \
        --processes 2

``--model`` takes a config and a checkpoint, or a model-zoo name. With
``--processes N`` the videos are spread over N worker processes (one video
each at a time; decode is timed the same way).
"""
import argparse
import glob
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

import cv2  # noqa: E402

from cbad.datasets.sources import IMAGE_EXTENSIONS, natural_key  # noqa: E402
from cbad.proposals import (FLOW_METHODS,  # noqa: E402
                            BackgroundMotionProposer, motion_attributes)
from cbad.utils.cli import add_debug_argument, run_cli  # noqa: E402
from cbad.utils.errors import UserInputError  # noqa: E402

def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.environ.get('CBAD_DATA_ROOT', 'data')
    parser.add_argument(
        'frames_root',
        nargs='?',
        default=osp.join(root, 'ped2', 'testing', 'frames'),
        help='a folder of video folders of frames (default: Ped2 test '
        'frames under $CBAD_DATA_ROOT)')
    parser.add_argument('--methods', nargs='+', default=list(FLOW_METHODS),
                        choices=FLOW_METHODS)
    parser.add_argument('--scale', type=float, default=0.5,
                        help='flow/background grid scale (default 0.5)')
    parser.add_argument('--background', default='running_median',
                        choices=['running_median', 'mog2'])
    parser.add_argument('--limit', type=int, default=None,
                        help='use at most this many frames')
    parser.add_argument('--model', nargs='+', metavar='MODEL',
                        help='CONFIG CHECKPOINT, or a model-zoo name: time '
                        'this detector end to end instead')
    parser.add_argument('--threads', type=int, default=2,
                        help='torch threads with --model, shared by the '
                        'processes (default 2)')
    parser.add_argument('--processes', type=int, default=1,
                        help='with --model: score this many videos at once '
                        'in worker processes, as one would score hours of '
                        'footage on N cores (default 1)')
    add_debug_argument(parser)
    return parser.parse_args()


def list_videos(frames_root, limit):
    if not osp.isdir(frames_root):
        raise UserInputError(
            f'No frame folder at {frames_root}: pass a folder of video '
            'folders, or set CBAD_DATA_ROOT to the folder holding ped2/.')
    videos, total = [], 0
    for folder in sorted(glob.glob(osp.join(frames_root, '*')),
                         key=natural_key):
        files = sorted((f for f in glob.glob(osp.join(folder, '*'))
                        if f.lower().endswith(IMAGE_EXTENSIONS)),
                       key=natural_key)
        if limit is not None:
            files = files[:max(0, limit - total)]
        if files:
            videos.append(files)
            total += len(files)
    if not total:
        raise UserInputError(f'No image frames under {frames_root}/*/.')
    return videos, total


def decode(files):
    """Grey frames, decoded straight to grey in both columns (tools/test.py's
    pipeline decodes colour and converts, slightly slower than this)."""
    return [cv2.imread(f, cv2.IMREAD_GRAYSCALE) for f in files]


_MODEL = None  # the detector of a worker process (set by _start_worker)


def _start_worker(config, checkpoint, threads):
    global _MODEL
    import torch
    from cbad.apis import init_detector
    torch.set_num_threads(threads)
    cv2.setNumThreads(1)
    _MODEL = init_detector(config, checkpoint, device='cpu')


def _decode_video(files):
    decode(files)
    return len(files)


def _score_video(files):
    """Decode one video and score it with the worker's detector."""
    import numpy as np
    import torch
    from cbad.structures import ClipDataSample
    frames = torch.from_numpy(np.stack(decode(files)))[None]
    data = _MODEL.data_preprocessor(
        dict(inputs=[frames], data_samples=[ClipDataSample()]), False)
    _MODEL.predict(**data)
    return len(files)


def _frames_per_second(fn, videos, total, processes, initargs):
    """Frames/s of ``fn`` over every video: in this process, or spread over
    ``processes`` worker processes (one video at a time each, longest first
    so that no process runs alone at the end), set up before the clock."""
    import multiprocessing
    if processes == 1:
        if _MODEL is None:
            _start_worker(*initargs)
        start = time.perf_counter()
        done = sum(fn(files) for files in videos)
    else:
        context = multiprocessing.get_context('spawn')
        with context.Pool(processes, _start_worker, initargs) as pool:
            pool.map(_decode_video, [videos[0][:2]] * processes)  # started
            start = time.perf_counter()
            done = sum(pool.imap_unordered(
                fn, sorted(videos, key=len, reverse=True)))
    if done != total:
        raise RuntimeError(f'scored {done} of {total} frames.')
    return total / (time.perf_counter() - start)


def benchmark_model(args, videos, total):
    """Decode frames/s and decode + predict frames/s of one detector, both
    spread over the same number of processes."""
    threads = max(1, args.threads // args.processes)
    initargs = (args.model[0], args.model[1], threads)
    decode_fps = _frames_per_second(_decode_video, videos, total,
                                    args.processes, initargs)
    full_fps = _frames_per_second(_score_video, videos, total,
                                  args.processes, initargs)
    print(f'{total} frames in {len(videos)} videos; {args.model[0]}; '
          f'{args.processes} process(es) x {threads} torch thread(s), one '
          'OpenCV thread each')
    print(f'decode {decode_fps:.0f} f/s, end-to-end (decode + predict) '
          f'{full_fps:.0f} f/s, ratio {full_fps / decode_fps:.2f}')


def main():
    args = parse_args()
    cv2.setNumThreads(1)
    videos, total = list_videos(args.frames_root, args.limit)
    if args.model:
        if len(args.model) > 2:
            raise UserInputError('--model takes CONFIG CHECKPOINT or one '
                                 'model-zoo name.')
        from cbad.apis.model_zoo import resolve_config_and_checkpoint
        args.model = list(resolve_config_and_checkpoint(*args.model))
        if args.processes < 1:
            raise UserInputError('--processes must be >= 1.')
        return benchmark_model(args, videos, total)
    print(f'{total} frames in {len(videos)} videos from {args.frames_root}; '
          f'grid scale {args.scale}, background {args.background}, one core')
    print(f'{"flow":<15}{"decode f/s":>12}{"end-to-end f/s":>16}'
          f'{"ratio":>8}{"boxes/frame":>13}')
    for method in args.methods:
        proposer = BackgroundMotionProposer(
            background=args.background, flow=method, scale=args.scale)
        start = time.perf_counter()
        for files in videos:
            decode(files)
        decode_fps = total / (time.perf_counter() - start)
        boxes = 0
        start = time.perf_counter()
        for files in videos:
            proposer.reset()
            for frame in decode(files):
                proposals = proposer.step(frame)
                motion_attributes(proposals)
                boxes += len(proposals)
        full_fps = total / (time.perf_counter() - start)
        print(f'{method:<15}{decode_fps:>12.0f}{full_fps:>16.0f}'
              f'{full_fps / decode_fps:>8.2f}{boxes / total:>13.1f}')


if __name__ == '__main__':
    sys.exit(run_cli(main))
