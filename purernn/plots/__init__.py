"""Plots of tasks, trajectories and analysis results.

Every plot function takes arrays (or results holding arrays) and an optional
``ax=None`` / ``axes=None``, draws on them and returns the axes. No function here calls
``show()`` or ``savefig()``, and nothing changes matplotlib's global style. matplotlib is
imported only inside these functions, so the rest of the library never needs it.

``trials``: task trials and training curves; ``analysis``: spectra, weights, activity,
linearization; ``studies``: many realizations per condition; ``dynamics``: Lyapunov
spectra, quantities over realizations against a parameter, activity along a mode;
``population``: trajectories on task axes, line attractors and selection vectors,
cross-validated variance, principal angles, distance matrices between networks and their
embedding; ``psychometric``: psychometric curves of decision tasks; ``taskvariance``:
units shared among many rules (task variance maps, clusters, lesions, FTV, composed rules);
``rings``: trials of ring tasks (Yang et al. 2019) as unit-by-time images.
"""

from __future__ import annotations

from .analysis import *  # noqa: F401,F403
from .analysis import __all__ as _analysis
from .dynamics import *  # noqa: F401,F403
from .dynamics import __all__ as _dynamics
from .population import *  # noqa: F401,F403
from .population import __all__ as _population
from .psychometric import *  # noqa: F401,F403
from .psychometric import __all__ as _psychometric
from .rings import *  # noqa: F401,F403
from .rings import __all__ as _rings
from .studies import *  # noqa: F401,F403
from .studies import __all__ as _studies
from .taskvariance import *  # noqa: F401,F403
from .taskvariance import __all__ as _taskvariance
from .trials import *  # noqa: F401,F403
from .trials import __all__ as _trials

__all__ = _trials + _analysis + _studies + _dynamics + _population + _psychometric + _taskvariance + _rings
