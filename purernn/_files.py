"""Small file helpers, one of each: atomic writes, exclusive lock files, UTC time stamps,
SHA-256, JSON coercion.

Everything purernn writes to disk (run directories, study databases' side files,
analysis summaries, figures) goes through :func:`write_files` or one of its wrappers, so
that a crash or a kill while saving leaves the previous file intact: each file is written
under a temporary name in the same directory (``.NAME.XXXXXXXX.tmp``), flushed to disk,
and moved into place with ``os.replace`` (atomic on POSIX and Windows). Files are created
with mode ``0o666`` minus the user's umask, like those of any other tool (so lab-mates
can read shared runs when the umask allows it). A temporary file is removed when its
write fails; one left by a killed process is removed by :func:`remove_temp_files`.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import hashlib
import io
import json
import logging
import math
import os
import secrets
import socket
import sys
import time
from pathlib import Path

import numpy as np

__all__ = [
    "utc_now",
    "sha256",
    "to_jsonable",
    "json_bytes",
    "npz_bytes",
    "write_files",
    "write_bytes",
    "write_text",
    "write_json",
    "commit_files",
    "remove_temp_files",
    "exclusive_lock",
    "describe_holder",
]

logger = logging.getLogger(__name__)

#: Suffix of the temporary files of :func:`write_files` (``.NAME.XXXXXXXX.tmp``).
TEMP_SUFFIX = ".tmp"


def utc_now() -> str:
    """The current UTC time as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def sha256(data: bytes) -> str:
    """Hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def to_jsonable(obj):
    """`obj` with NumPy scalars and arrays turned into plain Python, ready for ``json``.

    NaN becomes None and +-inf the strings ``"inf"`` / ``"-inf"`` (JSON has neither);
    complex numbers become ``[real, imag]``; dict keys become strings; tuples lists.

    Examples
    --------
    >>> to_jsonable({"a": np.arange(2), 1: np.float32(0.5), "c": 1 + 2j, "n": float("nan")})
    {'a': [0, 1], '1': 0.5, 'c': [1.0, 2.0], 'n': None}
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        if math.isnan(v):
            return None
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if isinstance(obj, (complex, np.complexfloating)):
        return [to_jsonable(obj.real), to_jsonable(obj.imag)]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def json_bytes(obj, *, indent: int | None = 2) -> bytes:
    """`obj` (after :func:`to_jsonable`) as ASCII JSON text with a final newline."""
    return (json.dumps(to_jsonable(obj), indent=indent, allow_nan=False) + "\n").encode("ascii")


def npz_bytes(arrays: dict) -> bytes:
    """An uncompressed ``.npz`` archive of plain arrays, in memory."""
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _rename(tmp: Path, final: Path) -> None:
    """The one rename of every write (a test replaces it to kill a save after a rename)."""
    os.replace(tmp, final)


def _stage(path: Path, data: bytes) -> Path:
    """Write `data` to a new temporary file next to `path`, flushed to disk.

    Created with ``os.open(..., 0o666)``, so the kernel applies the umask (mkstemp would
    make every file 0600).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
        try:
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:  # pragma: no cover - a 1 in 4e9 name clash
            continue
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):  # makes the renames durable (not on every OS)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_files(directory, files: dict) -> None:
    """Atomically replace each ``directory / name`` by its bytes, in the dict's order.

    All files are staged (written and fsynced under temporary names) before the first is
    moved into place, so an error while writing leaves every previous file as it was.
    When one file refers to the others (a manifest), put it last.

    Parameters
    ----------
    directory : str or path-like
        Created if needed.
    files : dict of str -> bytes
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    staged = []
    try:
        for name, data in files.items():
            staged.append((_stage(directory / name, data), directory / name))
        for tmp, final in staged:
            _rename(tmp, final)
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)  # only left over if something failed before its rename
    _fsync_dir(directory)


def write_bytes(path, data: bytes) -> Path:
    """Atomically write `data` to `path` (parent folders created); returns the path."""
    path = Path(path)
    write_files(path.parent, {path.name: data})
    return path


