"""tools/analysis/plot_{curves,results,heatmaps}.py on tiny fake inputs."""
import importlib.util
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from sklearn.metrics import roc_auc_score

from cbad.registry import MODELS, register_all_modules

register_all_modules()
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(ROOT, 'tests', 'configs', 'convae_synthetic_tiny.py')


def load_tool(name):
    """Import tools/analysis/<name>.py as a module."""
    path = osp.join(ROOT, 'tools', 'analysis', f'{name}.py')
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_png(path, min_width=200, min_height=150):
    image = cv2.imread(str(path))
    assert image is not None, f'{path} is not a readable image'
    assert image.shape[1] >= min_width and image.shape[0] >= min_height
    return image


# ------------------------------------------------------------ curves
RECORDS = [
    dict(loss=1.0, loss_ins=0.8, epoch=1, iter=10, step=10),
    dict(loss=3.0, loss_ins=2.0, epoch=1, iter=20, step=20),
    dict(auc=0.7, step=1),  # a validation record: no loss, no epoch
    dict(loss=0.5, loss_ins=0.4, epoch=2, iter=30, step=30),
    dict(loss=0.7, epoch=2, iter=40, step=40),  # loss_ins not logged here
]


def write_run(work_dir, timestamp, records):
    vis = work_dir / timestamp / 'vis_data'
    vis.mkdir(parents=True)
    with open(vis / 'scalars.json', 'w') as f:
        f.writelines(json.dumps(r) + '\n' for r in records)
    return vis / 'scalars.json'


def test_loss_series_means_per_epoch_and_raw_per_iter():
    tool = load_tool('plot_curves')
    x, y = tool.loss_series(RECORDS, 'loss', 'epoch')
    np.testing.assert_allclose(x, [1, 2])
    np.testing.assert_allclose(y, [(1.0 + 3.0) / 2, (0.5 + 0.7) / 2])
    x, y = tool.loss_series(RECORDS, 'loss_ins', 'epoch')
    np.testing.assert_allclose(y, [(0.8 + 2.0) / 2, 0.4])
    x, y = tool.loss_series(RECORDS, 'loss', 'iter')
    np.testing.assert_allclose(x, [10, 20, 30, 40])
    np.testing.assert_allclose(y, [1.0, 3.0, 0.5, 0.7])
    assert tool.loss_keys([RECORDS]) == ['loss', 'loss_ins']


def test_plot_curves_reads_the_newest_run_of_each_work_dir(tmp_path, capsys):
    tool = load_tool('plot_curves')
    run_a, run_b = tmp_path / 'run_a', tmp_path / 'run_b'
    write_run(run_a, '20260101_000000', [dict(loss=9.0, epoch=1, iter=1)])
    newest = write_run(run_a, '20260102_000000', RECORDS)
    write_run(run_b, '20260101_000000', RECORDS[:2])
    assert tool.find_scalars(str(run_a)) == str(newest)
    out = tmp_path / 'curves.png'
    tool.main([str(run_a), str(run_b / '20260101_000000' / 'vis_data' /
                                'scalars.json'), '--out', str(out)])
    assert str(out) in capsys.readouterr().out
    read_png(out)
    assert tool.run_name(str(newest)) == 'run_a'


def test_plot_curves_errors(tmp_path):
    tool = load_tool('plot_curves')
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        tool.find_scalars(str(tmp_path))
    write_run(tmp_path / 'run', '20260101_000000', RECORDS)
    with pytest.raises(SystemExit, match='loss_pro'):
        tool.main([str(tmp_path / 'run'), '--keys', 'loss_pro', '--out',
                   str(tmp_path / 'x.png')])


