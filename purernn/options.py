"""Which settings can a training run be given? One table of every network and training
option: its type, its allowed values, its usual default and a help line.

The command line (``purernn train --n-rec 50``), a training TOML file (``n_rec = 50``), a
study file (``[network] n_rec = 50``) and Python (``pr.default_network(task, n_rec=50)``,
``pr.TrainConfig(n_steps=...)``) use the same names. This module is plain data (no NumPy,
no Numba), so that ``purernn train --help`` answers at once; ``tests/test_cli.py`` checks
it against :class:`purernn.NetworkConfig`, :class:`purernn.TrainConfig` and the presets.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Option", "NETWORK", "TRAINING", "OPTIONS", "DEPRECATED_FLAGS", "PARSERS", "help_line",
           "parse_bool", "parse_assignments"]


@dataclass(frozen=True)
class Option:
    """One setting of a run.

    Attributes
    ----------
    name : str
        The name in Python, TOML and study files; the CLI flag is ``--`` + name with ``-``.
    type : {"int", "float", "str", "bool", "float_or_none", "int_or_none"}
    default : object
        The value most tasks use (the task's preset may set another).
    help : str
        What it means, in one line.
    choices : tuple of str, optional
        The allowed values of a string option.
    preset : bool
        Whether a task's preset may change the default (``purernn tasks NAME`` shows it).
    """

    name: str
    type: str
    default: object
    help: str
    choices: tuple = ()
    preset: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


#: Keywords of ``Network.create`` (``pr.default_network`` fills them from the task's preset).
NETWORK = (
    Option("n_rec", "int", 50, "number of recurrent units", preset=True),
    Option("init", "str", "orthogonal", "initialization of W_rec", ("normal", "orthogonal", "identity")),
    Option("gain", "float", 1.0, "scale of W_rec at init: std gain/sqrt(n_rec) (normal), gain x the "
           "matrix (orthogonal, identity), or its spectral radius under Dale's law"),
    Option("activation", "str", "tanh", "activation sigma of the units",
           ("tanh", "relu", "softplus", "sigmoid", "linear")),
    Option("alpha", "float", 1.0, "dt/tau in (0, 1]; 1 is the discrete RNN h_t = sigma(W_rec h_{t-1} + ...)",
           preset=True),
    Option("dale", "float_or_none", None, "Dale's law: fraction of excitatory units in (0, 1), e.g. 0.8 "
           "(the first round(dale*n_rec) units); 'none' for no sign constraint"),
    Option("dale_mode", "str", "presynaptic", "under Dale's law, sign-constrain the columns of W_rec "
           "(outgoing weights) or its rows (the published Keras E/I code)", ("presynaptic", "postsynaptic")),
    Option("dale_init", "str", "balanced", "under Dale's law, how the initial W_rec obeys it",
           ("balanced", "projected")),
    Option("autapses", "bool", True, "keep self-connections (the diagonal of W_rec)"),
    Option("e_only_readout", "bool", False, "read out from excitatory units only (needs --dale)"),
    Option("conn_prob", "float", 1.0, "probability of each recurrent connection in (0, 1]"),
    Option("sigma_rec", "float", 0.0, "recurrent noise: sqrt(2 alpha) sigma_rec xi_t is added at each step"),
    Option("dtype", "str", "float64", "floating-point type of the network and the computation",
           ("float64", "float32")),
    Option("output", "str", "linear", "output nonlinearity z = f(W_out h + b_out)",
           ("linear", "sigmoid", "softmax")),
    Option("rank", "int_or_none", None, "a low-rank W_rec = U V^T / n_rec of this rank, with trained "
           "factors U, V; 'none' for a full matrix"),
)

#: Fields of :class:`purernn.TrainConfig` (``pr.default_train_config`` fills them from
#: the task's preset).
TRAINING = (
    Option("regime", "str", "fresh", "fixed: passes over one training set (n_samples, n_epochs); "
           "fresh: a new batch at each of n_steps steps", ("fixed", "fresh"), preset=True),
    Option("n_steps", "int", 3000, "optimizer steps with fresh trials (sets --regime fresh)", preset=True),
    Option("n_epochs", "int", 20, "passes over the fixed training set (sets --regime fixed)", preset=True),
    Option("n_samples", "int", 4000, "trials in the fixed training set", preset=True),
    Option("batch_size", "int", 32, "trials per optimizer step", preset=True),
    Option("lr", "float", 1e-3, "Adam learning rate (> 0; about lr*50/n_rec for larger networks)",
           preset=True),
    Option("beta1", "float", 0.9, "Adam decay of the first moment, in [0, 1)"),
    Option("beta2", "float", 0.999, "Adam decay of the second moment, in [0, 1)"),
    Option("eps", "float", 1e-8, "Adam epsilon (> 0)"),
    Option("loss", "str", "mse", "training loss (cross_entropy for sigmoid or softmax outputs)",
           ("mse", "cross_entropy")),
    Option("clip_norm", "float_or_none", 1.0, "rescale the gradient to this global norm when larger; "
           "'none' for no clipping", preset=True),
    Option("l2_weights", "float", 0.0, "L2 penalty on W_in, W_rec, W_out (>= 0)"),
    Option("l2_rates", "float", 0.0, "L2 penalty on the rates h (>= 0)"),
    Option("n_valid", "int", 256, "trials of the fixed validation set"),
    Option("eval_every", "int", 50, "validate every this many steps", preset=True),
    Option("target_accuracy", "float_or_none", None, "validation accuracy that counts as learned; "
           "'none': the task's criterion"),
    Option("loss_threshold", "float_or_none", None, "also stop when the validation loss is at or below "
           "this; 'none': no such stop"),
    Option("patience", "int", 1, "a stop rule must hold on this many evaluations in a row", preset=True),
    Option("valid_balanced", "bool", True, "draw the validation set with every condition equally often"),
    Option("stop_rule", "str", "mean", "the criterion must hold for the mean validation accuracy, or for "
           "that of every condition", ("mean", "every_condition")),
    Option("keep_best", "bool", True, "return the best evaluated parameters rather than the last"),
    Option("stop_at_criterion", "bool", True, "stop when the validation accuracy reaches the criterion"),
    Option("checkpoint_every", "int", 200, "steps between checkpoints (Ctrl-C also saves one)"),
    Option("seed", "int", None, "seed of every random draw (init, trials, noise, order); without it one "
           "is drawn, printed and stored in run.json"),
)

#: Every option by name.
OPTIONS = {o.name: o for o in NETWORK + TRAINING}

#: Flags of purernn 0.1, still accepted (with a deprecation notice) -> the option now.
DEPRECATED_FLAGS = {"steps": "n_steps", "epochs": "n_epochs"}


def help_line(option: Option) -> str:
    """The ``--help`` line of `option`: what it is, its allowed values and its default."""
    text = option.help
    if option.choices:
        text += "; one of " + ", ".join(option.choices)
    elif option.type == "bool":
        text += "; true or false"
    default = "none" if option.default is None else str(option.default).lower() \
        if isinstance(option.default, bool) else f"{option.default:g}" \
        if isinstance(option.default, float) else str(option.default)
    if option.name == "seed":
        default = "drawn at random"
    text += f" (default: {default}"
    text += ", or the task's preset)" if option.preset else ")"
    return text.replace("%", "%%")


def parse_bool(text: str) -> bool:
    """``true/false``, ``yes/no``, ``on/off``, ``1/0`` (any case) -> bool."""
    low = text.lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def _float_or_none(text: str):
    return None if text.lower() == "none" else float(text)


def _int_or_none(text: str):
    return None if text.lower() == "none" else int(text)


parse_bool.__name__ = "true or false"  # argparse names the type in its error message
_float_or_none.__name__ = "a number or none"
_int_or_none.__name__ = "an integer or none"

#: Option type -> the function that reads its value from command-line text.
PARSERS = {"int": int, "float": float, "str": str, "bool": parse_bool, "float_or_none": _float_or_none,
           "int_or_none": _int_or_none}


def parse_assignments(items) -> dict:
    """``["noise_sigma=0.05", "n_bits=3"]`` -> ``{"noise_sigma": 0.05, "n_bits": 3}``.

    Values are read as TOML values (numbers, true/false, quoted strings, [lists]); a bare
    word is a string.

    Examples
    --------
    >>> parse_assignments(["noise_sigma=0.05", "protocol=pulses", "pulse_gaps=[70, 100]"])
    {'noise_sigma': 0.05, 'protocol': 'pulses', 'pulse_gaps': [70, 100]}
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib
    out = {}
    for item in items:
        name, sep, text = str(item).partition("=")
        if not sep or not name.strip():
            raise ValueError(f"expected NAME=VALUE (e.g. noise_sigma=0.05); got {item!r}")
        try:
            out[name.strip()] = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            out[name.strip()] = text.strip()
    return out