def write_text(path, text: str) -> Path:
    """Atomically write UTF-8 `text` to `path`."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path, obj, *, indent: int | None = 2) -> Path:
    """Atomically write `obj` as JSON (NumPy values converted by :func:`to_jsonable`)."""
    return write_bytes(path, json_bytes(obj, indent=indent))


def _hashed_name(name: str, data: bytes) -> str:
    stem, dot, ext = name.partition(".")
    return f"{stem}-{sha256(data)[:12]}{dot}{ext}"


def commit_files(directory, data: dict, manifest: str, make_manifest, named: dict, *,
                 keep: bool = False) -> dict:
    """Write files and then the manifest naming them: its rename is the one commit point.

    Parameters
    ----------
    directory : path-like
    data : dict of str -> bytes
        The new files.
    manifest : str
        Name of the manifest file (e.g. ``"run.json"``).
    make_manifest : callable
        ``make_manifest(files)`` -> the manifest's bytes, where `files` maps the name of
        every file it must name to its SHA-256.
    named : dict of str -> str or None
        The files the current manifest names (None: SHA-256 unknown).
    keep : bool
        The new manifest also names the old files (for a manifest-only save).

    Returns
    -------
    dict
        The files the new manifest names.

    Notes
    -----
    The files of `data` are moved into place first, then the manifest; only after that
    are the files that only the old manifest named deleted. A file the current manifest
    names is never replaced by other bytes: if one of `data` would be, the new files are
    first committed under other names (``NAME-<hash>.EXT``), then under their own. So a
    kill at any instruction leaves the old manifest with all its files, or the new one.
    """
    directory = Path(directory)
    new = {n: sha256(b) for n, b in data.items()}
    clash = [n for n in data if named.get(n, new[n]) != new[n]]
    if clash:
        renamed = {(_hashed_name(n, b) if n in clash else n): b for n, b in data.items()}
        named = commit_files(directory, renamed, manifest, make_manifest, named, keep=keep)
    files = {**(named if keep else {}), **new}
    write_files(directory, {**data, manifest: make_manifest(files)})
    for name in named:
        if name not in files:
            with contextlib.suppress(OSError):
                (directory / name).unlink()
    return files


def remove_temp_files(directory, targets=("*",), *, older_than: float | None = None) -> list:
    """Remove the temporary files :func:`write_files` left in `directory` (killed writes).

    Parameters
    ----------
    directory : str or path-like
    targets : sequence of str
        Glob patterns of the files whose temporary files to remove (``"run.json"``,
        ``"checkpoint*.npz"``); only the temporary files of writes that cannot be under
        way (the caller holds the lock of their writer) should be named.
    older_than : float, optional
        Only remove temporary files not modified for this many seconds.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    directory = Path(directory)
    removed = []
    now = time.time()
    for pattern in targets:
        for tmp in directory.glob(f".{pattern}.*{TEMP_SUFFIX}"):
            try:
                if older_than is not None and now - tmp.stat().st_mtime < older_than:
                    continue
                tmp.unlink()
            except OSError:
                continue
            removed.append(tmp)
    if removed:
        logger.info("removed %d temporary file(s) left by an interrupted write in %s", len(removed), directory)
    return removed


# ---------------------------------------------------------------------------------------
# Exclusive lock files
# ---------------------------------------------------------------------------------------

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None


def _holder_bytes() -> bytes:
    prog = os.path.basename(sys.argv[0] or "python")
    if prog == "__main__.py":  # python -m purernn
        prog = os.path.basename(os.path.dirname(sys.argv[0]))
    return json_bytes({"pid": os.getpid(), "host": socket.gethostname(), "since_utc": utc_now(),
                       "command": " ".join([prog, *sys.argv[1:]])}, indent=None)


def _read_holder(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096).decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def describe_holder(info: dict) -> str:
    """``pid 123 on host since 2024-01-01T00:00:00Z (purernn train ...)`` from a lock file."""
    if not info.get("pid"):
        return "an unknown process"
    text = f"pid {info.get('pid')} on {info.get('host', '?')} since {info.get('since_utc', '?')}"
    return text + (f" ({info['command']})" if info.get("command") else "")


def _pid_alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0 or os.name != "posix":
        return True  # cannot tell: assume it runs
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


#: flock errors of file systems without it (some network file systems)
_NO_FLOCK = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL}


def _lock_flock(path: Path, wait: bool):
    """(fd, None) with the lock held, (None, holder info), or None when the file system
    does not support flock."""
    while True:
        try:
            fd, created = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666), True
        except FileExistsError:
            try:
                fd, created = os.open(path, os.O_RDWR), False
            except FileNotFoundError:
                continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            return None, holder
        except OSError as err:
            os.close(fd)
            if err.errno not in _NO_FLOCK:
                raise
            if created:
                with contextlib.suppress(OSError):
                    os.unlink(path)
            return None
        except BaseException:
            os.close(fd)
            raise
        # the previous holder removes the file on release: if it did so between our
        # open() and flock(), we hold a lock on a file nobody else will open; try again
        try:
            st, own = os.stat(path), os.fstat(fd)
            current = (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)
        except FileNotFoundError:
            current = False
        if current:
            return fd, None
        os.close(fd)


def _lock_exclusive_create(path: Path, wait: bool):
    """The same without fcntl: O_CREAT | O_EXCL, a lock of a dead process on this host is stale."""
    while True:
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666), None
        except FileExistsError:
            pass
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        holder = _read_holder(fd)
        os.close(fd)
        if holder.get("host") == socket.gethostname() and not _pid_alive(holder.get("pid")):
            logger.info("removing the stale lock %s of %s (no longer running)", path, describe_holder(holder))
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            continue
        if not wait:
            return None, holder
        time.sleep(0.2)


@contextlib.contextmanager
def exclusive_lock(path, *, wait: bool = False, on_held=None):
    """Hold the lock file `path` for the ``with`` block: one holder at a time.

    Parameters
    ----------
    path : str or path-like
        The lock file (created; removed again on release). It records the holder (pid,
        host, time, command) for the message another process gets.
    wait : bool
        Wait for the holder to release it (default: fail at once).
    on_held : callable, optional
        ``on_held(holder_info: dict)`` returns the exception to raise when the lock is
        held (default: ``BlockingIOError``).

    Notes
    -----
    With ``fcntl.flock`` (POSIX) the operating system releases the lock when its holder
    exits in any way, even killed, so a lock file left by a dead process is simply taken
    over. Without fcntl (or on a file system without flock) the file is created with
    ``O_CREAT | O_EXCL`` and a lock of a process that no longer runs on this host is
    removed.
    """
    path = Path(path)
    got = _lock_flock(path, wait) if fcntl is not None else None
    fd, holder = got if got is not None else _lock_exclusive_create(path, wait)
    if fd is None:
        err = on_held(holder) if on_held is not None else None
        raise err or BlockingIOError(f"{str(path)!r} is locked by {describe_holder(holder)}")
    try:
        with contextlib.suppress(OSError):  # the holder's name is a courtesy (a full disk)
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, _holder_bytes())
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)  # before the release, see _lock_flock
        os.close(fd)
