"""Small helpers the tools share: hashing files, printing metric tables and
checking an output folder before a long run."""
import hashlib
import os
import tempfile
from typing import Dict, Optional


def file_sha256(path: str, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(chunk_size), b''):
            digest.update(chunk)
    return digest.hexdigest()


def format_metrics(metrics: Dict[str, float],
                   title: Optional[str] = None) -> str:
    """A two-column text table; AUC-like fractions also shown in percent."""
    rows = []
    for key, value in metrics.items():
        if isinstance(value, float):
            shown = f'{value:.4f}'
            if 0.0 <= value <= 1.0 and not key.endswith(
                ('threshold', 'num_videos')):
                shown += f'  ({100 * value:.1f}%)'
        else:
            shown = str(value)
        rows.append((key, shown))
    width = max([len(k) for k, _ in rows] + [6])
    lines = [] if title is None else [title]
    lines.append(f'{"metric":<{width}}  value')
    lines.append('-' * (width + 20))
    lines += [f'{k:<{width}}  {v}' for k, v in rows]
    return '\n'.join(lines)


def prepare_out_dir(path: str) -> str:
    """Create the output folder ``path`` (and its parents) and check that a
    file can be written in it, so a bad path fails before a long run.

    Args:
        path (str): The folder.

    Returns:
        str: ``path``.

    Raises:
        OSError: If it cannot be created (a regular file is in the way) or
            written to; the message names the path and the reason.
    """
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path, prefix='.cbad_write_test_'):
            pass
    except OSError as err:
        reason = err.strerror or str(err)
        if isinstance(err, (FileExistsError, NotADirectoryError)):
            reason += ' (a regular file is in the way)'
        raise type(err)(f'cannot write to the output folder {path}: '
                        f'{reason}; pass a folder you can write to') from err
    return path
