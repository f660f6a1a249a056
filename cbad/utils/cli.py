"""One clear line instead of a traceback for a user's mistake on the tools.

Every script in ``tools/`` ends with::

    if __name__ == '__main__':
        sys.exit(run_cli(main))

:func:`run_cli` runs ``main`` inside :func:`~cbad.utils.registry_hint.
with_name_hint` (so an unknown ``type`` lists the nearest registered names)
and sorts what escapes it:

- an ordinary mistake in what the user gave (a
  :class:`~cbad.utils.errors.UserInputError`, a file that is missing or
  unreadable, a checkpoint that does not load, an unknown registry name,
  CUDA asked for where there is none) is printed as ``TOOL: error: MESSAGE``
  on stderr, the message naming the file or value and what to do, and the
  tool exits with :data:`EXIT_USER_ERROR` (2);
- anything else is a bug and keeps its traceback.

``--debug`` on any tool, or ``CBAD_DEBUG=1`` in the environment, shows the
traceback of the ordinary mistakes too.
"""
import argparse
import os
import os.path as osp
import re
import sys
from typing import Any, Callable, Optional, Sequence

from mmengine.config import DictAction

from cbad.utils.errors import UserInputError
from cbad.utils.registry_hint import hint_for_missing, with_name_hint

#: Exit status of a tool stopped by a user's mistake (argparse's too).
EXIT_USER_ERROR = 2
#: Environment variable that turns on full tracebacks (``CBAD_DEBUG=1``).
DEBUG_ENV = 'CBAD_DEBUG'

# Files that are missing or cannot be opened: the message names the path.
_FILE_ERRORS = (FileNotFoundError, IsADirectoryError, NotADirectoryError,
                PermissionError)
# What torch says when CUDA is used on a machine or build without it.
_NO_CUDA = re.compile(
    r'Torch not compiled with CUDA enabled|no NVIDIA driver|'
    r'No CUDA GPUs are available|cuda\.is_available\(\) is False|'
    r'CUDA driver initialization failed', re.IGNORECASE)
# mmengine's build_from_cfg re-raises a constructor's error with this prefix.
_BUILD_PREFIX = re.compile(r'^class `(\w+)` in [\w.]+: (?=\1\b)')
# The last line of a traceback: the exception's (dotted) type and message.
_RAISED_LINE = re.compile(r'^(?:[A-Za-z_][\w.]*\.)?[A-Za-z_]\w*'
                          r'(?:Error|Exception): ', re.MULTILINE)


def add_debug_argument(parser: argparse.ArgumentParser) -> None:
    """Add the ``--debug`` flag that :func:`run_cli` reads."""
    parser.add_argument(
        '--debug', action='store_true',
        help='on an error, show the full Python traceback instead of a '
        f'one-line message (same as {DEBUG_ENV}=1)')


def debug_requested(argv: Optional[Sequence[str]] = None) -> bool:
    """Whether ``--debug`` is in ``argv`` or ``CBAD_DEBUG`` is set.

    Args:
        argv (Sequence[str], optional): Command-line arguments. Defaults to
            ``sys.argv[1:]``. Arguments after ``--`` are not options.
    """
    if os.environ.get(DEBUG_ENV, '').strip().lower() not in (
            '', '0', 'false', 'no', 'off'):
        return True
    argv = list(sys.argv[1:] if argv is None else argv)
    if '--' in argv:
        argv = argv[:argv.index('--')]
    return '--debug' in argv


def user_error_message(err: BaseException) -> Optional[str]:
    """The message to print for an ordinary mistake; None for a bug.

    Args:
        err (BaseException): What a tool's ``main`` raised.

    Returns:
        str | None: The message (its first line names what is at fault), or
        None if ``err`` is not a user's mistake and its traceback matters.
    """
    if isinstance(err, KeyError):
        message = str(err.args[0]) if err.args else ''
        if re.search(r'is not in the [\w: ]*registry', message) is None:
            return None
        return _clean(hint_for_missing(message))
    if (isinstance(err, _FILE_ERRORS) and isinstance(err.filename, str)
            and err.strerror):
        # open()'s "[Errno 2] No such file or directory: 'x.py'"
        where = ('' if osp.isabs(err.filename) else
                 f' (relative to {os.getcwd()})')
        return f'{err.strerror}: {err.filename}{where}. Check the path.'
    if isinstance(err, (UserInputError, ) + _FILE_ERRORS):
        return _clean(str(err) or repr(err))
    if isinstance(err, (AssertionError, RuntimeError)) and _NO_CUDA.search(
            str(err)):
        return ('CUDA was asked for but is not available here (torch said: '
                f'{_clean(str(err)).splitlines()[0]}); use --device cpu, or '
                'a machine with a GPU and a CUDA build of torch.')
    return None


def _clean(message: str) -> str:
    """Drop what only a traceback reader needs from an error message.

    A DataLoader worker's error arrives with the worker's traceback in its
    message ("Caught X in DataLoader worker process 0. Original Traceback
    ..."): its last line is the original message. mmengine prefixes a
    constructor's error with ``class `Name` in module:``, dropped where the
    message names the class itself.
    """
    message = message.strip()
    if 'Original Traceback (most recent call last)' in message:
        # The traceback ends with "module.ErrorType: the original message".
        raised = list(_RAISED_LINE.finditer(message))
        if raised:
            message = message[raised[-1].end():].strip()
    return _BUILD_PREFIX.sub('', message)


def run_cli(main: Callable[[], Any],
            argv: Optional[Sequence[str]] = None) -> int:
    """Run a tool's ``main``; report a user's mistake as one line.

    Args:
        main (Callable): The tool's entry point; it reads ``sys.argv`` itself
            and may return an exit status.
        argv (Sequence[str], optional): Where to look for ``--debug``.
            Defaults to ``sys.argv[1:]``.

    Returns:
        int: ``main``'s exit status (0 when it returns None), or
        :data:`EXIT_USER_ERROR` after printing a user's mistake.

    Raises:
        Exception: Whatever ``main`` raised that is not a user's mistake, and
            everything when debugging is requested (:func:`debug_requested`).
    """
    try:
        with with_name_hint():
            status = main()
    except Exception as err:  # noqa: B902 - sorted below, bugs re-raised
        message = user_error_message(err)
        if message is None or debug_requested(argv):
            raise
        prog = osp.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ''
        print(f'{prog or "cbad"}: error: {message}', file=sys.stderr)
        return EXIT_USER_ERROR
    finally:
        _close_process_group()
    return 0 if status is None else int(status)


def _close_process_group() -> None:
    """Destroy the distributed process group a tool left open, if any.

    Left to the interpreter's exit, gloo's threads can be torn down in an
    order that aborts the process ("terminate called without an active
    exception", SIGABRT; seen once in CI's two-process ``tools/test.py``
    run after every metric was written). torch is not imported for this.
    """
    dist = sys.modules.get('torch.distributed')
    if dist is not None and dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def add_config_arguments(parser: argparse.ArgumentParser,
                         example: str = 'train_cfg.max_epochs=2',
                         trust_what: str = 'the checkpoint') -> None:
    """``--cfg-options`` (config overrides, ``example`` in the help) and
    ``--trust-checkpoint`` (a full unpickle of ``trust_what``), the two
    options every tool that builds a runner has."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help=f'override config keys, e.g. {example}')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help=f'allow a full unpickle of {trust_what} (runs code; only for '
        'files you trust)')
