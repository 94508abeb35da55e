"""Safe file output: every file colearn writes appears whole or not at all, where it belongs.

A file is written to a temporary name in its own folder, flushed to disk and moved into place
with :func:`os.replace`, which is atomic on POSIX and Windows: a kill, a full disk or an exception
leaves the previous file as it was.  An exception also removes the temporary file; a process
killed outright can leave only a hidden ``.<name>.*.tmp<suffix>`` beside the target.

Names that become parts of paths (studies, settings) are checked with :func:`check_name`, and
output paths built from them with :func:`path_inside`, so that no input can make colearn write
outside the folder it writes into.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from colearn.errors import ColearnError, ConfigError

__all__ = [
    "MAX_NAME",
    "SAFE_NAME",
    "atomic_path",
    "check_name",
    "is_safe_name",
    "path_inside",
    "write_atomic",
    "write_text_atomic",
]


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it onto ``path``.

    The temporary file keeps ``path``'s suffix, so writers that choose a format by suffix
    (pandas, matplotlib) write the right one.  On an exception the temporary file is removed and
    ``path`` is untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> target.read_text()
    'hello'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent
    )
    os.close(fd)
    tmp = Path(name)
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would have
        os.chmod(tmp, _file_mode(path))
        yield tmp
        _flush_to_disk(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _file_mode(path: Path) -> int:
    """The target's permission bits, or for a new file 0666 less the process's umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0o022)  # the only portable way to read the umask is to set it
        os.umask(umask)
        return 0o666 & ~umask


def _flush_to_disk(path: Path) -> None:
    # A full disk may only show when the data are flushed (delayed allocation): flush before the
    # move so that the error surfaces while the previous file is still in place.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp_path)`` and move the result onto ``path`` (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp:
        write(tmp)
    return Path(path)


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


#: A name that may become part of a file or folder name (a study, a setting).
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
#: Longest accepted name; file systems allow 255 bytes and names get prefixes and suffixes.
MAX_NAME = 100


def is_safe_name(name: object) -> bool:
    """Whether ``name`` can be used as one file or folder name on every platform.

    A safe name is 1 to :data:`MAX_NAME` letters, digits, ``.``, ``_`` or ``-``, starts with a
    letter or digit and holds no ``..``; it therefore names no folder other than its own and no
    absolute path.

    Examples
    --------
    >>> is_safe_name("paper-iemocap"), is_safe_name("../x"), is_safe_name("/abs/x")
    (True, False, False)
    """
    return (
        isinstance(name, str)
        and len(name) <= MAX_NAME
        and SAFE_NAME.fullmatch(name) is not None
        and ".." not in name
    )


def check_name(name: object, what: str, error: type[ColearnError] = ConfigError) -> str:
    """Return ``name`` when it is safe as a file name (see :func:`is_safe_name`), else raise.

    Parameters
    ----------
    name : object
        The name to check, e.g. a study or setting name.
    what : str
        What the name is, for the message: ``"study name"``, ``"setting name"``.
    error : type
        The :class:`~colearn.errors.ColearnError` subclass to raise (``ConfigError`` for study
        files and options, ``DataError`` for names read from a table).

    Raises
    ------
    ColearnError
        ``error`` with one sentence naming the bad value and the rule.
    """
    if not is_safe_name(name):
        raise error(
            f"{what} {name!r} cannot be used as a file name; use 1 to {MAX_NAME} letters, "
            "digits, '.', '_' or '-', starting with a letter or digit and without '..'."
        )
    return name


def path_inside(folder: str | Path, *parts: str | Path) -> Path:
    """``folder`` joined with ``parts``, checked to stay inside ``folder`` once resolved.

    Symbolic links and ``..`` are resolved before the check, so neither a name like ``../x``
    nor an absolute part nor a link that points elsewhere can move the path out of ``folder``.

    Parameters
    ----------
    folder : str or pathlib.Path
        The folder the path must stay in (need not exist yet).
    *parts : str or pathlib.Path
        Path components below ``folder``.

    Returns
    -------
    pathlib.Path
        ``Path(folder, *parts)`` as given (relative paths stay relative, for messages).

    Raises
    ------
    ConfigError
        When the resolved path is ``folder`` itself or lies outside it.

    Examples
    --------
    >>> path_inside("reports", "synthetic", "report.md").as_posix()
    'reports/synthetic/report.md'
    """
    base = Path(folder).resolve()
    path = Path(folder).joinpath(*parts)
    resolved = path.resolve()
    if resolved == base or not resolved.is_relative_to(base):
        raise ConfigError(
            f"output path '{path}' resolves to '{resolved}', outside the folder '{folder}'; "
            "choose a name without '..', '/' or links that lead elsewhere."
        )
    return path
