"""Studies of many realizations: a grid of training runs executed on a local process pool
or a Dask cluster, with one row per run in a SQLite results database.

    import purernn.sweep as ps
    summary = ps.sweep("studies/init_quick.toml", workers=2)   # resumable
    rep = ps.report("studies/init_quick")                       # tables and figures

The modules, each importing only those above it:

==================  ====================================================================
``study``           the study file (TOML grid), its points and their ids, the directory
``db``              the SQLite results database (one row per point) and its schema
``worker``          one point in a worker process: train, resume or load, then measure
``backends``        a local process pool, or a Dask cluster (optional ``purernn[cluster]``)
``coordinator``     :func:`sweep`: what to run, in which order; the study directory lock
``report``          tables and figures of a study, from its database only
==================  ====================================================================

The study file's format and the study directory's layout are described in
:mod:`purernn.sweep.study`; what happens when a coordinator, a worker or the database
fails in :mod:`purernn.sweep.coordinator`. Training and analysis
(:mod:`purernn.training`, :mod:`purernn.runs`, :mod:`purernn.analysis`) do not import
this package.
"""

from .study import (
    DB_FILE,
    NETWORK_KEYS,
    RECORD_DEFAULTS,
    RUNS_DIR,
    STUDY_FILE,
    Point,
    Study,
    condition_label,
    format_value,
    load_study,
    parse_study,
    point_id,
    run_order,
)
from .db import COLUMNS, TIMING_COLUMNS, ResultsDB, ResultsDBError, check_row, rows_for_study
from .worker import THREAD_ENV, run_point
from .backends import DaskBackend, NoWorkersError, ProcessPoolBackend, make_backend
from .coordinator import SweepSummary, coordinator_lock, sweep
from .reporting import (
    REPORT_DIR,
    StudyReport,
    condition_table,
    degradation_curves,
    eigenvalues_of,
    format_table,
    group_rows,
    report,
)

__all__ = [
    "NETWORK_KEYS",
    "RECORD_DEFAULTS",
    "TIMING_COLUMNS",
    "COLUMNS",
    "THREAD_ENV",
    "STUDY_FILE",
    "DB_FILE",
    "RUNS_DIR",
    "REPORT_DIR",
    "ResultsDB",
    "ResultsDBError",
    "NoWorkersError",
    "Point",
    "Study",
    "SweepSummary",
    "StudyReport",
    "ProcessPoolBackend",
    "DaskBackend",
    "make_backend",
    "load_study",
    "parse_study",
    "point_id",
    "condition_label",
    "format_value",
    "run_order",
    "run_point",
    "sweep",
    "coordinator_lock",
    "rows_for_study",
    "check_row",
    "report",
    "condition_table",
    "degradation_curves",
    "eigenvalues_of",
    "group_rows",
    "format_table",
]
