"""Exceptions for mistakes in what a user gave cbad (paths, data, options).

A :class:`UserInputError` is an ordinary, fixable mistake: its message names
the file or value at fault, what was expected and what to do, so the command
line tools can print it as one line instead of a traceback. Bugs in cbad keep
raising whatever they raise.

The subclasses also derive from the built-in exception a caller would catch
for the same problem (``FileNotFoundError`` for missing data, ``OSError`` for
an unreadable file), so ``except FileNotFoundError`` keeps working.
"""


class UserInputError(ValueError):
    """A user's mistake: bad data, a bad path or a bad option value."""


class DataNotFoundError(UserInputError, FileNotFoundError):
    """Expected data (a data root, a video folder, a label file) is missing."""


class CorruptDataError(UserInputError, OSError):
    """A data file exists but cannot be read: undecodable, truncated, or a
    symbolic link that loops or points nowhere."""


__all__ = ['UserInputError', 'DataNotFoundError', 'CorruptDataError']
