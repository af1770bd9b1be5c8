"""Analysis of trained networks: spectra, weights, activity,
linearization, fixed points, degradation, diversity across runs, and a full report.

    import purernn as pr
    spec = pr.analysis.spectrum(net.params["W_rec"])
    J = pr.analysis.jacobian(net, h, kind="map")
    fps = pr.analysis.find_fixed_points(net, x=None, n_init=256, rng=0)

Every analysis is a function returning a frozen result dataclass; the matching plot
functions live in :mod:`purernn.plots`.
"""

from .activity import PCA, Activity, activity, pca
from .degradation import MODES, Degradation, degradation, lesion
from .diversity import DiversityTable, dominant_class_table, spectra
from .fixed_points import FixedPoints, find_fixed_points, speed
from .linearize import (
    FreeResponse,
    Linearization,
    free_response,
    jacobian,
    linearize,
    map_eigenvalues,
    mode_frequency,
)
from .report import analyze_network, baseline_input
from .spectrum import DOMINANT_CLASSES, Spectrum, spectrum
from .weights import (
    Moments,
    NonNormality,
    WeightChange,
    WeightStats,
    henrici,
    moments,
    nonnormality,
    weight_change,
    weight_stats,
)

__all__ = [
    "Activity",
    "Degradation",
    "DiversityTable",
    "MODES",
    "PCA",
    "activity",
    "analyze_network",
    "baseline_input",
    "degradation",
    "dominant_class_table",
    "lesion",
    "pca",
    "spectra",
    "DOMINANT_CLASSES",
    "FixedPoints",
    "FreeResponse",
    "Linearization",
    "Moments",
    "NonNormality",
    "Spectrum",
    "WeightChange",
    "WeightStats",
    "find_fixed_points",
    "free_response",
    "henrici",
    "jacobian",
    "linearize",
    "map_eigenvalues",
    "mode_frequency",
    "moments",
    "nonnormality",
    "speed",
    "spectrum",
    "weight_change",
    "weight_stats",
]