# ----------------------------------------------------------- results
# Pooled: positives {0.35, 0.8, 0.9}, negatives {0.1, 0.4, 0.2}; 8 of the 9
# pairs are ranked right, so the micro AUC is 8/9.
VIDEOS = dict(a=([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), b=([0.2, 0.9], [0, 1]))


def write_result(out_dir, videos=VIDEOS, precision=0.5):
    out_dir.mkdir()
    with open(out_dir / 'frame_scores.csv', 'w') as f:
        f.write('video,frame,score,label\n')
        for name, (scores, labels) in videos.items():
            for i, (s, lab) in enumerate(zip(scores, labels)):
                f.write(f'{name},{i},{s},{lab}\n')
    metrics = dict(auc_micro=8 / 9, seg_precision=precision, seg_recall=0.75,
                   seg_f1=0.6)
    protocol = dict(segment_len=2, segment_stride=2,
                    segment_label_rule='majority', threshold=0.5)
    with open(out_dir / 'metrics.json', 'w') as f:
        json.dump(dict(metrics=metrics, protocol=protocol), f)
    return out_dir


def test_plot_results_writes_both_figures(tmp_path, capsys):
    tool = load_tool('plot_results')
    dirs = [write_result(tmp_path / 'r1'),
            write_result(tmp_path / 'r2', precision=0.9)]
    prf, roc = tmp_path / 'prf.png', tmp_path / 'roc.png'
    tool.main([*map(str, dirs), '--names', 'one', 'two', '--out-prf',
               str(prf), '--out-roc', str(roc)])
    printed = capsys.readouterr().out
    assert str(prf) in printed and str(roc) in printed
    read_png(prf)
    read_png(roc)


def test_roc_legend_auc_is_the_micro_auc(tmp_path):
    tool = load_tool('plot_results')
    metrics, protocol, videos = tool.read_result_dir(
        str(write_result(tmp_path / 'r')))
    aucs = tool.plot_roc(dict(r=videos), str(tmp_path / 'roc.png'))
    scores = np.concatenate([v[0] for v in VIDEOS.values()])
    labels = np.concatenate([v[1] for v in VIDEOS.values()])
    assert aucs['r'] == pytest.approx(8 / 9)
    assert aucs['r'] == pytest.approx(roc_auc_score(labels, scores))
    # 2/2 segments: a -> [0, 0] normal, [1, 1] abnormal; b -> [0, 1] a tie,
    # normal under 'majority': 1 abnormal segment of 3
    assert tool.abnormal_segment_share(videos, protocol) == pytest.approx(1 /
                                                                         3)


def test_plot_results_missing_files_is_a_clear_error(tmp_path):
    tool = load_tool('plot_results')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='frame_scores.csv'):
        tool.main([str(tmp_path / 'empty'), '--out-roc',
                   str(tmp_path / 'roc.png')])


# ---------------------------------------------------------- heatmaps
def test_default_frames_come_from_both_runs():
    tool = load_tool('plot_heatmaps')
    labels = np.array([0] * 10 + [1] * 20 + [0] * 3)
    picks = tool.default_frames(labels, per_segment=2)
    assert picks == [1, 8, 13, 26]
    with pytest.raises(ValueError, match='no abnormal frame'):
        tool.default_frames(np.zeros(8, dtype=int), 2)


def test_plot_heatmaps_on_the_synthetic_scene(tmp_path, capsys):
    tool = load_tool('plot_heatmaps')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(TINY).model)
    checkpoint = tmp_path / 'tiny.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    out = tmp_path / 'heat.png'
    tool.main([TINY, str(checkpoint), '--video', 'test_00', '--per-segment',
               '2', '--out', str(out)])
    assert str(out) in capsys.readouterr().out
    image = read_png(out)
    assert image.shape[1] > image.shape[0]  # 4 columns, 2 rows
    with pytest.raises(ValueError, match='test_00'):  # lists the names
        tool.main([TINY, str(checkpoint), '--video', 'nope', '--out',
                   str(out)])


@pytest.mark.parametrize('tool_name', ['term_aucs', 'embedding_spread'])
def test_analysis_tools_refuse_a_checkpoint_that_does_not_fit(
        tool_name, tmp_path, monkeypatch):
    # like tools/test.py: an empty state dict is refused by name, never
    # scored with the freshly initialised weights it leaves in place
    from cbad.utils.checkpoint import CheckpointMismatchError
    tool = load_tool(tool_name)
    checkpoint = tmp_path / 'empty.pth'
    torch.save(dict(state_dict={}), checkpoint)
    monkeypatch.setattr('sys.argv', [tool_name, TINY, str(checkpoint)])
    with pytest.raises(CheckpointMismatchError, match='empty.pth'):
        tool.main()
