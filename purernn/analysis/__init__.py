"""Analysis of trained networks: spectra, weights, activity,
linearization, fixed points, degradation, diversity across runs, population analysis
(targeted dimensionality reduction, line attractors and selection vectors,
dimensionality, distances between networks), and a full report.

    import purernn as pr
    spec = pr.analysis.spectrum(net.params["W_rec"])
    J = pr.analysis.jacobian(net, h, kind="map")
    fps = pr.analysis.find_fixed_points(net, x=None, n_init=256, rng=0)

Every analysis is a function returning a frozen result dataclass; the matching plot
functions live in :mod:`purernn.plots`.
"""

from .activity import PCA, Activity, activity, pca
from .degradation import MODES, Degradation, degradation, lesion
from .dimensionality import (
    CVVariance,
    condition_average,
    cv_variance,
    manifold_angles,
    participation_ratio,
    principal_angles,
    split_halves,
)
from .diversity import DiversityTable, dominant_class_table, spectra
from .embedding import MDS, Clustering, adjusted_rand_index, cluster, mds, silhouette
from .fixed_points import FixedPoints, find_fixed_points, speed
from .psychometric import Psychometric, PsychometricFit, fit_psychometric, has_psychometric, psychometric
from .resting import RestingState, resting_state
from .linearize import (
    FreeResponse,
    Linearization,
    free_response,
    jacobian,
    linearize,
    map_eigenvalues,
    mode_frequency,
)
from .lowrank import ConnectivityOverlaps, connectivity_overlaps
from .lyapunov import LyapunovSpectrum, kaplan_yorke_dimension, largest_lyapunov_exponent, lyapunov_spectrum
from .mante import LineAttractor, SlowModes, line_attractor, mante_regressors, slow_modes
from .report import analyze_network, baseline_input
from .similarity import (
    DMD,
    METRICS,
    NetworkDistances,
    condition_states,
    dmd,
    dynamics_distance,
    linear_cka,
    network_distances,
    operator_distance,
    procrustes_distance,
    spectral_distance,
)
from .spectrum import DOMINANT_CLASSES, Spectrum, spectrum
from .tdr import TDR, tdr
from .taskvariance import (
    ACTIVE_THRESHOLD,
    RULE_NAMES,
    RULES,
    TaskVariance,
    UnitClusters,
    cluster_units,
    fractional_task_variance,
    kmeans,
    normalize_variance,
    rule_batches,
    task_variance,
    variance_from_states,
)
from .multirule import (
    Composition,
    LesionEffects,
    compose_rule_input,
    composition_name,
    composition_performance,
    lesion_performance,
    rule_performance,
    silence_units,
)
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
    # population analysis
    "CVVariance",
    "Clustering",
    "DMD",
    "LineAttractor",
    "MDS",
    "METRICS",
    "NetworkDistances",
    "SlowModes",
    "TDR",
    "adjusted_rand_index",
    "cluster",
    "condition_average",
    "condition_states",
    "cv_variance",
    "dmd",
    "dynamics_distance",
    "line_attractor",
    "linear_cka",
    "manifold_angles",
    "mante_regressors",
    "mds",
    "network_distances",
    "operator_distance",
    "participation_ratio",
    "principal_angles",
    "procrustes_distance",
    "silhouette",
    "slow_modes",
    "spectral_distance",
    "split_halves",
    "tdr",
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
    "resting_state",
    "RestingState",
    "psychometric",
    "fit_psychometric",
    "has_psychometric",
    "Psychometric",
    "PsychometricFit",
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
    "LyapunovSpectrum",
    "kaplan_yorke_dimension",
    "largest_lyapunov_exponent",
    "lyapunov_spectrum",
    "ConnectivityOverlaps",
    "connectivity_overlaps",
    # many rules in one network (Yang et al. 2019)
    "ACTIVE_THRESHOLD",
    "RULE_NAMES",
    "RULES",
    "Composition",
    "LesionEffects",
    "TaskVariance",
    "UnitClusters",
    "cluster_units",
    "compose_rule_input",
    "composition_name",
    "composition_performance",
    "fractional_task_variance",
    "kmeans",
    "lesion_performance",
    "normalize_variance",
    "rule_batches",
    "rule_performance",
    "silence_units",
    "task_variance",
    "variance_from_states",
]
