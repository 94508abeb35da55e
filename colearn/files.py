"""Safe file output: every file colearn writes appears whole or not at all.

A file is written to a temporary name in its own folder and moved into place with
:func:`os.replace`, which is atomic on POSIX and Windows: a kill, a full disk or an exception
leaves the previous file as it was and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from colearn.errors import ConfigError

__all__ = ["atomic_path", "inside", "write_atomic", "write_text_atomic"]


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
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp_path)`` and move the result onto ``path`` (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp:
        write(tmp)
    return Path(path)


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def inside(folder: str | Path, name: str) -> Path:
    """``folder / name``, refused when it would lie outside ``folder`` (``..``, absolute names).

    Names that come from data (a study's name, a table's ``study`` column) become output paths;
    this keeps a hostile name from writing anywhere else.

    Raises
    ------
    ConfigError
        When ``name`` is empty or the resolved path leaves ``folder``.

    Examples
    --------
    >>> inside("reports", "synthetic").as_posix()
    'reports/synthetic'
    """
    base = Path(folder)
    path = base / name
    root = base.resolve()
    if (
        not name
        or name in (".", "..")
        or not path.resolve().is_relative_to(root)
        or path.resolve() == root
    ):
        raise ConfigError(
            f"the name {name!r} would write outside {str(base)!r}; names may hold letters, digits, "
            "'.', '_' and '-', and no path separators."
        )
    return path
