"""How a run directory is written: checkpoints during training, the finished run, and
deliberate changes of configuration; and the lock that keeps to one writer.

The format and reading are in :mod:`purernn.runfiles` (:func:`load_run`,
:func:`read_run_json` and :func:`load_state` are imported here from there).

Every save writes its npz files (each to a temporary file moved into place with
``os.replace``) under names the current run.json does not use, then replaces run.json:
that one rename is the commit (:func:`purernn._files.commit_files`). Only then are the
files that only the old run.json named deleted. A kill at any instruction therefore
leaves the old state or the new one, both complete: ``purernn resume`` continues either,
bit for bit. A write that fails (a full disk, a read-only directory) raises
:class:`~purernn.errors.RunFileError` saying what is kept.

Writers (:func:`purernn.train`, :func:`purernn.resume`, :func:`save_run`,
:func:`edit_run`) hold the directory's lock file ``.lock`` while they work, so a second
writer is refused with the holder's pid, host and command; the operating system releases
the lock when its holder dies, even killed. A writer first removes what killed writers
left: temporary ``.*.tmp`` files, and npz files that run.json does not name.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import numpy as np

from ._files import (
    commit_files,
    describe_holder,
    exclusive_lock,
    json_bytes,
    npz_bytes,
    remove_temp_files,
    sha256,
    to_jsonable,
    utc_now,
)
from . import tasks
from ._validate import fail
from .config import TrainConfig
from .errors import RunFileError, ValidationError
from .model import Network, NetworkConfig
from .results import RunState, TrainResult
from .runfiles import (
    CHECKPOINT_FILE,
    DATA_FILES,
    FIGURES_DIR,
    HISTORY_FILE,
    HISTORY_KEYS,
    LOCK_FILE,
    PARAMS_FILE,
    RUN_JSON,
    load_run,
    load_state,
    make_meta,
    read_configs,
    read_run_json,
)

__all__ = [
    "RUN_JSON",
    "PARAMS_FILE",
    "HISTORY_FILE",
    "CHECKPOINT_FILE",
    "LOCK_FILE",
    "FIGURES_DIR",
    "save_run",
    "load_run",
    "read_run_json",
    "load_state",
    "edit_run",
    "RunWriter",
]

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def _locked(path: Path, *, create: bool):
    """Hold the run directory's lock (creating the directory if `create`)."""
    def held(holder):
        return RunFileError(
            f"{str(path)!r} is in use by another purernn process ({describe_holder(holder)}); two "
            "writers on one run directory would lose one run. Wait for it to finish or stop it.")

    if path.exists() and not path.is_dir() or not (create or path.is_dir()):
        raise RunFileError(f"{str(path)!r} is not a run directory (it does not exist or is a file).")
    with contextlib.ExitStack() as stack:
        try:
            path.mkdir(parents=True, exist_ok=True)
            stack.enter_context(exclusive_lock(path / LOCK_FILE, on_held=held))
        except RunFileError:
            raise
        except OSError as err:
            raise RunFileError(f"{str(path)!r}: cannot write in the run directory "
                               f"({err.strerror or err}).") from err
        yield


def _clean(path: Path, meta: dict | None) -> None:
    """Remove what killed writers left (the caller holds the lock): temporary files and
    npz files run.json does not name (without run.json: only never-committed ones)."""
    remove_temp_files(path, (RUN_JSON, *DATA_FILES))
    if (path / FIGURES_DIR).is_dir():  # figures are written after the lock is released
        remove_temp_files(path / FIGURES_DIR, older_than=3600.0)
    named = set(meta["files"]) if meta is not None else set()
    patterns = DATA_FILES if meta is not None else ("checkpoint*.npz", "params-*.npz", "history-*.npz")
    for pattern in patterns:
        for f in path.glob(pattern):
            if f.name not in named:
                with contextlib.suppress(OSError):
                    f.unlink()
                    logger.info("removed %s, left by an interrupted save (run.json does not name it)", f)


def _commit(path: Path, data: dict, meta_of, named: dict, *, action: str, kept: str,
            keep_old: bool = False) -> dict:
    """:func:`purernn._files.commit_files` with run.json, ``meta_of(files)``, as the manifest;
    an OSError (a full disk, a read-only directory) becomes a RunFileError saying what is kept."""
    try:
        return commit_files(path, data, RUN_JSON, lambda files: json_bytes(meta_of(files)), named,
                            keep=keep_old)
    except OSError as err:
        where = f": {err.filename!r}" if err.filename else ""
        raise RunFileError(f"{str(path)!r}: cannot {action} ({err.strerror or err}{where}); {kept}.") from err


