"""Check that every published checkpoint still gives its published numbers.

For each model-zoo entry (``list_models()``, or the names given) runs
``tools/test.py NAME --out-dir OUT/NAME`` on the data under
``$CBAD_DATA_ROOT`` and compares its ``metrics.json`` with the metafile's
Results (AUC micro raw and vidnorm, AUC macro, segment F1, as published: to
0.1). With ``--reference REF`` (the OUT of an earlier run, e.g. before a
refactor) it also compares each ``frame_scores.csv`` with REF's byte for
byte, the "to the last digit" check. Prints one row per model and exits 1
if any number differs or any test fails.

Example::

    CBAD_DATA_ROOT=../shared/datasets python tools/model_zoo/check_zoo.py \
        --out-dir results/zoo_before
    # ... change the code ...
    CBAD_DATA_ROOT=../shared/datasets python tools/model_zoo/check_zoo.py \
        --out-dir results/zoo_after --reference results/zoo_before

Needs the Ped2 frames and labels (a few minutes on 2 cores for all models).
"""
import argparse
import filecmp
import json
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

from cbad.apis.model_zoo import get_model_info, list_models  # noqa: E402
from cbad.utils.cli import add_debug_argument, run_cli  # noqa: E402
from cbad.utils.errors import UserInputError  # noqa: E402

#: metafile Results name -> metrics.json key.
METRIC_KEYS = {
    'AUC micro raw': 'auc_micro',
    'AUC micro vidnorm': 'auc_micro_vidnorm',
    'AUC macro': 'auc_macro',
    'Segment F1': 'seg_f1',
}
TEST_PY = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                   'test.py')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('names', nargs='*',
                        help='zoo names to check (default: all)')
    parser.add_argument('--out-dir', required=True,
                        help='each model writes OUT/NAME/{metrics.json,'
                        'frame_scores.csv}')
    parser.add_argument('--reference',
                        help='an earlier --out-dir: frame_scores.csv must '
                        'be byte-identical to it')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def published(info: Dict) -> Dict[str, float]:
    """{metrics.json key: published percent} of one zoo entry."""
    out = {}
    for result in info.get('Results') or []:
        for name, value in (result.get('Metrics') or {}).items():
            if name in METRIC_KEYS:
                out[METRIC_KEYS[name]] = float(value)
    return out


def compare(metrics: Dict[str, float],
            expected: Dict[str, float]) -> List[str]:
    """Names of the published numbers that ``metrics`` does not give when
    rounded as published (percent, one decimal)."""
    return [f'{key} {100 * metrics.get(key, float("nan")):.1f} != {value}'
            for key, value in expected.items()
            if metrics.get(key) is None or
            round(100 * metrics[key], 1) != round(value, 1)]


def check(name: str, out_dir: str, reference: Optional[str]) -> List[str]:
    """Problems of one zoo model (empty: it reproduces)."""
    target = osp.join(out_dir, name)
    run = subprocess.run(
        [sys.executable, TEST_PY, name, '--out-dir', target],
        capture_output=True, text=True)
    if run.returncode != 0:
        tail = (run.stderr or run.stdout).strip().splitlines()[-1:]
        return [f'tools/test.py exited {run.returncode}: {" ".join(tail)}']
    try:
        with open(osp.join(target, 'metrics.json')) as f:
            metrics = json.load(f)['metrics']
    except (OSError, ValueError, KeyError) as err:
        return [f'no readable metrics.json from tools/test.py ({err})']
    problems = compare(metrics, published(get_model_info(name)))
    if reference is not None:
        before = osp.join(reference, name, 'frame_scores.csv')
        if not osp.isfile(before):
            problems.append(f'no {before} to compare with')
        elif not filecmp.cmp(before, osp.join(target, 'frame_scores.csv'),
                             shallow=False):
            problems.append(f'frame_scores.csv differs from {before}')
    return problems


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    names = args.names or list_models()
    unknown = sorted(set(names) - set(list_models()))
    if unknown:
        raise UserInputError(f'Not in the model zoo: {", ".join(unknown)}; '
                             f'known: {", ".join(list_models())}.')
    if args.reference is not None and not osp.isdir(args.reference):
        raise UserInputError(f'--reference {args.reference} is not a '
                             'folder (the --out-dir of an earlier run).')
    if args.reference is not None and osp.realpath(
            args.reference) == osp.realpath(args.out_dir):
        raise UserInputError('--reference is --out-dir: the new scores '
                             'would overwrite the ones they are compared '
                             'with; write them to another folder.')
    failed = 0
    for name in names:
        problems = check(name, args.out_dir, args.reference)
        failed += bool(problems)
        print(f'{name:<28} {"ok" if not problems else "; ".join(problems)}',
              flush=True)
    print(f'{len(names) - failed} of {len(names)} models reproduce'
          + (f' (frame scores compared with {args.reference})'
             if args.reference else ''))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
