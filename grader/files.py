"""Writing files safely: every file the grader writes goes through `atomic_write`.

A temporary file is named `.<name>.<pid>-<host>.<random>.tmp` (`host`: 8 hex digits of the host name's SHA-256),
so a later run can tell one left by a killed writer (`remove_stale_temps`) from one a live run is writing.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import socket
import tempfile
import time
from pathlib import Path

#: A temporary file whose writer cannot be checked is stale after this many seconds: a write takes far less.
TEMP_MAX_AGE = 3600.0
# Ours, with the writer's pid and host, or (written before they were named) without; the random part is mkstemp's.
_TEMP = re.compile(r"\.(?P<name>.+?)(?:\.(?P<pid>\d+)-(?P<host>[0-9a-f]{8}))?\.[a-z0-9_]{8}\.tmp", re.DOTALL)


@functools.lru_cache(maxsize=1)
def _umask() -> int:
    mask = os.umask(0o22)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


@functools.lru_cache(maxsize=1)
def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it into place: readers see the old file or
    the new one, never half of one. The file gets the usual permissions (0666 less the umask; mkstemp's 0600
    would hide reports and a shared cache from other users)."""
    name = path.name.encode()[:150].decode(errors="ignore")  # the temporary name stays under 255 bytes
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{name}.{os.getpid()}-{_host()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_stale_temps(folder: str | Path, max_age: float = TEMP_MAX_AGE) -> list[Path]:
    """Delete the temporary files `atomic_write` left directly in `folder` (a run killed mid-write). One written on
    this host is stale when its writer's pid is no longer running (a live run's are kept, however old); one from
    another host (a shared folder) or without a pid, when older than `max_age` seconds. Only regular files named
    like ours are touched. Best effort: a file that cannot be removed is left. Returns the paths removed."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    removed = []
    now = time.time()
    for entry in entries:
        m = _TEMP.fullmatch(entry.name)
        try:
            if m is None or not entry.is_file(follow_symlinks=False):
                continue
            keep = _running(int(m["pid"])) if m["host"] == _host() else None
            if keep is None:  # another host's, no pid, or no way to check one: only its age tells
                keep = now - entry.stat(follow_symlinks=False).st_mtime <= max_age
            if not keep:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:  # gone already (another run swept it), or not ours to remove
            continue
    return removed


def _running(pid: int) -> bool | None:
    """Whether process `pid` exists on this host; None when that cannot be checked."""
    if os.name != "posix" or not 0 < pid < 2**31:  # on Windows os.kill(pid, 0) would terminate the process
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, another user's
        return True
    return True