def _check_target_dir(path: Path, overwrite: bool) -> dict:
    """The files of a run already in `path` (name -> SHA-256, None if unknown), which a new
    run replaces; refused unless `overwrite`. The caller holds the lock."""
    meta = None
    if not (path / RUN_JSON).exists():
        _clean(path, None)  # a first checkpoint that was never committed is no run
    else:
        with contextlib.suppress(RunFileError):
            meta = read_run_json(path)
    present = [n for n in (RUN_JSON,) if (path / n).exists()]
    present += sorted({f.name for pattern in DATA_FILES for f in path.glob(pattern)})
    if present and not overwrite:
        raise RunFileError(
            f"{str(path)!r} already holds a run ({', '.join(present)}); it is never overwritten "
            "silently. Choose another directory, resume it (purernn resume), or pass "
            "overwrite=True (CLI: --overwrite)."
        )
    if present:
        logger.warning("overwriting the run in %s", path)
    if meta is not None:
        _clean(path, meta)
        return dict(meta["files"])
    return {n: None for n in present if n != RUN_JSON}


class RunWriter:
    """Writes the checkpoints and the final files of one run directory, holding its lock.

    Made by :meth:`create` (a new run) or :meth:`open` (continuing a saved one); the
    training loop calls :meth:`checkpoint`, :meth:`mark_diverged` and :meth:`finish`, and
    :meth:`close` (which releases the lock) when it ends in any way.
    """

    def __init__(self, path: Path, net_config: NetworkConfig, task, config: TrainConfig,
                 created: str, last_checkpoint_step: int | None = None, files: dict | None = None,
                 edits=None, lock=None, status: str = "running", error: str | None = None):
        self.path = path
        self.net_config = net_config
        self.task = task
        self.config = config
        self.created = created
        self.last_checkpoint_step = last_checkpoint_step
        self.edits = edits
        self.status, self.error = status, error  # of the committed run.json
        self._files: dict = dict(files or {})  # what the committed run.json names
        self._lock = lock
        self._old_figures = False  # figures of an overwritten run, removed at the first commit

    @classmethod
    def create(cls, path, net: Network, task, config: TrainConfig, *, overwrite: bool) -> "RunWriter":
        """A writer for a new run in `path` (refused if a run is there, unless `overwrite`)."""
        path = Path(path)
        with contextlib.ExitStack() as stack:
            stack.enter_context(_locked(path, create=True))
            old = _check_target_dir(path, overwrite)
            writer = cls(path, net.config, task, config, utc_now(), files=old, lock=stack.pop_all())
        writer._old_figures = bool(old)
        return writer

    @classmethod
    def open(cls, path, task=None) -> tuple[RunState, "RunWriter"] | None:
        """The saved state of an unfinished run and a writer to continue it.

        Returns None when the run in `path` is already complete. `task`: as in
        :func:`purernn.load_run`.
        """
        path = Path(path)
        with contextlib.ExitStack() as stack:
            stack.enter_context(_locked(path, create=False))
            meta = read_run_json(path)
            _clean(path, meta)
            if meta["status"] == "complete":
                return None
            net_config, task, config = read_configs(path, meta, task)
            state = load_state(path, meta, net_config, task, config)
            return state, cls(path, net_config, task, config, str(meta["created_utc"]),
                              last_checkpoint_step=state.step, files=meta["files"],
                              edits=meta.get("edits"), lock=stack.pop_all(), status=meta["status"],
                              error=meta.get("error"))

    def close(self) -> None:
        """Release the directory's lock (idempotent)."""
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.close()

    def _kept(self) -> str:
        if self.last_checkpoint_step is None:
            return "nothing of this run was saved" + ("; the run that was there is unchanged" if self._files else "")
        return (f"the run directory keeps its last good checkpoint (step {self.last_checkpoint_step}); "
                f"when the cause is fixed, continue with: purernn resume {self.path}")

    def _save(self, data: dict, status: str, step: int, action: str, keep_old: bool = False, **kw) -> None:
        def meta_of(files):
            return make_meta(self.net_config, self.task, self.config, status=status, step=step,
                             created=self.created, files=files, edits=self.edits, **kw)

        self._files = _commit(self.path, data, meta_of, self._files, action=action,
                              kept=self._kept(), keep_old=keep_old)
        self.status, self.error = status, kw.get("error")
        if self._old_figures:
            self._old_figures = False
            for f in (self.path / FIGURES_DIR).glob("*.png"):
                with contextlib.suppress(OSError):
                    f.unlink()

    def checkpoint(self, state: RunState, status: str = "running") -> None:
        """Save `state` as a new checkpoint file and commit it in run.json."""
        data = npz_bytes(state.to_arrays())
        name = f"checkpoint-{state.step}-{sha256(data)[:12]}.npz"
        self._save({name: data}, status, state.step, f"save the checkpoint of step {state.step}")
        self.last_checkpoint_step = state.step
        logger.debug("checkpoint at step %d in %s", state.step, self.path)

    def mark_diverged(self, error: str) -> None:
        """Record the divergence in run.json; the last checkpoint stays as it is."""
        self._save({}, "diverged", self.last_checkpoint_step or 0, "record the divergence",
                   keep_old=True, error=error)

    def finish(self, result: TrainResult) -> None:
        """Write the final files and drop the checkpoint."""
        self._save(_final_files(result), "complete", result.n_steps, "save the finished run",
                   result=result)

    def edit(self, state: RunState, changes: dict) -> dict:
        """Commit another configuration (``{"train": {"lr": 3e-4}, ...}``) for the run whose
        checkpoint holds `state`; see :func:`edit_run`."""
        old = {"network": self.net_config.to_dict(), "task": self.task.to_dict(),
               "train": {f: getattr(self.config, f) for f in TrainConfig.field_names()}}
        changed = {}
        for section, change in changes.items():
            for key, value in change.items():
                if key not in old[section] or key == "name" and section == "task":
                    fail(f"{section}[{key!r}]", f"a field of the run's {section} configuration, one of "
                         + ", ".join(k for k in old[section] if k != "name"), key)
                if to_jsonable(value) != to_jsonable(old[section][key]):
                    changed[f"{section}.{key}"] = to_jsonable([old[section][key], value])
        if not changed:
            return {}
        new = {section: {**old[section], **changes[section]} for section in old}
        net_config = NetworkConfig(**new["network"])
        task_kw = dict(new["task"])
        task = tasks.make(task_kw.pop("name"), **task_kw)
        config = TrainConfig.from_dict(new["train"], legacy=True)
        try:  # the checkpoint must fit the new configuration (shapes, dtype, step <= n_steps)
            RunState.from_arrays(state.to_arrays(), net_config, task, config)
        except ValidationError as err:
            raise ValidationError(f"{str(self.path)!r}: the run's checkpoint (step {state.step}) does not "
                                  f"fit the new configuration {changed}: {err}") from err
        self.net_config, self.task, self.config = net_config, task, config
        self.edits = [*(self.edits or []), {"utc": utc_now(), "changed": changed}]
        self._save({}, self.status, state.step, "save the edited run.json", keep_old=True,
                   error=self.error)
        logger.info("%s: changed %s", self.path, ", ".join(changed))
        return changed


# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------


def _final_files(result: TrainResult) -> dict:
    history = {k: np.asarray(v) for k, v in result.history.items()}  # HISTORY_KEYS and more
    return {PARAMS_FILE: npz_bytes(result.params_arrays()), HISTORY_FILE: npz_bytes(history)}


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
    ``history.npz`` and then ``run.json``, the commit (see the module's notes): a kill
    at any moment leaves the old run or the new one.
    """
    if not isinstance(result, TrainResult):
        fail("result", "a purernn.TrainResult (from pr.train)", type(result).__name__)
    path = Path(path)
    created = utc_now()

    def meta_of(files):
        return make_meta(result.net.config, result.task, result.config, status="complete",
                         step=result.n_steps, created=created, files=files, result=result)

    with _locked(path, create=True):
        old = _check_target_dir(path, overwrite)
        _commit(path, _final_files(result), meta_of, old, action="save the run",
                kept="the files already there are unchanged" if old else "nothing was saved")
    return path


def edit_run(path, *, network=None, task=None, train=None) -> dict:
    """Change the configuration of an unfinished run on purpose, then resume it.

    run.json records the SHA-256 of each of its entries, so an edit by hand is reported
    as an error; this is the way to make one.

    Parameters
    ----------
    path : str or path-like
        A run directory with status running, interrupted or diverged.
    network, task, train : dict, optional
        Field -> new value, e.g. ``train={"lr": 3e-4}`` for a run that diverged.

    Returns
    -------
    dict
        What changed, ``{"train.lr": [old, new], ...}``. It is also appended, with the
        UTC time, to run.json's entry ``"edits"``: the resumed run no longer equals an
        uninterrupted run of one configuration.

    Raises
    ------
    ValidationError
        An unknown field, an invalid value, or one the checkpoint does not fit (such as
        another ``n_rec``).
    RunFileError
        The run is complete (its parameters were trained with the configuration it
        records: train a new run), damaged, or in use by another process.
    """
    changes = {"network": network or {}, "task": task or {}, "train": train or {}}
    for section, change in changes.items():
        if not isinstance(change, dict):
            fail(section, "a dict of field -> new value", change)
    opened = RunWriter.open(path)
    if opened is None:
        raise RunFileError(f"{str(path)!r} holds a complete run, trained with the configuration it "
                           "records; it cannot be edited. Train a new run instead.")
    state, writer = opened
    try:
        return writer.edit(state, changes)
    finally:
        writer.close()
