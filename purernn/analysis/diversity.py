"""Diversity across realizations: spectra of several runs and their dominant classes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import fail
from ..model import Network
from .spectrum import DOMINANT_CLASSES, Spectrum, spectrum

__all__ = ["DiversityTable", "spectra", "dominant_class_table"]


def _as_spectrum(item, i: int) -> Spectrum:
    if isinstance(item, Spectrum):
        return item
    if isinstance(item, Network):
        return spectrum(item.params["W_rec"])
    net = getattr(item, "net", None)  # a training result
    if isinstance(net, Network):
        return spectrum(net.params["W_rec"])
    try:
        return spectrum(item)
    except Exception as exc:
        fail(f"runs[{i}]", "a Network, a result with .net, a Spectrum or a square matrix",
             type(item).__name__, str(exc))


def spectra(runs) -> list:
    """The :class:`Spectrum` of W_rec of each run.

    Parameters
    ----------
    runs : sequence
        Networks, results with a ``.net`` (e.g. ``pr.load_run(path)``), spectra, or
        recurrent matrices (n_rec, n_rec).

    Returns
    -------
    list of Spectrum
    """
    runs = list(runs)
    if not runs:
        fail("runs", "a non-empty sequence of networks", runs)
    return [_as_spectrum(r, i) for i, r in enumerate(runs)]


@dataclass(frozen=True)
class DiversityTable:
    """Dominant-eigenvalue classes across realizations of one task.

    Attributes
    ----------
    labels : tuple of str
        Name of each run.
    classes : tuple of str
        Dominant class of each run (see :data:`DOMINANT_CLASSES`).
    dominant : ndarray of complex, shape (n_runs,)
        Dominant eigenvalue of each run (the one with positive imaginary part for a pair).
    radius : ndarray, shape (n_runs,)
    bulk_radius : ndarray, shape (n_runs,)
    counts : dict of str -> int
        Number of runs in each class (every class listed, zeros included).
    """

    labels: tuple
    classes: tuple
    dominant: np.ndarray
    radius: np.ndarray
    bulk_radius: np.ndarray
    counts: dict

    def rows(self) -> list:
        """One dict per run: label, class, dominant (re, im), radius, bulk radius."""
        return [
            {"label": lab, "class": c, "dominant_re": float(d.real), "dominant_im": float(d.imag),
             "radius": float(r), "bulk_radius": float(b)}
            for lab, c, d, r, b in zip(self.labels, self.classes, self.dominant, self.radius, self.bulk_radius)
        ]

    def to_dict(self) -> dict:
        return {"counts": dict(self.counts), "runs": self.rows()}


def dominant_class_table(runs, labels=None) -> DiversityTable:
    """Tabulate the dominant-eigenvalue class of W_rec over several runs.

    Parameters
    ----------
    runs : sequence
        As for :func:`spectra`.
    labels : sequence of str, optional
        Names of the runs (default ``"run 0"``, ``"run 1"``, ...).

    Returns
    -------
    DiversityTable

    Notes
    -----
    C. Jarne (2022), "Different eigenvalue distributions encode the same temporal tasks in
    recurrent neural networks", Cogn. Neurodyn.: trained realizations of one task differ
    in whether the dominant eigenvalue outside the unit circle is real (fixed-point
    attractors) or a complex pair (oscillations).
    """
    specs = spectra(runs)
    if labels is None:
        labels = [f"run {i}" for i in range(len(specs))]
    labels = tuple(str(s) for s in labels)
    if len(labels) != len(specs):
        fail("labels", f"a sequence of {len(specs)} names (one per run)", len(labels))
    classes = tuple(s.dominant_class for s in specs)
    return DiversityTable(
        labels=labels,
        classes=classes,
        dominant=np.array([s.dominant[0] for s in specs]),
        radius=np.array([s.radius for s in specs]),
        bulk_radius=np.array([s.bulk_radius for s in specs]),
        counts={c: classes.count(c) for c in DOMINANT_CLASSES},
    )
