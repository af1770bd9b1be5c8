"""The network: its configuration, initialization and constraints.

A :class:`Network` is immutable: a frozen configuration plus read-only parameter arrays
``W_in, W_rec, b_rec, W_out, b_out``. The arrays in ``net.params`` ARE the effective
weights, already satisfying every constraint (connectivity mask, Dale's law, E-only
readout), so analysis can read them directly. Running a network is
:func:`purernn.simulation.simulate`; the equations are in :mod:`purernn.kernels`.

A low-rank network (``Network.create(..., rank=r)``) stores and trains the factors of
``W_rec = U V^T / n_rec``, ``U, V (n_rec, r)``, instead of W_rec (its ``net.variables``);
``net.params["W_rec"]`` is still the effective matrix, recomputed from them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import numpy as np

from . import initialization as _init, kernels
from ._validate import as_generator, check_array, check_choice, check_int, check_number, fail
from .outputs import OUTPUTS

__all__ = ["PARAM_NAMES", "FACTOR_NAMES", "LOWRANK_NAMES", "INITS", "NetworkConfig", "Network",
           "param_shapes"]

#: The parameter names, in a fixed order.
PARAM_NAMES = ("W_in", "W_rec", "b_rec", "W_out", "b_out")
#: The factors of a low-rank W_rec = U V^T / n_rec (the variables of a rank-r network).
FACTOR_NAMES = ("U", "V")
#: What a rank-r network stores in place of PARAM_NAMES: W_rec replaced by its factors.
LOWRANK_NAMES = ("W_in", "U", "V", "b_rec", "W_out", "b_out")
#: Initializations of W_rec by name; a user array is also accepted (recorded as "user").
INITS = ("normal", "orthogonal", "identity", "user")
DALE_MODES = ("presynaptic", "postsynaptic")
#: How a Dale network's W_rec is initialized from the normal or orthogonal draw.
DALE_INITS = ("balanced", "projected")
DTYPES = ("float64", "float32")


@dataclass(frozen=True, kw_only=True)
class NetworkConfig:
    """Everything that defines a network except its parameter values.

    Attributes
    ----------
    n_in, n_rec, n_out : int
        Numbers of inputs, recurrent units and outputs.
    init : {"normal", "orthogonal", "identity", "user"}
        How W_rec was initialized.
    gain : float
        Scale of W_rec at init: standard deviation ``gain / sqrt(n_rec)`` (normal),
        ``gain`` times an orthogonal or identity matrix, or the spectral radius of the
        initial W_rec under Dale's law.
    activation : {"tanh", "relu", "softplus", "sigmoid", "linear"}
    alpha : float
        ``dt / tau`` in (0, 1]; 1 is the discrete RNN ``h_t = sigma(W_rec h_{t-1} + ...)``.
    dale : float or None
        Fraction of excitatory units (the first ``round(dale * n_rec)``), or None.
    dale_mode : {"presynaptic", "postsynaptic"}
        Sign-constrain the columns of W_rec (outgoing weights of a unit, Dale's law) or its
        rows (what Keras code that forgets Keras' transposed storage does).
    dale_init : {"balanced", "projected"}
        Under Dale's law, how the initial W_rec is made from the draw (see
        :meth:`Network.create`).
    autapses : bool
        Whether self-connections (the diagonal of W_rec) exist.
    e_only_readout : bool
        Read out only from excitatory units (requires ``dale``).
    conn_prob : float
        Probability of a recurrent connection (1.0 = all-to-all; a user mask is "user").
    sigma_rec : float
        Recurrent noise level (the noise added per step is ``sqrt(2 alpha) sigma_rec xi``).
    dtype : {"float64", "float32"}
    seed : int or None
        Seed of the initialization, when it was given as an int.
    trainable : tuple of str
        Names of the parameters the optimizer updates. For a low-rank network, "W_rec"
        stands for its factors and is recorded as "U", "V".
    output : {"linear", "sigmoid", "softmax"}
        Nonlinearity of the output, ``z = f(W_out h + b_out)`` (see :mod:`purernn.outputs`).
    rank : int or None
        With a rank r, ``W_rec = U V^T / n_rec`` with trained factors ``U, V (n_rec, r)``;
        None: W_rec is a free matrix.
    """

    n_in: int
    n_rec: int
    n_out: int
    init: str = "orthogonal"
    gain: float = 1.0
    activation: str = "tanh"
    alpha: float = 1.0
    dale: float | None = None
    dale_mode: str = "presynaptic"
    dale_init: str = "balanced"
    autapses: bool = True
    e_only_readout: bool = False
    conn_prob: float | str = 1.0
    sigma_rec: float = 0.0
    dtype: str = "float64"
    seed: int | None = None
    trainable: tuple = PARAM_NAMES
    output: str = "linear"
    rank: int | None = None

    def __post_init__(self):
        check_int("n_in", self.n_in, lo=1)
        check_int("n_rec", self.n_rec, lo=1)
        check_int("n_out", self.n_out, lo=1)
        check_choice("init", self.init, INITS)
        check_number("gain", self.gain, lo=0.0)
        check_choice("activation", self.activation, kernels.ACTIVATIONS)
        check_number("alpha", self.alpha, lo=0.0, hi=1.0, lo_open=True)
        if self.dale is not None:
            check_number("dale", self.dale, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
            n_exc = round(self.dale * self.n_rec)
            if not 0 < n_exc < self.n_rec:
                fail("dale", f"a fraction giving between 1 and n_rec - 1 = {self.n_rec - 1} "
                     "excitatory units", self.dale, "Use more units or a fraction closer to 0.5.")
        check_choice("dale_mode", self.dale_mode, DALE_MODES)
        check_choice("dale_init", self.dale_init, DALE_INITS)
        if not isinstance(self.autapses, bool):
            fail("autapses", "True or False", self.autapses)
        if not isinstance(self.e_only_readout, bool):
            fail("e_only_readout", "True or False", self.e_only_readout)
        if self.e_only_readout and self.dale is None:
            fail("e_only_readout", "False when dale is None (no excitatory units defined)", True)
        if self.conn_prob != "user":
            check_number("conn_prob", self.conn_prob, lo=0.0, hi=1.0, lo_open=True)
        check_number("sigma_rec", self.sigma_rec, lo=0.0)
        check_choice("dtype", self.dtype, DTYPES)
        check_choice("output", self.output, OUTPUTS)
        if self.seed is not None:
            check_int("seed", self.seed, lo=0)
        trainable = tuple(self.trainable)
        if self.rank is None:
            for name in trainable:
                check_choice("trainable", name, PARAM_NAMES)
        else:
            self._check_rank()
            for name in trainable:
                check_choice("trainable", name, PARAM_NAMES + FACTOR_NAMES)
            trainable = tuple(dict.fromkeys(n for name in trainable
                                            for n in (FACTOR_NAMES if name == "W_rec" else (name,))))
        object.__setattr__(self, "trainable", trainable)

    def _check_rank(self):
        """What a low-rank W_rec = U V^T / n_rec cannot have."""
        check_int("rank", self.rank, lo=1, hi=self.n_rec)
        why = "when rank is set: U V^T / n_rec cannot be constrained entry by entry"
        if self.dale is not None:
            fail("dale", f"None {why} (Dale's law)", self.dale, "Train a full-rank network for Dale's law.")
        if self.conn_prob != 1.0:
            fail("conn_prob", f"1.0 {why} (a connectivity mask)", self.conn_prob)
        if not self.autapses:
            fail("autapses", f"True {why} (a zero diagonal)", self.autapses)

    @property
    def variable_names(self) -> tuple:
        """Names of the arrays the network stores (and a run file saves): PARAM_NAMES, or
        for a low-rank network W_rec replaced by its factors U, V."""
        return PARAM_NAMES if self.rank is None else LOWRANK_NAMES

    @property
    def n_exc(self) -> int:
        """Number of excitatory units (all units when Dale's law is off)."""
        return self.n_rec if self.dale is None else round(self.dale * self.n_rec)

    @property
    def signs(self) -> np.ndarray | None:
        """(n_rec,) +1 for excitatory, -1 for inhibitory units; None without Dale."""
        if self.dale is None:
            return None
        s = -np.ones(self.n_rec)
        s[: self.n_exc] = 1.0
        return s

    def to_dict(self) -> dict:
        """JSON-serializable fields."""
        d = dataclasses.asdict(self)
        d["trainable"] = list(self.trainable)
        return d


@dataclass(frozen=True, eq=False)
class Network:
    """An immutable rate RNN: configuration, parameters and structural masks.

    Build one with :meth:`Network.create`. ``net.params`` returns a dict with the keys
    ``W_in (n_rec, n_in), W_rec (n_rec, n_rec), b_rec (n_rec,), W_out (n_out, n_rec),
    b_out (n_out,)``; the arrays are read-only. Training returns a new Network.
    ``net.variables`` are the arrays it is made of (what the optimizer updates and a run
    file saves): the same five, or for a low-rank network ``U, V (n_rec, rank)`` in place
    of W_rec, which is then ``U V^T / n_rec``; the constructor takes these variables.

    Attributes
    ----------
    config : NetworkConfig
    rec_mask : ndarray of bool, shape (n_rec, n_rec), or None
        Recurrent connections that exist (None: all of them).
    out_mask : ndarray of bool, shape (n_out, n_rec), or None
        Readout weights that exist (None: all of them).
    """

    config: NetworkConfig
    _params: Mapping = field(repr=False)
    rec_mask: np.ndarray | None = field(default=None, repr=False)
    out_mask: np.ndarray | None = field(default=None, repr=False)
    _factors: Mapping = field(default_factory=lambda: MappingProxyType({}), init=False, repr=False)

    def __post_init__(self):
        cfg = self.config
        names = cfg.variable_names
        shapes = param_shapes(cfg.n_in, cfg.n_rec, cfg.n_out, cfg.rank)
        if set(self._params) != set(names):
            hint = f"W_rec of a rank-{cfg.rank} network is U V^T / n_rec: give U and V." if cfg.rank else ""
            fail("params", f"a dict with exactly the keys {names}", sorted(self._params), hint)
        params = {}
        for name in names:
            arr = check_array(f"params[{name!r}]", self._params[name], shape=shapes[name],
                              dtype=cfg.dtype).copy()
            arr.flags.writeable = False
            params[name] = arr
        if cfg.rank is not None:
            factors = {k: params.pop(k) for k in FACTOR_NAMES}
            W_rec = (factors["U"] @ factors["V"].T) / cfg.n_rec  # (n_rec, n_rec), the effective matrix
            W_rec.flags.writeable = False
            params = {k: W_rec if k == "W_rec" else params[k] for k in PARAM_NAMES}
            object.__setattr__(self, "_factors", MappingProxyType(factors))
        object.__setattr__(self, "_params", MappingProxyType(params))
        for mask_name, shape in (("rec_mask", (cfg.n_rec, cfg.n_rec)), ("out_mask", (cfg.n_out, cfg.n_rec))):
            mask = getattr(self, mask_name)
            if mask is not None:
                mask = check_array(mask_name, mask, shape=shape).astype(bool)
                mask.flags.writeable = False
                object.__setattr__(self, mask_name, mask)

    # -- construction ---------------------------------------------------------------

    @classmethod
    def create(
        cls,
        n_in: int,
        n_rec: int,
        n_out: int,
        *,
        init="orthogonal",
        gain: float = 1.0,
        activation: str = "tanh",
        alpha: float = 1.0,
        dale: float | None = None,
        dale_mode: str = "presynaptic",
        dale_init: str = "balanced",
        autapses: bool = True,
        e_only_readout: bool = False,
        conn_prob=1.0,
        sigma_rec: float = 0.0,
        dtype: str = "float64",
        seed=None,
        trainable=PARAM_NAMES,
        output: str = "linear",
        rank: int | None = None,
    ) -> "Network":
        """Create and initialize a network.

        Parameters
        ----------
        n_in, n_rec, n_out : int
        init : {"normal", "orthogonal", "identity"} or ndarray (n_rec, n_rec)
            ``normal``: W_rec ~ N(0, gain^2 / n_rec); ``orthogonal``: a Haar-random
            orthogonal matrix (``scipy.stats.ortho_group``) times gain; ``identity``:
            gain times I; an array: used as given, times gain. With `rank`, the draw of
            U and V: ``normal``, i.i.d. N(0, gain^2) entries; ``orthogonal``, W_rec is
            gain times a Haar-random rotation of a random rank-dimensional subspace (its
            nonzero eigenvalues have modulus gain; rank 1: the eigenvalue is gain);
            ``identity``, gain times the projector on such a subspace (eigenvalues gain).
        gain : float
            See above. Under Dale's law, the spectral radius of the initial W_rec.
        activation : {"tanh", "relu", "softplus", "sigmoid", "linear"}
        alpha : float in (0, 1]
            ``dt / tau``.
        dale : float in (0, 1) or None
            Fraction of excitatory units (the first ``round(dale * n_rec)``).
        dale_mode : {"presynaptic", "postsynaptic"}
            Sign-constrain columns (Dale's law) or rows (the published Keras E/I code,
            whose recurrent matrix is stored transposed).
        dale_init : {"balanced", "projected"}
            How the initial W_rec obeys Dale's law. ``"balanced"``: magnitudes
            ``|normal|`` or ``|orthogonal|`` with the sign of the unit; each row's
            inhibitory weights are rescaled so that excitation and inhibition cancel (row
            sums are zero, so no large real eigenvalue sticks out of the bulk); the matrix
            is then scaled to spectral radius ``gain``. Its bulk is a disk for both draws.
            ``"projected"``: ``gain`` times the draw with its wrongly signed entries set to
            0, the constraint of every training step applied once more (what Keras code
            with a sign ``kernel_constraint`` starts from after its first update). About
            half of the entries survive: an orthogonal draw keeps a ring (at n_rec = 200
            its moduli lie between about 0.35 and 0.7 times ``gain``), a normal draw a
            disk of radius about 0.7 ``gain`` (90% of the moduli below 0.55 ``gain``);
            unless E and I are equally many, the mean of the kept entries adds a large
            real eigenvalue.
        autapses : bool
            False removes the diagonal of W_rec (kept at 0 through training).
        e_only_readout : bool
            Read out from excitatory units only (W_out columns of inhibitory units are 0).
        conn_prob : float in (0, 1] or ndarray of bool (n_rec, n_rec)
            Connection probability, or a connectivity mask; absent connections are 0 at
            init and stay 0. Random inits are rescaled by ``1 / sqrt(conn_prob)`` so the
            spectral radius stays near ``gain``.
        sigma_rec : float >= 0
            Recurrent noise level.
        dtype : {"float64", "float32"}
        seed : int, numpy.random.Generator or None
        trainable : sequence of str
            Names of the parameters to train (default: all).
        output : {"linear", "sigmoid", "softmax"}
            The output nonlinearity; ``"sigmoid"`` and ``"softmax"`` go with the
            cross-entropy loss (``TrainConfig(loss="cross_entropy")``).
        rank : int or None
            Parametrize ``W_rec = U V^T / n_rec`` by trained factors ``U, V (n_rec, rank)``
            (Dubreuil, Valente et al. 2022, Nat. Neurosci. 25:783, train such networks);
            "W_rec" in `trainable` then stands for U and V. Dale's law, masks and no
            autapses are refused: they cannot be imposed on the product.

        Returns
        -------
        Network

        Examples
        --------
        >>> import purernn as pr
        >>> net = pr.Network.create(2, 50, 1, init="normal", gain=1.5, seed=0)
        >>> net.params["W_rec"].shape
        (50, 50)
        """
        user_init = None
        if not isinstance(init, str):
            user_init = check_array("init", init, shape=(n_rec, n_rec), names=("n_rec", "n_rec"),
                                    dtype=np.float64)
            init = "user"
        user_mask = None
        if not np.isscalar(conn_prob):
            user_mask = check_array("conn_prob", conn_prob, shape=(n_rec, n_rec),
                                    names=("n_rec", "n_rec"))
            if user_mask.dtype != bool:
                fail("conn_prob", "a float in (0, 1] or a boolean mask", f"an array of dtype {user_mask.dtype}")
            conn_prob = "user"
        if rank is not None and user_init is not None:
            fail("init", "'normal', 'orthogonal' or 'identity' when rank is set", "an array",
                 "Give the factors instead: Network.from_params({..., 'U': U, 'V': V}).")
        seed_int = seed if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) else None
        config = NetworkConfig(
            n_in=n_in, n_rec=n_rec, n_out=n_out, init=init, gain=gain, activation=activation,
            alpha=alpha, dale=dale, dale_mode=dale_mode, dale_init=dale_init, autapses=autapses,
            e_only_readout=e_only_readout, conn_prob=conn_prob, sigma_rec=sigma_rec,
            dtype=dtype, seed=seed_int, trainable=tuple(trainable), output=output, rank=rank,
        )
        if init == "identity" and dale is not None:
            fail("init", "'normal', 'orthogonal' or an array when dale is set (an identity "
                 "W_rec cannot be sign-constrained by columns and balanced)", init)
        rng = as_generator(seed)
        if rank is not None:
            U, V = _init.init_factors(config, rng)
            return cls(config, {"W_in": _init.glorot_uniform(rng, n_rec, n_in), "U": U, "V": V,
                                "b_rec": np.zeros(n_rec), "W_out": _init.glorot_uniform(rng, n_out, n_rec),
                                "b_out": np.zeros(n_out)})

        rec_mask = _init.connectivity_mask(config, user_mask, rng)
        W_rec = _init.init_recurrent(config, user_init, rec_mask, rng)
        out_mask = None
        if e_only_readout:
            out_mask = np.zeros((n_out, n_rec), dtype=bool)
            out_mask[:, : config.n_exc] = True
        W_in = _init.glorot_uniform(rng, n_rec, n_in)
        W_out = _init.glorot_uniform(rng, n_out, n_rec)
        if out_mask is not None:
            W_out = W_out * out_mask
        params = {"W_in": W_in, "W_rec": W_rec, "b_rec": np.zeros(n_rec), "W_out": W_out,
                  "b_out": np.zeros(n_out)}
        return cls(config, params, rec_mask=rec_mask, out_mask=out_mask)

    @classmethod
    def from_params(cls, params: Mapping, *, rec_mask=None, out_mask=None, **config) -> "Network":
        """A network with given parameter values (e.g. loaded from a file).

        ``n_in``, ``n_rec`` and ``n_out`` are read from the shapes of ``params``;
        ``config`` holds the other :class:`NetworkConfig` fields. Factors ``U, V`` in place
        of W_rec give a low-rank network (its rank read from U).
        """
        if "W_in" not in params or "W_out" not in params or not ("W_rec" in params or "U" in params):
            fail("params", f"a dict with the keys {PARAM_NAMES} (or {LOWRANK_NAMES})", sorted(params))
        n_rec, n_in = np.shape(params["W_in"])
        n_out = np.shape(params["W_out"])[0]
        config.setdefault("init", "user")
        if "U" in params and np.ndim(params["U"]) == 2:
            config.setdefault("rank", np.shape(params["U"])[1])
        cfg = NetworkConfig(n_in=n_in, n_rec=n_rec, n_out=n_out, **config)
        return cls(cfg, dict(params), rec_mask=rec_mask, out_mask=out_mask)

    # -- access ---------------------------------------------------------------------

    @property
    def params(self) -> dict:
        """Parameters by name (read-only arrays; a new dict at each access)."""
        return dict(self._params)

    @property
    def variables(self) -> dict:
        """The arrays the network is made of (``config.variable_names``), which the optimizer
        updates and a run file saves: ``params``, or ``W_in, U, V, b_rec, W_out, b_out``."""
        if not self._factors:
            return dict(self._params)
        return {k: self._factors[k] if k in FACTOR_NAMES else self._params[k]
                for k in self.config.variable_names}

    @property
    def factors(self) -> dict | None:
        """``{"U": (n_rec, rank), "V": (n_rec, rank)}`` of a low-rank network, else None."""
        return dict(self._factors) if self._factors else None

    @property
    def n_in(self) -> int:
        return self.config.n_in

    @property
    def n_rec(self) -> int:
        return self.config.n_rec

    @property
    def n_out(self) -> int:
        return self.config.n_out

    @property
    def alpha(self) -> float:
        return self.config.alpha

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.config.dtype)

    def with_params(self, params: Mapping) -> "Network":
        """The same network with new parameter values (all keys required).

        A low-rank network takes its variables (U and V in place of W_rec), or the five
        arrays of ``net.params``: with W_rec unchanged the factors are kept; with a changed
        W_rec (a lesion, say) the result is the full-rank network with these weights.
        """
        if self._factors and not any(k in params for k in FACTOR_NAMES):
            if not np.array_equal(params.get("W_rec"), self._params["W_rec"]):
                return self.full_rank().with_params(params)
            params = {**{k: v for k, v in params.items() if k != "W_rec"}, **self._factors}
        return Network(self.config, dict(params), rec_mask=self.rec_mask, out_mask=self.out_mask)

    def _with_trained(self, params: dict) -> "Network":
        """:meth:`with_params` for the arrays a training step just computed (new, C-contiguous,
        of the network's dtype, constraints applied; the step checked the gradient is
        finite): the network adopts them, read-only, without the constructor's checks and
        copies (a tenth of the cost; a step of a small network notices)."""
        if self._factors:
            return self.with_params(params)  # W_rec is recomputed from the factors
        net = object.__new__(Network)
        for a in params.values():
            a.flags.writeable = False
        for name, value in (("config", self.config), ("_params", MappingProxyType(params)),
                            ("rec_mask", self.rec_mask), ("out_mask", self.out_mask), ("_factors", self._factors)):
            object.__setattr__(net, name, value)
        return net

    def full_rank(self) -> "Network":
        """The same weights with W_rec a free matrix (``rank=None``; training W_rec where
        the factors were trained). A full-rank network is returned as it is."""
        if not self._factors:
            return self
        trainable = dict.fromkeys("W_rec" if n in FACTOR_NAMES else n for n in self.config.trainable)
        cfg = dataclasses.replace(self.config, rank=None, trainable=tuple(trainable))
        return Network(cfg, dict(self._params))

    def replace(self, **changes) -> "Network":
        """The same parameters under a changed configuration (e.g. ``sigma_rec=0``).

        Only fields that do not change the parameters' shapes or meaning make sense here:
        ``sigma_rec``, ``trainable``, ``alpha``, ``activation``, ``dtype``.
        """
        return Network(dataclasses.replace(self.config, **changes), self.variables,
                       rec_mask=self.rec_mask, out_mask=self.out_mask)

    def project(self, params: dict) -> None:
        """Apply the constraints to `params` in place.

        Absent connections are set to 0; under Dale's law, wrongly signed entries of
        W_rec are set to 0 (the way a Keras ``kernel_constraint`` works).
        """
        if self.rec_mask is not None:
            params["W_rec"] *= self.rec_mask
        signs = self.config.signs
        if signs is not None:
            W = params["W_rec"]
            if self.config.dale_mode == "presynaptic":
                np.copyto(W, 0.0, where=W * signs[None, :] < 0)
            else:
                np.copyto(W, 0.0, where=W * signs[:, None] < 0)
        if self.out_mask is not None:
            params["W_out"] *= self.out_mask


def param_shapes(n_in: int, n_rec: int, n_out: int, rank: int | None = None) -> dict:
    """Shapes of the parameters by name (and of the factors U, V with a rank)."""
    shapes = {"W_in": (n_rec, n_in), "W_rec": (n_rec, n_rec), "b_rec": (n_rec,),
              "W_out": (n_out, n_rec), "b_out": (n_out,)}
    if rank is not None:
        shapes.update(U=(n_rec, rank), V=(n_rec, rank))
    return shapes
