"""What is in a run directory, and is it intact: the format of ``run.json``, and reading
a run back (:func:`load_run`, :func:`load_state`).

A run directory holds::

    run.json         the manifest: configs (network, task, training), seed, versions, UTC
                     times, status, the name and SHA-256 of each npz file of the run, and
                     the SHA-256 of each of its own entries ("entry_sha256")
    params.npz       final and initial parameters, masks, Adam state   (complete runs)
    history.npz      loss, grad_norm per step; eval_step, val_loss, val_accuracy
    checkpoint-<step>-<hash>.npz                                        (while training)
                     everything needed to continue exactly (``checkpoint.npz`` in runs
                     written by purernn 0.1.0, which still load and resume)
    figures/         written by the CLI (:func:`purernn.figures.write_figures`)

Only arrays and JSON are written; npz files are found through the names run.json gives
and read with ``allow_pickle=False``. A file that is missing, truncated, corrupt, edited
by hand or not matching its recorded checksum raises :class:`~purernn.errors.RunFileError`
naming it (for run.json, naming the entries that changed). How runs are written, so that
a kill at any moment leaves a complete state, is in :mod:`purernn.runs`.
"""

from __future__ import annotations

import io
import json
import math
import platform
import zipfile
from pathlib import Path
from types import MappingProxyType

import numpy as np

from ._files import sha256, to_jsonable, utc_now
from .config import TrainConfig
from .errors import RunFileError, ValidationError
from .model import Network, NetworkConfig
from .optim import AdamState
from .results import RunState, TrainResult
from .taskspec import TaskSpecError, task_from_json, task_to_json

__all__ = [
    "RUN_JSON",
    "PARAMS_FILE",
    "HISTORY_FILE",
    "CHECKPOINT_FILE",
    "LOCK_FILE",
    "FIGURES_DIR",
    "FORMAT_VERSION",
    "read_run_json",
    "load_run",
    "load_state",
]

RUN_JSON = "run.json"
PARAMS_FILE = "params.npz"
HISTORY_FILE = "history.npz"
CHECKPOINT_FILE = "checkpoint.npz"  # the checkpoint's name in runs of purernn 0.1.0
LOCK_FILE = ".lock"
FIGURES_DIR = "figures"
FORMAT = "purernn-run"
FORMAT_VERSION = 1
STATUSES = ("running", "interrupted", "diverged", "complete")
HISTORY_KEYS = ("loss", "grad_norm", "eval_step", "val_loss", "val_accuracy")
ENTRY_SHA = "entry_sha256"
DATA_FILES = ("checkpoint*.npz", "params*.npz", "history*.npz")  # every npz a save writes
_EDIT_HINT = ("Restore the file; to change the configuration of an unfinished run on purpose, "
              "use purernn.runs.edit_run.")


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


def _digest(value) -> str:
    """SHA-256 of an entry's canonical JSON (what an edit by hand changes)."""
    return sha256(json.dumps(to_jsonable(value), sort_keys=True, separators=(",", ":"),
                             allow_nan=False).encode("utf-8"))


def entry_digests(meta: dict) -> dict:
    """Entry name -> SHA-256 of every entry of a run.json but ``entry_sha256`` itself."""
    return {k: _digest(v) for k, v in meta.items() if k != ENTRY_SHA}


def make_meta(net_config: NetworkConfig, task, config: TrainConfig, *, status: str, step: int,
              created: str, files: dict, result: TrainResult | None = None, error: str | None = None,
              edits=None) -> dict:
    """The content of run.json (JSON values), with the digests of its entries."""
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "status": status,
        "step": int(step),
        "task": task_to_json(task),
        "network": net_config.to_dict(),
        "train": config.to_dict(),
        "seed": config.seed,
        "versions": _versions(),
        "created_utc": created,
        "updated_utc": utc_now(),
        "files": files,
    }
    if result is not None:
        meta["result"] = result.summary()
    if error is not None:
        meta["error"] = error
    if edits:
        meta["edits"] = edits
    meta = to_jsonable(meta)
    meta[ENTRY_SHA] = entry_digests(meta)
    return meta


