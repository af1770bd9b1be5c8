"""Run directories on disk: the format, and how a run is saved, checkpointed and loaded.

A run directory holds::

    run.json         configs (network, task, training), seed, versions, UTC times, status,
                     and the SHA-256 of every npz file below
    params.npz       final and initial parameters, masks, Adam state   (complete runs)
    history.npz      loss, grad_norm per step; eval_step, val_loss, val_accuracy
    checkpoint.npz   everything needed to continue exactly              (while training)
    figures/         written by the CLI (:func:`purernn.figures.write_figures`)

Only arrays and JSON are written; npz files are read with ``allow_pickle=False``. Every
file is written to a temporary file in the same directory and moved into place with
``os.replace`` (:func:`purernn._files.write_files`), all the data files before
``run.json``, so a crash while saving leaves the previous files intact. A file that is missing, truncated, corrupt, edited by hand or not
matching its recorded checksum raises :class:`~purernn.errors.RunFileError` naming it.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import platform
import zipfile
from pathlib import Path
from types import MappingProxyType

import numpy as np

from ._files import json_bytes, npz_bytes, sha256, to_jsonable, utc_now, write_files
from . import tasks
from ._validate import fail
from .config import TrainConfig
from .errors import RunFileError, ValidationError
from .model import PARAM_NAMES, Network, NetworkConfig
from .optim import AdamState
from .results import RunState, TrainResult

__all__ = [
    "RUN_JSON",
    "PARAMS_FILE",
    "HISTORY_FILE",
    "CHECKPOINT_FILE",
    "FIGURES_DIR",
    "save_run",
    "load_run",
    "read_run_json",
    "load_state",
    "RunWriter",
]

logger = logging.getLogger(__name__)

RUN_JSON = "run.json"
PARAMS_FILE = "params.npz"
HISTORY_FILE = "history.npz"
CHECKPOINT_FILE = "checkpoint.npz"
FIGURES_DIR = "figures"
FORMAT = "purernn-run"
FORMAT_VERSION = 1
STATUSES = ("running", "interrupted", "diverged", "complete")
HISTORY_KEYS = ("loss", "grad_norm", "eval_step", "val_loss", "val_accuracy")


# ---------------------------------------------------------------------------------------
# run.json
# ---------------------------------------------------------------------------------------


def _versions() -> dict:
    import numba
    import scipy

    from . import __version__

    return {
        "purernn": __version__,
        "numpy": np.__version__,
        "numba": numba.__version__,
        "scipy": scipy.__version__,
        "python": platform.python_version(),
    }


def _meta(net_config: NetworkConfig, task, config: TrainConfig, *, status: str, step: int,
          created: str, files: dict, result: TrainResult | None = None, error: str | None = None) -> dict:
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "status": status,
        "step": int(step),
        "task": task.to_dict(),
        "network": net_config.to_dict(),
        "train": config.to_dict(),
        "seed": config.seed,
        "versions": _versions(),
        "created_utc": created,
        "updated_utc": utc_now(),
        "files": files,
    }
    if result is not None:
        meta["result"] = {
            "n_steps": result.n_steps,
            "best_step": result.best_step,
            "stop_reason": result.stop_reason,
            "wall_time": result.wall_time,
            "val_accuracy": to_jsonable(float(result.val_accuracy)),
            "val_loss": to_jsonable(float(result.val_loss)),
            "target_accuracy": result.target_accuracy,
            "reached_criterion": bool(result.reached_criterion),
        }
    if error is not None:
        meta["error"] = error
    return meta


def _bad(path: Path, what: str) -> RunFileError:
    return RunFileError(f"{str(path)!r}: {what}")


def read_run_json(path) -> dict:
    """The parsed ``run.json`` of run directory `path`, with its structure checked.

    Raises
    ------
    RunFileError
        Missing directory or file, invalid JSON, or missing / mistyped entries.
    """
    path = Path(path)
    if not path.is_dir():
        raise RunFileError(f"{str(path)!r} is not a run directory (it does not exist or is a file).")
    file = path / RUN_JSON
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _bad(file, "missing; this directory does not hold a purernn run") from None
    except (OSError, UnicodeDecodeError) as err:
        raise _bad(file, f"cannot be read ({err})") from err
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as err:
        raise _bad(file, f"is not valid JSON ({err}); was it truncated or edited by hand?") from err
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _bad(file, f"is not a purernn run file (no \"format\": {FORMAT!r})")
    if meta.get("format_version") != FORMAT_VERSION:
        raise _bad(file, f"has format_version {meta.get('format_version')!r}; this purernn reads "
                   f"version {FORMAT_VERSION}")
    expected = {"status": str, "step": int, "task": dict, "network": dict, "train": dict,
                "files": dict, "created_utc": str}
    for key, typ in expected.items():
        if not isinstance(meta.get(key), typ) or isinstance(meta.get(key), bool):
            raise _bad(file, f"entry {key!r} must be a {typ.__name__}; got {meta.get(key)!r}")
    if meta["status"] not in STATUSES:
        raise _bad(file, f"entry 'status' must be one of {', '.join(STATUSES)}; got {meta['status']!r}")
    return meta


def _configs(path: Path, meta: dict):
    """(NetworkConfig, Task, TrainConfig) from a checked run.json."""
    file = path / RUN_JSON
    try:
        net_config = NetworkConfig(**meta["network"])
    except (TypeError, ValidationError) as err:
        raise _bad(file, f"entry 'network' is not a valid network configuration ({err})") from err
    task_d = dict(meta["task"])
    try:
        task = tasks.make(task_d.pop("name", None), **task_d)
    except (TypeError, ValidationError) as err:
        raise _bad(file, f"entry 'task' is not a valid task ({err})") from err
    try:
        config = TrainConfig.from_dict(meta["train"])
    except (TypeError, ValidationError) as err:
        raise _bad(file, f"entry 'train' is not a valid TrainConfig ({err})") from err
    if config.seed is None:
        raise _bad(file, "entry 'train' has no seed; the run cannot be reproduced")
    if (task.n_in, task.n_out) != (net_config.n_in, net_config.n_out):
        raise _bad(file, f"the task ({task.n_in} inputs, {task.n_out} outputs) and the network "
                   f"({net_config.n_in}, {net_config.n_out}) disagree")
    return net_config, task, config


def _read_npz(path: Path, meta: dict, name: str) -> dict:
    """Arrays of ``path / name``, checked against the checksum recorded in run.json."""
    file = path / name
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise _bad(file, f"missing (run.json, status {meta['status']!r}, refers to it)") from None
    except OSError as err:
        raise _bad(file, f"cannot be read ({err})") from err
    recorded = meta["files"].get(name)
    if recorded != sha256(data):
        raise _bad(file, "does not match the SHA-256 recorded in run.json; it was truncated, "
                   "corrupted or edited by hand (or written by an interrupted save)")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as err:
        raise _bad(file, f"is not a readable npz archive of plain arrays ({err})") from err


def _arrays_error(file: Path, err: Exception) -> RunFileError:
    if isinstance(err, KeyError):
        return _bad(file, f"lacks the array {err.args[0]!r}")
    return _bad(file, f"holds inconsistent arrays ({err})")


# ---------------------------------------------------------------------------------------
# The writer used during training
# ---------------------------------------------------------------------------------------


def _check_target_dir(path: Path, overwrite: bool) -> list:
    """Refuse to write into a directory that already holds a run unless `overwrite`.

    Returns the run files present (with `overwrite`, the caller replaces them
    atomically, or removes them once the new run's first files are safely written).
    """
    if path.exists() and not path.is_dir():
        raise RunFileError(f"{str(path)!r} exists and is not a directory.")
    ours = [RUN_JSON, PARAMS_FILE, HISTORY_FILE, CHECKPOINT_FILE]
    present = [n for n in ours if (path / n).exists()]
    if present and not overwrite:
        raise RunFileError(
            f"{str(path)!r} already holds a run ({', '.join(present)}); it is never overwritten "
            "silently. Choose another directory, resume it (purernn resume), or pass "
            "overwrite=True (CLI: --overwrite)."
        )
    if present:
        logger.warning("overwriting the run in %s", path)
    path.mkdir(parents=True, exist_ok=True)
    return present


def _remove_stale(path: Path, names) -> None:
    """Delete files of a replaced run that the new run does not write (and old figures)."""
    for n in names:
        with contextlib.suppress(FileNotFoundError):
            (path / n).unlink()
    figures = path / FIGURES_DIR
    if figures.is_dir():
        for f in figures.glob("*.png"):
            f.unlink()


class RunWriter:
    """Writes the checkpoints and the final files of one run directory.

    Made by :meth:`create` (a new run) or :meth:`open` (continuing a saved one); the
    training loop calls :meth:`checkpoint`, :meth:`mark_diverged` and :meth:`finish`.
    """

    def __init__(self, path: Path, net_config: NetworkConfig, task, config: TrainConfig,
                 created: str, last_checkpoint_step: int | None = None, files: dict | None = None):
        self.path = path
        self.net_config = net_config
        self.task = task
        self.config = config
        self.created = created
        self.last_checkpoint_step = last_checkpoint_step
        self._files: dict = dict(files or {})
        self._stale: list = []  # files of an overwritten run, removed after the first checkpoint

    @classmethod
    def create(cls, path, net: Network, task, config: TrainConfig, *, overwrite: bool) -> "RunWriter":
        """A writer for a new run in `path` (refused if a run is there, unless `overwrite`)."""
        path = Path(path)
        present = _check_target_dir(path, overwrite)
        writer = cls(path, net.config, task, config, utc_now())
        writer._stale = [n for n in present if n in (PARAMS_FILE, HISTORY_FILE)]
        return writer

    @classmethod
    def open(cls, path) -> tuple[RunState, "RunWriter"] | None:
        """The saved state of an unfinished run and a writer to continue it.

        Returns None when the run in `path` is already complete.
        """
        path = Path(path)
        meta = read_run_json(path)
        if meta["status"] == "complete":
            return None
        net_config, task, config = _configs(path, meta)
        state = load_state(path, meta, net_config, task, config)
        writer = cls(path, net_config, task, config, str(meta["created_utc"]),
                     last_checkpoint_step=state.step, files=meta["files"])
        return state, writer

    def _write_meta(self, status: str, step: int, extra_files: dict, **kw) -> None:
        meta = _meta(self.net_config, self.task, self.config, status=status, step=step,
                     created=self.created, files=self._files, **kw)
        write_files(self.path, {**extra_files, RUN_JSON: json_bytes(meta)})

    def checkpoint(self, state: RunState, status: str = "running") -> None:
        """Save `state` as ``checkpoint.npz`` and record it in run.json."""
        data = npz_bytes(state.to_arrays())
        self._files = {CHECKPOINT_FILE: sha256(data)}
        self._write_meta(status, state.step, {CHECKPOINT_FILE: data})
        self.last_checkpoint_step = state.step
        if self._stale:
            _remove_stale(self.path, self._stale)
            self._stale = []
        logger.debug("checkpoint at step %d in %s", state.step, self.path)

    def mark_diverged(self, error: str) -> None:
        """Record the divergence in run.json; the last checkpoint stays as it is."""
        self._write_meta("diverged", self.last_checkpoint_step or 0, {}, error=error)

    def finish(self, result: TrainResult) -> None:
        """Write the final files and drop the checkpoint."""
        _write_complete(self.path, result, self.created)


# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------


def _params_arrays(result: TrainResult) -> dict:
    out = {}
    for k in PARAM_NAMES:
        out[k] = np.asarray(result.net.params[k])
    for k in PARAM_NAMES:
        out["init_" + k] = np.asarray(result.net_init.params[k])
    if result.net.rec_mask is not None:
        out["rec_mask"] = result.net.rec_mask
    if result.net.out_mask is not None:
        out["out_mask"] = result.net.out_mask
    out.update(result.optimizer_state.to_arrays())
    return out


def _write_complete(path: Path, result: TrainResult, created: str) -> None:
    params = npz_bytes(_params_arrays(result))
    history = npz_bytes({k: np.asarray(result.history[k]) for k in HISTORY_KEYS})
    files = {PARAMS_FILE: sha256(params), HISTORY_FILE: sha256(history)}
    meta = _meta(result.net.config, result.task, result.config, status="complete",
                 step=result.n_steps, created=created, files=files, result=result)
    write_files(path, {PARAMS_FILE: params, HISTORY_FILE: history, RUN_JSON: json_bytes(meta)})
    with contextlib.suppress(FileNotFoundError):
        (path / CHECKPOINT_FILE).unlink()


def save_run(path, result: TrainResult, *, overwrite: bool = False) -> Path:
    """Save a finished training run to directory `path`.

    Parameters
    ----------
    path : str or path-like
        The run directory (created if needed).
    result : TrainResult
        From :func:`purernn.train`.
    overwrite : bool
        Replace a run already in `path` (otherwise :class:`RunFileError`).

    Returns
    -------
    pathlib.Path
        The run directory.

    Notes
    -----
    Writes ``params.npz`` (final and initial parameters, masks, Adam state),
    ``history.npz`` and ``run.json``, each atomically (temporary file + ``os.replace``).
    """
    if not isinstance(result, TrainResult):
        fail("result", "a purernn.TrainResult (from pr.train)", type(result).__name__)
    path = Path(path)
    _check_target_dir(path, overwrite)
    _write_complete(path, result, utc_now())
    return path


def load_run(path) -> TrainResult:
    """Load a run directory written by :func:`save_run`, :func:`purernn.train` or the CLI.

    A run still in progress, interrupted (Ctrl-C) or diverged is loaded from its last
    checkpoint: ``result.net`` then holds the checkpoint's current parameters and
    ``result.stop_reason`` is ``"interrupted"`` or ``"diverged"``.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    TrainResult

    Raises
    ------
    RunFileError
        A file is missing, truncated, corrupt, edited by hand or inconsistent; the
        message names the file.
    """
    path = Path(path)
    meta = read_run_json(path)
    net_config, task, config = _configs(path, meta)
    if meta["status"] != "complete":
        state = load_state(path, meta, net_config, task, config)
        state.stop_reason = "diverged" if meta["status"] == "diverged" else "interrupted"
        return state.result(current=True)  # where training stands: what resume continues

    file = path / PARAMS_FILE
    arrays = _read_npz(path, meta, PARAMS_FILE)
    try:
        masks = {k: arrays[k] for k in ("rec_mask", "out_mask") if k in arrays}
        net = Network(net_config, {k: arrays[k] for k in PARAM_NAMES}, **masks)
        net_init = Network(net_config, {k: arrays["init_" + k] for k in PARAM_NAMES}, **masks)
        state = AdamState.from_arrays(arrays, net.params)
    except (KeyError, ValidationError) as err:
        raise _arrays_error(file, err) from err
    hfile = path / HISTORY_FILE
    harrays = _read_npz(path, meta, HISTORY_FILE)
    try:
        history = {k: np.array(harrays[k]) for k in HISTORY_KEYS}
    except KeyError as err:
        raise _arrays_error(hfile, err) from err
    for a in history.values():
        a.flags.writeable = False
    res = meta.get("result")
    file = path / RUN_JSON
    try:
        n_steps = int(res["n_steps"])
        if history["loss"].shape != (n_steps,):
            raise _bad(hfile, f"holds {history['loss'].shape} losses for a run of {n_steps} steps")
        return TrainResult(
            net=net, net_init=net_init, history=MappingProxyType(history), config=config, task=task,
            n_steps=n_steps, best_step=int(res["best_step"]), stop_reason=str(res["stop_reason"]),
            wall_time=float(res["wall_time"]),
            val_accuracy=math.nan if res["val_accuracy"] is None else float(res["val_accuracy"]),
            val_loss=math.nan if res["val_loss"] is None else float(res["val_loss"]),
            optimizer_state=state,
        )
    except (TypeError, KeyError, ValueError) as err:
        raise _bad(file, f"entry 'result' is missing or malformed ({err!r})") from err


def load_state(path, meta: dict, net_config, task, config) -> RunState:
    """The :class:`RunState` saved in the checkpoint of run directory `path`."""
    path = Path(path)
    file = path / CHECKPOINT_FILE
    arrays = _read_npz(path, meta, CHECKPOINT_FILE)
    try:
        return RunState.from_arrays(arrays, net_config, task, config)
    except (KeyError, ValidationError, TypeError, ValueError) as err:
        raise _arrays_error(file, err) from err
