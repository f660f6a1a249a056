"""Heat maps of a detector's response on test frames (the paper's Figure 5).

Top row: test frames at their stored resolution; bottom row: the same frames
with :func:`cbad.visualization.response_maps` blended in (Grad-CAM of the
fused score for the contrastive detector, the per-pixel error for the
reconstruction and prediction baselines). Each title gives the frame index,
its ground-truth label and its frame score (windows mapped to frames as the
metric does). Without ``--frames`` the tool shows frames from the middle of
the longest normal and the longest abnormal stretch of the video: the
labels choose what to *display*, nothing else.

Example::

    CBAD_DATA_ROOT=../shared/datasets python tools/analysis/plot_heatmaps.py \
        configs/cbad/cbad_ped2_cpu.py \
        model_zoo/cbad/cbad_ped2_cpu_20261128-d62e5b08.pth \
        --video 01 --out docs/_static/heatmaps_ped2.png
"""
import argparse
import copy
import os.path as osp
import sys
from typing import List, Optional, Sequence, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

import matplotlib  # noqa: E402

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.dataset import BaseDataset, pseudo_collate  # noqa: E402

from cbad.apis.scoring import init_detector  # noqa: E402
from cbad.engine import frame_scores_by_video  # noqa: E402
from cbad.registry import DATASETS, register_all_modules  # noqa: E402
from cbad.utils import allow_full_pickle_checkpoints  # noqa: E402
from cbad.utils.cli import add_debug_argument, run_cli  # noqa: E402
from cbad.visualization import overlay_heatmap, response_maps  # noqa: E402

#: Clips scored at once for clip-based test sets.
SCORE_BATCH = 16


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--video', required=True,
                        help='test video name, e.g. 01')
    parser.add_argument('--frames', help='0-based frame ids, e.g. 10,90,150; '
                        'default: from the longest normal and abnormal runs')
    parser.add_argument('--per-segment', type=int, default=3,
                        help='frames per run without --frames (default 3)')
    parser.add_argument('--out', required=True, help='PNG to write')
    parser.add_argument('--dpi', type=int, default=100)
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='allow a full unpickle of the checkpoint (runs '
                        'code; only for files you trust)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_debug_argument(parser)
    return parser.parse_args(argv)


def video_indices(dataset: BaseDataset, name: str) -> List[int]:
    """Indices of the dataset items of video ``name`` (clips or one video)."""
    found = [i for i in range(len(dataset))
             if dataset.get_data_info(i)['video'] == name]
    if not found:
        names = sorted({dataset.get_data_info(i)['video']
                        for i in range(len(dataset))})
        raise ValueError(f'No test video {name!r}; the test split has '
                         f'{names}.')
    return found


def longest_run(labels: np.ndarray, value: int) -> Tuple[int, int]:
    """``(start, stop)`` of the longest run of ``value``; (0, 0) if none."""
    best, start = (0, 0), None
    for i, label in enumerate(list(labels) + [None]):
        if label == value and start is None:
            start = i
        elif label != value and start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return best


def default_frames(labels: np.ndarray, per_segment: int) -> List[int]:
    """Evenly spaced frames inside the longest normal and abnormal runs.

    Raises:
        ValueError: If the video lacks one of the two labels, or
            ``per_segment`` is below 1.
    """
    if per_segment < 1:
        raise ValueError(f'per_segment must be >= 1, got {per_segment}.')
    picks = []
    for value, kind in ((0, 'normal'), (1, 'abnormal')):
        start, stop = longest_run(labels, value)
        if stop == start:
            raise ValueError(
                f'The video has no {kind} frame; pick frames with --frames '
                'or a video with both labels.')
        # keep away from the run's edges, where the label just changed
        margin = (stop - start) // (2 * per_segment + 2)
        picks += np.linspace(start + margin, stop - 1 - margin,
                             per_segment).round().astype(int).tolist()
    return sorted(set(picks))


