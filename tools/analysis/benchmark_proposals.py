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
        tools/analysis/benchmark_proposals.py --model \
        configs/cbad/cbad_ped2_objects.py work_dirs/objects/epoch_10.pth
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
    parser.add_argument('--model', nargs=2, metavar=('CONFIG', 'CHECKPOINT'),
                        help='time this detector end to end instead')
    parser.add_argument('--threads', type=int, default=2,
                        help='torch threads with --model (default 2)')
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


def benchmark_model(args, videos, total):
    """Decode frames/s and decode + predict frames/s of one detector."""
    import numpy as np
    import torch

    from cbad.apis import init_detector
    from cbad.structures import ClipDataSample
    torch.set_num_threads(args.threads)
    model = init_detector(args.model[0], args.model[1], device='cpu')
    start = time.perf_counter()
    for files in videos:
        decode(files)
    decode_fps = total / (time.perf_counter() - start)
    start = time.perf_counter()
    for files in videos:
        frames = torch.from_numpy(np.stack(decode(files)))[None]
        data = model.data_preprocessor(
            dict(inputs=[frames], data_samples=[ClipDataSample()]), False)
        model.predict(**data)
    full_fps = total / (time.perf_counter() - start)
    print(f'{total} frames in {len(videos)} videos; {args.model[0]}, '
          f'torch threads {args.threads}')
    print(f'decode {decode_fps:.0f} f/s, end-to-end (decode + predict) '
          f'{full_fps:.0f} f/s, ratio {full_fps / decode_fps:.2f}')


def main():
    args = parse_args()
    cv2.setNumThreads(1)
    videos, total = list_videos(args.frames_root, args.limit)
    if args.model:
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
