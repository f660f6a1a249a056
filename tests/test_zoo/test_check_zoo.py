"""tools/model_zoo/check_zoo.py: published numbers against a test run."""
import importlib.util
import json
import os
import os.path as osp
import subprocess

import pytest

from cbad.apis.model_zoo import get_model_info, list_models, repo_root

SCRIPT = osp.join(repo_root(), 'tools', 'model_zoo', 'check_zoo.py')


def _tool():
    spec = importlib.util.spec_from_file_location('check_zoo', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_zoo_model_publishes_the_four_checked_numbers():
    tool = _tool()
    for name in list_models():
        assert set(tool.published(get_model_info(name))) == set(
            tool.METRIC_KEYS.values()), name


def test_compare_rounds_like_the_metafile():
    compare = _tool().compare
    expected = {'auc_micro': 87.2, 'seg_f1': 91.0}
    assert compare({'auc_micro': 0.8716, 'seg_f1': 0.90954}, expected) == []
    # 87.14 is published as 87.1, 91.04 as 91.0: only the AUC differs
    problems = compare({'auc_micro': 0.8714, 'seg_f1': 0.9104}, expected)
    assert problems == ['auc_micro 87.1 != 87.2']
    assert compare({}, {'auc_micro': 87.2})  # a missing number is a problem


def test_a_failing_test_run_and_a_changed_score_file_are_reported(
        tmp_path, monkeypatch):
    tool = _tool()
    name = list_models()[0]
    info = get_model_info(name)
    metrics = {key: value / 100 for key, value in tool.published(info).items()}

    class Done:
        returncode, stdout, stderr = 0, '', ''

    def fake_run(command, **kwargs):  # writes what tools/test.py would
        out = command[command.index('--out-dir') + 1]
        os.makedirs(out, exist_ok=True)
        with open(osp.join(out, 'metrics.json'), 'w') as f:
            json.dump({'metrics': metrics}, f)
        with open(osp.join(out, 'frame_scores.csv'), 'w') as f:
            f.write('video,frame,score,label\n01,0,0.5,0\n')
        return Done()

    monkeypatch.setattr(subprocess, 'run', fake_run)
    assert tool.check(name, str(tmp_path / 'a'), None) == []
    assert tool.check(name, str(tmp_path / 'b'), str(tmp_path / 'a')) == []
    with open(tmp_path / 'a' / name / 'frame_scores.csv', 'a') as f:
        f.write('01,1,0.6,0\n')
    assert tool.check(name, str(tmp_path / 'c'),
                      str(tmp_path / 'a')) == [
        f'frame_scores.csv differs from {tmp_path / "a" / name}'
        '/frame_scores.csv']
    Done.returncode, Done.stderr = 2, 'test.py: error: no data\n'
    assert tool.check(name, str(tmp_path / 'd'), None) == [
        'tools/test.py exited 2: test.py: error: no data']
    with pytest.raises(Exception, match='Not in the model zoo'):
        tool.main(['nope', '--out-dir', str(tmp_path)])
    with pytest.raises(Exception, match='would overwrite'):
        tool.main([name, '--out-dir', str(tmp_path / 'a'), '--reference',
                   str(tmp_path / 'a')])
    Done.returncode = 0
    monkeypatch.setattr(subprocess, 'run', lambda command, **kwargs: Done())
    assert tool.check(name, str(tmp_path / 'e'), None)[0].startswith(
        'no readable metrics.json')
