"""tools/analysis/learning_curve.py: compute from logs, the label-free
choice, resumable per-checkpoint steps, outputs (the fit/test/signal tools
themselves are stood in for: each has its own tests)."""
import json
import os.path as osp

import pytest
import torch

from test_plot_tools import load_tool, read_png, write_run

tool = load_tool('learning_curve')


def test_step_seconds_sums_logged_step_times_and_later_runs_win(tmp_path):
    write_run(tmp_path, '20260101_000000', [
        dict(iter=10, time=1.0), dict(iter=20, time=2.0),
        dict(epoch=1, auc=0.5)])  # a record without time is ignored
    # a resumed run re-logs iteration 20 at another speed, then goes on
    write_run(tmp_path, '20260102_000000', [
        dict(iter=20, time=3.0), dict(iter=30, time=0.5)])
    seconds = tool.step_seconds(str(tmp_path))
    assert seconds == pytest.approx({10: 10.0, 20: 10.0 + 30.0,
                                     30: 40.0 + 5.0})
    assert tool.seconds_at(seconds, 30) == pytest.approx(45.0)
    # between records: the last record's mean rate carries on
    assert tool.seconds_at(seconds, 25) == pytest.approx(40.0 + 5 * 2.0)
    assert tool.seconds_at(seconds, 5) is None
    assert tool.step_seconds(str(tmp_path / 'nothing')) == {}


def test_choose_epoch_takes_the_best_mean_signal_and_the_earlier_tie():
    rows = [dict(run='a', epoch=2, signal=0.6), dict(run='b', epoch=2,
                                                     signal=0.8),
            dict(run='a', epoch=6, signal=0.9), dict(run='b', epoch=6,
                                                     signal=0.6),
            dict(run='a', epoch=12, signal=0.7)]
    # means: 2 -> 0.70, 6 -> 0.75, 12 -> 0.70
    assert tool.choose_epoch(rows) == 6
    tie = [dict(run='a', epoch=4, signal=0.7), dict(run='a', epoch=2,
                                                    signal=0.7)]
    assert tool.choose_epoch(tie) == 2


def test_summarise_gives_mean_and_sample_std_per_epoch():
    rows = [dict(run='a', epoch=2, steps=10, train_seconds=None,
                 signal=0.6, auc_micro=0.5),
            dict(run='b', epoch=2, steps=10, train_seconds=None,
                 signal=0.8, auc_micro=0.7)]
    (entry, ) = tool.summarise(rows)
    assert entry['runs'] == 2 and entry['steps'] == 10
    assert entry['signal'] == pytest.approx(0.7)
    assert entry['auc_micro_std'] == pytest.approx(0.1414213, rel=1e-5)
    assert 'train_seconds' not in entry  # nothing logged, nothing made up


def fake_run(tmp_path, epochs, steps_per_epoch=5):
    work_dir = tmp_path / 'work' / 'run_s0'
    work_dir.mkdir(parents=True)
    for epoch in epochs:
        torch.save(dict(state_dict={}, meta=dict(
            epoch=epoch, iter=epoch * steps_per_epoch)),
            work_dir / f'epoch_{epoch}.pth')
    write_run(work_dir, '20260101_000000', [
        dict(iter=e * steps_per_epoch, time=0.5) for e in epochs])
    return work_dir


def test_main_writes_curve_files_and_reuses_finished_steps(
        tmp_path, monkeypatch, capsys):
    work_dir = fake_run(tmp_path, [1, 2, 3])
    calls = []
    # the signal peaks at epoch 2, the test AUC keeps rising: the choice
    # must follow the signal, not the test labels
    signal = {1: 0.6, 2: 0.9, 3: 0.8}
    auc = {1: 0.5, 2: 0.6, 3: 0.7}

    def fake_tool(args, log):
        calls.append(args[0])
        out_dir = osp.dirname(log)
        epoch = int(osp.basename(out_dir).split('_')[1])
        if args[0] == 'tools/fit.py':
            torch.save({}, args[args.index('--out') + 1])
        elif args[0] == 'tools/test.py':
            with open(osp.join(out_dir, 'metrics.json'), 'w') as f:
                json.dump(dict(metrics=dict(
                    auc_micro=auc[epoch], auc_micro_vidnorm=auc[epoch] + .1,
                    auc_macro=auc[epoch])), f)
        else:
            with open(args[args.index('--out') + 1], 'w') as f:
                json.dump(dict(kinds=dict(object_faster=dict(
                    auc=signal[epoch]))), f)

    monkeypatch.setattr(tool, 'run_tool', fake_tool)
    out_dir = tmp_path / 'curve'
    config = osp.join(tool.ROOT, 'configs', 'convae', 'convae_ped2.py')
    tool.main([config, str(work_dir), '--out-dir', str(out_dir),
               '--epochs', '1', '2', '3', '7',  # 7 was not kept: skipped
               '--target', '92.4'])
    assert calls == ['tools/fit.py', 'tools/test.py',
                     'tools/analysis/pseudo_anomaly_auc.py'] * 3
    result = json.loads((out_dir / 'curve.json').read_text())
    assert result['chosen_epoch'] == 2
    assert [r['epoch'] for r in result['rows']] == [1, 2, 3]
    assert [r['steps'] for r in result['rows']] == [5, 10, 15]
    assert result['rows'][2]['train_seconds'] == pytest.approx(7.5)
    assert result['rows'][1]['auc_micro_vidnorm'] == pytest.approx(0.7)
    lines = (out_dir / 'curve.csv').read_text().splitlines()
    assert lines[0].startswith('run,epoch,steps') and len(lines) == 4
    read_png(out_dir / 'curve.png')
    assert 'chosen by object_faster: epoch 2' in capsys.readouterr().out
    # run again: every step's output is on disk, nothing is redone
    calls.clear()
    tool.main([config, str(work_dir), '--out-dir', str(out_dir)])
    assert calls == []


def test_errors_name_the_problem(tmp_path, monkeypatch):
    config = osp.join(tool.ROOT, 'configs', 'convae', 'convae_ped2.py')
    with pytest.raises(tool.UserInputError, match='no epoch_N.pth'):
        tool.main([config, str(tmp_path), '--out-dir', str(tmp_path / 'o')])
    with pytest.raises(tool.UserInputError, match='config not found'):
        tool.main(['nope.py', str(tmp_path), '--out-dir', str(tmp_path)])
    work_dir = fake_run(tmp_path, [1])
    with pytest.raises(tool.UserInputError, match='none of --epochs'):
        tool.main([config, str(work_dir), '--out-dir', str(tmp_path / 'o'),
                   '--epochs', '9'])
    torch.save(dict(state_dict={}), work_dir / 'epoch_2.pth')
    with pytest.raises(tool.UserInputError, match='no meta.iter'):
        tool.main([config, str(work_dir), '--out-dir', str(tmp_path / 'o'),
                   '--epochs', '2'])


def test_a_failing_tool_reports_its_log(tmp_path):
    log = tmp_path / 'x.log'
    with pytest.raises(RuntimeError, match='status 2'):
        tool.run_tool(['-c', 'import sys; print("boom"); sys.exit(2)'],
                      str(log))
    assert 'boom' in log.read_text()
