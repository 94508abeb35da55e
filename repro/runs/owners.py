"""Who owns a claimed run: a process fingerprint that survives zombies and reused pids.

A sweep records, with each run it claims, its host, its pid and :func:`process_identity` of that
pid.  Another sweep on the same host treats the claim as abandoned when :func:`process_alive`
says the owner is gone: no such process, a zombie (killed but not yet reaped by its parent), or a
different process that has since been given the same pid (its start time differs).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["process_alive", "process_identity"]

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def process_identity(pid: int | None) -> str | None:
    """A fingerprint of the live process ``pid`` that changes when the pid is reused.

    Parameters
    ----------
    pid : int or None

    Returns
    -------
    str or None
        On Linux ``"<boot id>:<start time in clock ticks>"`` from ``/proc``, and None when no
        such process runs or it is a zombie (killed, not yet reaped by its parent).  Elsewhere
        ``""`` for a pid that exists (``os.kill(pid, 0)``; zombies and reused pids cannot be told
        apart there) and None otherwise.
    """
    if not pid or int(pid) <= 0:
        return None
    try:
        stat = Path(f"/proc/{int(pid)}/stat").read_text()
    except FileNotFoundError:
        if Path("/proc/self/stat").exists():
            return None  # Linux, and no such process
        return "" if _pid_exists(int(pid)) else None
    except OSError:
        return "" if _pid_exists(int(pid)) else None
    # the command name (field 2) is in parentheses and may itself hold spaces or parentheses
    fields = stat[stat.rindex(")") + 2 :].split()
    state, start_ticks = fields[0], fields[19]
    if state in ("Z", "X", "x"):
        return None
    try:
        boot = _BOOT_ID.read_text().strip()
    except OSError:
        boot = ""
    return f"{boot}:{start_ticks}"


def process_alive(pid: int | None, identity: str = "") -> bool:
    """Whether process ``pid`` is alive and, when ``identity`` is known, still the same process.

    ``identity`` is what :func:`process_identity` returned for the process when it was
    recorded; a different value now means that the process died and its pid was reused.
    """
    current = process_identity(pid)
    if current is None:
        return False
    return not (identity and current) or current == identity


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True
