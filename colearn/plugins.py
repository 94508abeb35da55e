"""Find user code that a study file names: a ``package.module:attr`` reference or an entry point.

A study may name its own model (``[model] kind``) or data source (``[data] source``) instead of a
built-in one, in either of two forms:

- ``"package.module:Name"`` (``Name`` may be dotted, ``"package.module:Outer.Inner"``): the
  module is imported with :func:`importlib.import_module` and the attribute looked up.  The module
  must already be importable: installed, or on ``PYTHONPATH`` (``PYTHONPATH=. colearn run
  my-study.toml`` for a module beside the study).  colearn never adds the study's folder or the
  working directory to the import path, so a study file can only name code that is already
  installed or that the user put on the path.
- a plain name such as ``"mynet"``: an entry point of that name in a group
  (:data:`MODEL_GROUP` for models, :data:`SOURCE_GROUP` for data sources), which an installed
  package declares in its ``pyproject.toml``::

      [project.entry-points."colearn.models"]
      mynet = "mypackage.models:MyNet"

      [project.entry-points."colearn.sources"]
      mydata = "mypackage.data:load_my_data"

Importing a module runs its code, so name only modules you trust.

Nothing here imports torch: study files are checked (:func:`check_reference`) without the
training stack, and the code is imported (:func:`load_reference`) only where it is used.
"""

from __future__ import annotations

import importlib
import re
from importlib import metadata
from typing import Any

from colearn.errors import ConfigError

__all__ = [
    "MODEL_GROUP",
    "SOURCE_GROUP",
    "check_reference",
    "entry_point_names",
    "first_line",
    "is_reference",
    "load_reference",
]

#: Entry-point group of installed models (``[model] kind = "<name>"``).
MODEL_GROUP = "colearn.models"
#: Entry-point group of installed data sources (``[data] source = "<name>"``).
SOURCE_GROUP = "colearn.sources"

_DOTTED = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
_REFERENCE = re.compile(rf"({_DOTTED}):({_DOTTED})")


def is_reference(text: str) -> bool:
    """Whether ``text`` has the form of a ``package.module:attr`` reference.

    Examples
    --------
    >>> is_reference("mypackage.models:MyNet"), is_reference("eflstm"), is_reference("a:b:c")
    (True, False, False)
    """
    return _REFERENCE.fullmatch(text) is not None


def entry_point_names(group: str) -> list[str]:
    """The names installed packages declare in the entry-point ``group``, sorted.

    Examples
    --------
    >>> entry_point_names("colearn.no-such-group")
    []
    """
    return sorted({ep.name for ep in metadata.entry_points(group=group)})


def check_reference(text: str, group: str, what: str, builtin: tuple[str, ...]) -> str:
    """Return ``text`` when it names a built-in, a well-formed reference or an installed entry point.

    Only the form is checked (nothing is imported), so that reading a study file never runs the
    code it names.

    Parameters
    ----------
    text : str
        The value of the study's key, e.g. ``"mypackage.models:MyNet"``.
    group : str
        Entry-point group searched for a plain name (:data:`MODEL_GROUP`, :data:`SOURCE_GROUP`).
    what : str
        What is named, for the message: ``"model"``, ``"data source"``.
    builtin : tuple of str
        The built-in names.

    Raises
    ------
    ConfigError
        When ``text`` is none of the three, in one sentence listing what would be valid.
    """
    if text in builtin or is_reference(text) or text in entry_point_names(group):
        return text
    raise _unknown(text, group, what, builtin)


def _unknown(text: str, group: str, what: str, builtin: tuple[str, ...]) -> ConfigError:
    names = [*builtin, *entry_point_names(group)]
    valid = f"{', '.join(names)}, or " if names else ""
    return ConfigError(
        f"unknown {what} {text!r}; valid: {valid}your own as 'package.module:Name' or as an "
        f"installed '{group}' entry point."
    )


def load_reference(text: str, group: str, what: str, builtin: tuple[str, ...] = ()) -> Any:
    """Import the object that ``text`` names: a ``module:attr`` reference or an entry point.

    Parameters
    ----------
    text : str
        ``"package.module:Name"`` or the name of an entry point in ``group``.
    group : str
        Entry-point group searched for a plain name.
    what : str
        What is named, for messages: ``"model"``, ``"data source"``.
    builtin : tuple of str
        The built-in names, listed in the message when ``text`` names nothing.

    Returns
    -------
    object
        The attribute named (a class, a function; callers check which they need).

    Raises
    ------
    ConfigError
        When the module cannot be imported (or raises while importing), it has no such
        attribute, the plain name is no installed entry point, or several packages declare it.

    Examples
    --------
    >>> load_reference("collections:OrderedDict", "colearn.models", "model").__name__
    'OrderedDict'
    """
    match = _REFERENCE.fullmatch(text)
    if match is not None:
        module_name, attr_path = match.groups()
    else:
        found = [ep for ep in metadata.entry_points(group=group) if ep.name == text]
        if not found:
            raise _unknown(text, group, what, builtin)
        if len({ep.value for ep in found}) > 1:
            values = ", ".join(sorted({ep.value for ep in found}))
            raise ConfigError(
                f"{what} {text!r} is declared by several installed packages ({values}); "
                "name the one you mean as 'package.module:Name'."
            )
        module_name, attr_path = found[0].module, found[0].attr
        if not attr_path:
            raise ConfigError(
                f"the '{group}' entry point {text!r} is {found[0].value!r}, which names a "
                "module; it must name a class or function as 'package.module:Name'."
            )
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - any failure while importing user code is bad input
        raise ConfigError(
            f"{what} {text!r} cannot be imported: {type(exc).__name__}: {first_line(exc)} "
            "(the module must be installed or on PYTHONPATH)."
        ) from exc
    for part in attr_path.split("."):
        if not hasattr(obj, part):
            raise ConfigError(
                f"{what} {text!r} names nothing: module '{module_name}' has no {attr_path!r}."
            )
        obj = getattr(obj, part)
    return obj


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, without a final full stop (for one-sentence
    errors that quote it)."""
    text = str(exc).strip()
    return text.splitlines()[0].rstrip(".") if text else "no message"
