"""Small file helpers, one of each: atomic writes, UTC time stamps, JSON coercion.

Everything purernn writes to disk (run directories, study databases' side files,
analysis summaries, figures) goes through :func:`write_files` or one of its wrappers, so
that a crash or a kill while saving leaves the previous file intact: each file is written
under a temporary name in the same directory, flushed to disk, and moved into place with
``os.replace`` (atomic on POSIX and Windows).
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import io
import json
import math
import os
import tempfile
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
]


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


def _stage(path: Path, data: bytes) -> Path:
    """Write `data` to a new temporary file next to `path`, flushed to disk."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return Path(tmp)


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
            os.replace(tmp, final)
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
