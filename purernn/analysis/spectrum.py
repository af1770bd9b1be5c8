"""Eigenvalue spectrum of a recurrent weight matrix: radius, dominant mode, bulk.

The quantities the talk compares between random-normal and random-orthogonal
initializations and under Dale's law: the spectral radius, the dominant
eigenvalue(s) and their class, and the radius of the non-dominant bulk, a disk or a ring.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from .._validate import check_number
from ._common import check_square, complex_to_json

__all__ = ["Spectrum", "spectrum", "DOMINANT_CLASSES"]

#: Every value of ``Spectrum.dominant_class``.
DOMINANT_CLASSES = ("real_inside", "real_outside", "complex_inside", "complex_outside")

_RING_RATIO = 0.5  # inner / bulk radius above which the bulk is called a ring


@dataclass(frozen=True)
class Spectrum:
    """Eigenvalues of a square matrix and the numbers that summarize them.

    Attributes
    ----------
    eigenvalues : ndarray of complex, shape (n,)
        Sorted by decreasing modulus (ties: by decreasing real part, then imaginary part).
    radius : float
        Spectral radius ``max |lambda|``.
    dominant : ndarray of complex, shape (1,) or (2,)
        The dominant eigenvalue (largest modulus) and, if it is complex, its conjugate.
    dominant_kind : {"real", "complex"}
        Whether the dominant eigenvalue is real or a complex-conjugate pair (an
        eigenvalue counts as real when ``|Im| <= 1e-10 max(1, |lambda|)``).
    dominant_outside : bool
        Whether it lies outside the unit circle (``|lambda| > 1``).
    dominant_class : str
        ``f"{dominant_kind}_{'outside' if dominant_outside else 'inside'}"``, one of
        :data:`DOMINANT_CLASSES`.
    outliers : ndarray of int
        Indices (into `eigenvalues`) of the eigenvalues that stand out from the bulk.
    bulk_radius : float
        Largest modulus among the non-outlier eigenvalues.
    inner_radius : float
        5th percentile of the moduli of the non-outlier eigenvalues: close to 0 for a
        disk, close to `bulk_radius` for a ring.
    shape : {"disk", "ring"}
        ``"ring"`` when ``inner_radius >= 0.5 bulk_radius``.
    """

    eigenvalues: np.ndarray
    radius: float
    dominant: np.ndarray
    dominant_kind: str
    dominant_outside: bool
    dominant_class: str
    outliers: np.ndarray
    bulk_radius: float
    inner_radius: float
    shape: str

    @property
    def n(self) -> int:
        return int(self.eigenvalues.size)

    @property
    def n_outliers(self) -> int:
        return int(self.outliers.size)

    def to_dict(self) -> dict:
        """JSON-serializable summary (eigenvalues as [re, im] pairs)."""
        return {
            "n": self.n,
            "radius": self.radius,
            "dominant": complex_to_json(self.dominant),
            "dominant_kind": self.dominant_kind,
            "dominant_outside": self.dominant_outside,
            "dominant_class": self.dominant_class,
            "n_outliers": self.n_outliers,
            "outliers": complex_to_json(self.eigenvalues[self.outliers]),
            "bulk_radius": self.bulk_radius,
            "inner_radius": self.inner_radius,
            "shape": self.shape,
        }


def sort_eigenvalues(eigs: np.ndarray) -> np.ndarray:
    """Eigenvalues sorted by decreasing modulus, then real part, then imaginary part."""
    eigs = np.asarray(eigs, dtype=complex)
    order = np.lexsort((-eigs.imag, -eigs.real, -np.round(np.abs(eigs), 12)))
    return eigs[order]


def spectrum(W, *, outlier_factor: float = 2.5) -> Spectrum:
    """Eigenvalues of `W` and their summary: radius, dominant mode, bulk disk or ring.

    Parameters
    ----------
    W : array_like, shape (n, n)
        A real square matrix, e.g. ``net.params["W_rec"]``. Or an array of eigenvalues,
        shape (n,), to summarize eigenvalues computed elsewhere.
    outlier_factor : float
        ``c`` in the outlier threshold below; larger values call fewer outliers.

    Returns
    -------
    Spectrum

    Notes
    -----
    Eigenvalues come from ``scipy.linalg.eigvals``. The bulk is defined robustly:

    1. ``R = sqrt(2) median(|lambda|)`` (median over the eigenvalues with non-zero
       modulus). For eigenvalues uniform in a disk of radius ``R0`` this is ``R0``;
       for a ring (annulus) it is at least its outer radius. So ``R`` is a scale of
       the bulk that the few outliers do not move.
    2. Outliers are the eigenvalues with ``|lambda| > (1 + c / sqrt(n)) R`` (at most
       ``n // 10`` of them, the largest). ``c = 2.5`` keeps the false-outlier rate of a
       Ginibre matrix, entries N(0, 1/n), below about 1% for n >= 20: its largest
       modulus exceeds the disk's edge by finite-size fluctuations of order
       ``1 / sqrt(n)``.
    3. ``bulk_radius`` is the largest modulus of the rest, ``inner_radius`` the 5th
       percentile of their moduli (robust to a few eigenvalues near 0, e.g. of removed
       units), and the bulk is a ring when ``inner_radius >= 0.5 bulk_radius``
       (for a uniform disk the ratio is ``sqrt(0.05) = 0.22``).

    By the circular law (Girko 1984) a random matrix with i.i.d. entries of variance
    ``g^2 / n`` has its eigenvalues uniform in the disk of radius ``g``; an orthogonal
    matrix has all of them on the unit circle (a ring with inner radius 1). Under
    Dale's law with balanced excitation and inhibition the bulk is again a disk, whose
    radius depends on the E and I variances, and an unbalanced mean connectivity adds a
    real outlier (Rajan & Abbott 2006, Phys. Rev. Lett. 97:188104).

    Examples
    --------
    >>> spec = spectrum([[0.0, -0.5], [0.5, 0.0]])
    >>> round(spec.radius, 12), spec.dominant_class
    (0.5, 'complex_inside')
    """
    outlier_factor = check_number("outlier_factor", outlier_factor, lo=0.0)
    arr = np.asarray(W)
    if arr.ndim == 1 and arr.size > 0:
        eigs = np.asarray(arr, dtype=complex)
        if not np.all(np.isfinite(eigs)):
            check_square("W", arr)  # raises with the standard message
    else:
        eigs = scipy.linalg.eigvals(check_square("W", W))
    eigs = sort_eigenvalues(eigs)
    n = eigs.size
    mod = np.abs(eigs)  # (n,) decreasing
    radius = float(mod[0])

    top = eigs[0]
    is_real = abs(top.imag) <= 1e-10 * max(1.0, abs(top))
    if is_real:
        dominant = np.array([complex(top.real, 0.0)])
    else:
        dominant = np.array([complex(top.real, abs(top.imag)), complex(top.real, -abs(top.imag))])
    kind = "real" if is_real else "complex"
    outside = bool(radius > 1.0)

    nonzero = mod[mod > 1e-12 * max(radius, 1e-300)]
    n_out = 0
    if nonzero.size >= 3:
        scale = np.sqrt(2.0) * np.median(nonzero)
        threshold = (1.0 + outlier_factor / np.sqrt(n)) * scale
        n_out = min(int(np.sum(mod > threshold)), n // 10)
        if 0 < n_out < n and eigs[n_out - 1].imag > 0:
            n_out += 1  # keep a complex pair together
    outliers = np.arange(n_out)
    bulk = mod[n_out:]
    bulk_radius = float(bulk[0]) if bulk.size else radius
    inner_radius = float(np.quantile(bulk, 0.05)) if bulk.size else 0.0
    shape = "ring" if bulk_radius > 0 and inner_radius >= _RING_RATIO * bulk_radius else "disk"
    return Spectrum(
        eigenvalues=eigs,
        radius=radius,
        dominant=dominant,
        dominant_kind=kind,
        dominant_outside=outside,
        dominant_class=f"{kind}_{'outside' if outside else 'inside'}",
        outliers=outliers,
        bulk_radius=bulk_radius,
        inner_radius=inner_radius,
        shape=shape,
    )
