"""tools/model_zoo/gen_model_zoo_readme.py and the page it writes."""
import importlib.util
import os.path as osp
import sys

from cbad.apis.model_zoo import load_model_index, repo_root

ROOT = repo_root()
SCRIPT = osp.join(ROOT, 'tools', 'model_zoo', 'gen_model_zoo_readme.py')
README = osp.join(ROOT, 'model_zoo', 'README.md')


def _generator():
    spec = importlib.util.spec_from_file_location('gen_model_zoo_readme',
                                                  SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_on_disk_is_the_generated_one():
    with open(README) as f:
        assert f.read() == _generator().render(ROOT), (
            'model_zoo/README.md is stale: run python '
            'tools/model_zoo/gen_model_zoo_readme.py')


def test_every_model_has_one_row_with_its_numbers():
    rows = [line for line in open(README) if line.startswith('| ')][1:]
    index = load_model_index()
    assert len(rows) == len(index)
    for info in index.values():
        row = next(r for r in rows if f'`{osp.relpath(info["Config"], ROOT)}`'
                   in r)
        metrics = info['Results'][0]['Metrics']
        assert f'| {metrics["AUC micro raw"]:.1f} | ' \
               f'{metrics["AUC micro vidnorm"]:.1f} |' in row
        link = osp.relpath(info['Weights'], osp.join(ROOT, 'model_zoo'))
        assert f']({link})' in row and osp.isfile(
            osp.join(ROOT, 'model_zoo', link))


def test_check_fails_with_a_diff_on_a_stale_page(tmp_path, monkeypatch,
                                                 capsys):
    generator = _generator()

    def check(path):
        monkeypatch.setattr(sys, 'argv', [SCRIPT, '--check', '--out',
                                          str(path)])
        return generator.run_cli(generator.main), capsys.readouterr().out

    stale = tmp_path / 'README.md'
    stale.write_text(open(README).read().replace('| 64.6 |', '| 99.9 |'))
    status, out = check(stale)
    assert status == 1
    row = '| Conv-AE | `configs/convae/convae_ped2.py` |'
    assert f'-{row} 99.9 |' in out
    assert f'+{row} 64.6 |' in out
    stale.write_text(open(README).read())
    status, out = check(stale)
    assert status == 0, out


METAFILE = """\
Collections:
  - Name: {name}
    README: configs/{folder}/README.md
{extra}Models: {models}
"""
MODEL = """
  - Name: {folder}_ped2
    Method: {name}
    In Collection: {name}
    Config: configs/{folder}/{folder}_ped2.py
    Weights: model_zoo/{folder}/{folder}_ped2_20260101-00000000.pth
    sha256: '00000000'
    size_bytes: 1048576
    Metadata:
      Training Time: 1 min
    Results:
      - Task: Video Anomaly Detection
        Dataset: UCSD Ped2
        Metrics: {{AUC micro raw: 50.0, AUC micro vidnorm: 51.25,
                  AUC macro: 52.0, Segment F1: 53.0}}
"""


def _zoo(tmp_path, published, empty):
    for folder, name in [published, empty]:
        models = (MODEL.format(folder=folder, name=name)
                  if (folder, name) == published else '[]')
        extra = ('    Unpublished: Nothing yet.\n'
                 if (folder, name) == empty else '')
        path = tmp_path / 'configs' / folder / 'metafile.yml'
        path.parent.mkdir(parents=True)
        path.write_text(METAFILE.format(name=name, folder=folder,
                                        extra=extra, models=models))
    return str(tmp_path)


def test_empty_collection_gets_its_note_not_a_row(tmp_path):
    text = _generator().render(
        _zoo(tmp_path, published=('a', 'A'), empty=('b', 'B')))
    rows = [line for line in text.splitlines() if line.startswith('| A')]
    assert rows == [
        '| A | `configs/a/a_ped2.py` | 50.0 | 51.2 | 52.0 | 53.0 | 1 min | '
        '[a_ped2_20260101-00000000.pth](a/a_ped2_20260101-00000000.pth) | '
        '1.0 MiB | - |']
    assert '| B' not in text
    paragraph = ' '.join(text.split('\n\n')[-1].split())
    assert paragraph == (
        'Details, commands and what the numbers mean: '
        '[configs/a/README.md](../configs/a/README.md); all methods side by '
        'side: [docs/benchmarks.md](../docs/benchmarks.md). Nothing yet. See '
        '[configs/b/README.md](../configs/b/README.md).')