def bad(path: Path, what: str) -> RunFileError:
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
        hint = "this directory does not hold a purernn run"
        if any(path.glob("checkpoint*.npz")):
            hint = ("this directory holds no committed run: training was stopped while saving its "
                    "first checkpoint. Start it again with purernn train (or pr.train)")
        raise bad(file, f"missing; {hint}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise bad(file, f"cannot be read ({err})") from err
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as err:
        raise bad(file, f"is not valid JSON ({err}); was it truncated or edited by hand?") from err
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise bad(file, f"is not a purernn run file (no \"format\": {FORMAT!r})")
    if meta.get("format_version") != FORMAT_VERSION:
        raise bad(file, f"has format_version {meta.get('format_version')!r}; this purernn reads "
                   f"version {FORMAT_VERSION}")
    expected = {"status": str, "step": int, "task": dict, "network": dict, "train": dict,
                "files": dict, "created_utc": str}
    for key, typ in expected.items():
        if not isinstance(meta.get(key), typ) or isinstance(meta.get(key), bool):
            raise bad(file, f"entry {key!r} must be a {typ.__name__}; got {meta.get(key)!r}")
    if meta["status"] not in STATUSES:
        raise bad(file, f"entry 'status' must be one of {', '.join(STATUSES)}; got {meta['status']!r}")
    if not all(isinstance(v, str) for v in meta["files"].values()):
        raise bad(file, "entry 'files' must map file names to SHA-256 strings")
    return meta


def _verify_entries(file: Path, meta: dict) -> None:
    """Every entry of run.json as purernn wrote it (runs of purernn 0.1.0 record no digests)."""
    recorded = meta.get(ENTRY_SHA)
    if recorded is None:
        return
    if not isinstance(recorded, dict):
        raise bad(file, f"entry {ENTRY_SHA!r} must be a dict; got {recorded!r}. {_EDIT_HINT}")
    keys = (set(recorded) | set(meta)) - {ENTRY_SHA}
    changed = sorted(k for k in keys if k not in meta or recorded.get(k) != _digest(meta[k]))
    if changed:
        names = ", ".join(repr(k) for k in changed)
        raise bad(file, f"entr{'y' if len(changed) == 1 else 'ies'} {names} changed after purernn "
                   f"wrote the file (edited by hand?): {'it does' if len(changed) == 1 else 'they do'} "
                   f"not match the SHA-256 recorded in its entry {ENTRY_SHA!r}. {_EDIT_HINT}")


def read_configs(path: Path, meta: dict, task=None):
    """(NetworkConfig, Task, TrainConfig) from a checked run.json; `task`, when given, is
    used (after checking it fits) instead of the one recorded (:mod:`purernn.taskspec`)."""
    file = path / RUN_JSON
    try:
        net_config = NetworkConfig(**meta["network"])
    except (TypeError, ValidationError) as err:
        raise bad(file, f"entry 'network' is not a valid network configuration ({err})") from err
    try:
        task = task_from_json(meta["task"], task=task, n_in=net_config.n_in, n_out=net_config.n_out)
    except TaskSpecError as err:
        raise bad(file, f"entry 'task' is not a valid task ({err})") from err
    try:
        config = TrainConfig.from_dict(meta["train"], legacy=True)
    except (TypeError, ValidationError) as err:
        raise bad(file, f"entry 'train' is not a valid TrainConfig ({err})") from err
    if config.seed is None:
        raise bad(file, "entry 'train' has no seed; the run cannot be reproduced")
    if (task.n_in, task.n_out) != (net_config.n_in, net_config.n_out):
        raise bad(file, f"the task ({task.n_in} inputs, {task.n_out} outputs) and the network "
                   f"({net_config.n_in}, {net_config.n_out}) disagree")
    _verify_entries(file, meta)  # after the checks above, which name an invalid field
    return net_config, task, config


def read_npz(path: Path, meta: dict, name: str) -> dict:
    """Arrays of ``path / name``, checked against the checksum recorded in run.json."""
    file = path / name
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise bad(file, f"missing (run.json, status {meta['status']!r}, refers to it)") from None
    except OSError as err:
        raise bad(file, f"cannot be read ({err})") from err
    recorded = meta["files"].get(name)
    if recorded != sha256(data):
        raise bad(file, "does not match the SHA-256 recorded in run.json; it was truncated, "
                   "corrupted or edited by hand")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as err:
        raise bad(file, f"is not a readable npz archive of plain arrays ({err})") from err


def _arrays_error(file: Path, err: Exception) -> RunFileError:
    if isinstance(err, KeyError):
        return bad(file, f"lacks the array {err.args[0]!r}")
    return bad(file, f"holds inconsistent arrays ({err})")


def file_named(path: Path, meta: dict, kind: str) -> str:
    """The name run.json gives the file of `kind` ("checkpoint", "params", "history"):
    ``params.npz``, or ``params-<hash>.npz`` in the middle of replacing a run (see
    :func:`purernn._files.commit_files`), ``checkpoint-<step>-<hash>.npz``."""
    names = [n for n in meta["files"] if n.startswith(kind) and n.endswith(".npz")]
    if len(names) != 1:
        raise bad(path / RUN_JSON, f"entry 'files' must name one {kind} file (status "
                  f"{meta['status']!r}); got {sorted(meta['files'])}")
    return names[0]


def load_run(path, *, task=None) -> TrainResult:
    """Load a run directory written by :func:`save_run`, :func:`purernn.train` or the CLI.

    A run still in progress, interrupted (Ctrl-C) or diverged is loaded from its last
    checkpoint: ``result.net`` then holds the checkpoint's current parameters and
    ``result.stop_reason`` is ``"interrupted"`` or ``"diverged"``.

    Parameters
    ----------
    path : str or path-like
    task : Task, optional
        The task of the run, for a task that ``run.json`` cannot rebuild (a custom task
        without ``to_dict``, one defined in a script; see ``docs/custom_tasks.md``). It
        must have the recorded name and the network's inputs and outputs.

    Returns
    -------
    TrainResult

    Raises
    ------
    RunFileError
        A file is missing, truncated, corrupt, edited by hand or inconsistent; the
        message names the file (and, for run.json, the entries).
    """
    path = Path(path)
    for attempt in range(3):
        seen = _stamp(path / RUN_JSON)
        try:
            return _load_run(path, task)
        except RunFileError:
            # a writer committed a newer run.json meanwhile (and deleted the files the
            # one read here named): read the new one
            if attempt == 2 or _stamp(path / RUN_JSON) == seen:
                raise


def _stamp(file: Path):
    try:
        st = file.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _load_run(path: Path, task) -> TrainResult:
    meta = read_run_json(path)
    net_config, task, config = read_configs(path, meta, task)
    if meta["status"] != "complete":
        state = load_state(path, meta, net_config, task, config)
        state.stop_reason = "diverged" if meta["status"] == "diverged" else "interrupted"
        return state.result(current=True)  # where training stands: what resume continues

    file = path / file_named(path, meta, "params")
    arrays = read_npz(path, meta, file.name)
    try:
        masks = {k: arrays[k] for k in ("rec_mask", "out_mask") if k in arrays}
        names = net_config.variable_names  # a low-rank net: U, V in place of W_rec
        net = Network(net_config, {k: arrays[k] for k in names}, **masks)
        net_init = Network(net_config, {k: arrays["init_" + k] for k in names}, **masks)
        state = AdamState.from_arrays(arrays, net.variables)
    except (KeyError, ValidationError) as err:
        raise _arrays_error(file, err) from err
    hfile = path / file_named(path, meta, "history")
    harrays = read_npz(path, meta, hfile.name)
    try:
        history = {k: np.array(harrays[k]) for k in HISTORY_KEYS}
        history.update({k: np.array(v) for k, v in harrays.items() if k not in HISTORY_KEYS})
    except KeyError as err:
        raise _arrays_error(hfile, err) from err
    for a in history.values():
        a.flags.writeable = False
    res = meta.get("result")
    file = path / RUN_JSON
    try:
        n_steps = int(res["n_steps"])
        if history["loss"].shape != (n_steps,):
            raise bad(hfile, f"holds {history['loss'].shape} losses for a run of {n_steps} steps")
        return TrainResult(
            net=net, net_init=net_init, history=MappingProxyType(history), config=config, task=task,
            n_steps=n_steps, best_step=int(res["best_step"]), stop_reason=str(res["stop_reason"]),
            wall_time=float(res["wall_time"]),
            val_accuracy=math.nan if res["val_accuracy"] is None else float(res["val_accuracy"]),
            val_loss=math.nan if res["val_loss"] is None else float(res["val_loss"]),
            optimizer_state=state,
        )
    except (TypeError, KeyError, ValueError) as err:
        raise bad(file, f"entry 'result' is missing or malformed ({err!r})") from err


def load_state(path, meta: dict, net_config, task, config) -> RunState:
    """The :class:`RunState` saved in the checkpoint of run directory `path`."""
    path = Path(path)
    name = file_named(path, meta, "checkpoint")
    arrays = read_npz(path, meta, name)
    try:
        return RunState.from_arrays(arrays, net_config, task, config)
    except (KeyError, ValidationError, TypeError, ValueError) as err:
        raise _arrays_error(path / name, err) from err