def draw(frames: np.ndarray, heat: np.ndarray, titles: List[str],
         suptitle: str, out: str, dpi: int) -> None:
    """Frames (K, H, W, 3) BGR on top, overlays below, one column each."""
    num = len(frames)
    height, width = frames.shape[1:3]
    panel = 2.0  # inches per column
    fig, axes = plt.subplots(2, num, squeeze=False, figsize=(
        panel * num, 2 * panel * height / width + 1.1))
    for col, (frame, title) in enumerate(zip(frames, titles)):
        axes[0, col].imshow(frame[..., ::-1])
        axes[1, col].imshow(overlay_heatmap(frame, heat[col])[..., ::-1])
        axes[0, col].set_title(title, fontsize=8)
    for ax in axes.ravel():
        ax.set_axis_off()
    fig.suptitle(suptitle, fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=dpi)
    plt.close(fig)


def frame_scores(model: torch.nn.Module, cfg: Config, video_item: dict,
                 name: str) -> np.ndarray:
    """Frame scores of video ``name`` as the test metric maps them.

    Args:
        model (nn.Module): The detector.
        cfg (Config): Its config (test dataset and evaluator).
        video_item (dict): The whole video, reused when the test set is
            already cut into whole videos.
        name (str): The video.

    Returns:
        np.ndarray: (L,) scores.
    """
    test_cfg = cfg.test_dataloader.dataset
    if test_cfg.get('sample_unit', 'clip') == 'video':
        batches = [pseudo_collate([video_item])]
    else:  # the detector scores the clips its test set is cut into
        clips = DATASETS.build(test_cfg)
        ids = video_indices(clips, name)
        batches = (pseudo_collate([clips[i] for i in ids[s:s + SCORE_BATCH]])
                   for s in range(0, len(ids), SCORE_BATCH))
    reduce = cfg.test_evaluator.get('clip_to_frame', 'mean')
    return frame_scores_by_video(model, batches, reduce)[name]


def pick_frames(frames: Optional[str], labels: np.ndarray,
                per_segment: int) -> List[int]:
    """``--frames`` parsed and checked, or :func:`default_frames`."""
    if not frames:
        return default_frames(labels, per_segment)
    picks = [int(f) for f in frames.split(',')]
    outside = [f for f in picks if not 0 <= f < len(labels)]
    if outside:
        raise ValueError(f'--frames {outside} outside the video '
                         f'(frames 0..{len(labels) - 1}).')
    return picks


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    register_all_modules()
    if args.trust_checkpoint:
        allow_full_pickle_checkpoints(True)
    model = init_detector(args.config, args.checkpoint,
                          cfg_options=args.cfg_options)
    cfg = model.cfg

    video_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    video_cfg['sample_unit'] = 'video'  # every frame, for the maps
    videos = DATASETS.build(video_cfg)
    index = video_indices(videos, args.video)[0]
    item = videos[index]
    labels = item['data_samples'].gt_labels.numpy()  # L
    batch = model.data_preprocessor(pseudo_collate([item]), False)
    heat = response_maps(model, batch['inputs'][0])  # L x h x w
    scores = frame_scores(model, cfg, item, args.video)  # L

    picks = pick_frames(args.frames, labels, args.per_segment)
    info = videos.get_data_info(index)
    frames = info['source'].read_clip(
        np.asarray(picks) + info.get('frame_offset', 0))  # K x H x W x 3
    titles = [f'frame {f}, {"abnormal" if labels[f] else "normal"}\n'
              f'score {scores[f]:.3g}' for f in picks]
    suptitle = (f'{osp.splitext(osp.basename(args.config))[0]}: video '
                f'{args.video}, threshold {float(model.threshold):.3g}')
    draw(frames, heat[picks], titles, suptitle, args.out, args.dpi)
    print(args.out)


if __name__ == '__main__':
    sys.exit(run_cli(main))
