"""Networks to and from other tools: Keras ``SimpleRNN(tanh) + Dense`` weight files and
MATLAB files.

The published networks of C. Jarne's papers (github.com/katejarne/RNN_study_with_keras)
are Keras models saved as HDF5. :func:`load_keras_h5` turns one into a purernn
:class:`~purernn.model.Network`, so that every analysis applies to it;
:func:`save_keras_h5` writes a network the other way, in the layout Keras'
``model.load_weights`` reads (and :func:`load_keras_h5` reads back exactly).
:func:`save_mat` and :func:`load_mat` write and read a network as a MATLAB file
(``scipy.io``): one named array per parameter, the configuration, and the model equation.
h5py is imported only when a Keras file is read or written.
"""

from __future__ import annotations

import io as _io
import os

import numpy as np

from ._files import write_bytes
from ._validate import check_choice, fail
from .model import PARAM_NAMES, Network, NetworkConfig

__all__ = ["load_keras_h5", "save_keras_h5", "save_mat", "load_mat", "MODEL_EQUATION"]

#: The model, as written into exported files (MATLAB column-vector notation).
MODEL_EQUATION = ("h_t = (1 - alpha) h_{t-1} + alpha sigma(W_rec h_{t-1} + W_in x_t + b_rec) "
                  "+ sqrt(2 alpha) sigma_rec xi_t;  z_t = W_out h_t + b_out;  h_0 = 0, "
                  "xi_t ~ N(0, I), sigma = the activation, alpha = dt / tau")

_RNN_PREFIXES = ("simple_rnn",)
_DENSE_PREFIXES = ("dense", "time_distributed")


def _import_h5py():
    try:
        import h5py
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("Keras files need h5py, a dependency of purernn that is missing "
                          "here: pip install h5py") from exc
    return h5py


def _layer_weights(root, prefixes) -> dict:
    """{layer name: {"kernel"|"recurrent_kernel"|"bias": array}} for matching layers.

    Handles the Keras 2 layout ``model_weights/<layer>/<layer>/[<cell>/]kernel:0`` (and
    weights-only files, where the layer groups sit at the root) by walking each layer
    group for datasets named ``kernel:0``, ``recurrent_kernel:0``, ``bias:0``.
    """
    import h5py

    found = {}
    for name in root:
        obj = root[name]
        if not isinstance(obj, h5py.Group) or not name.lower().startswith(prefixes):
            continue
        arrays = {}

        def visit(path, item, arrays=arrays):
            if isinstance(item, h5py.Dataset):
                leaf = path.rsplit("/", 1)[-1].split(":")[0]
                if leaf in ("kernel", "recurrent_kernel", "bias") and leaf not in arrays:
                    arrays[leaf] = np.asarray(item[()], dtype=np.float64)

        obj.visititems(visit)
        if "kernel" in arrays:
            found[name] = arrays
    return found


def load_keras_h5(path, *, dtype: str = "float64") -> Network:
    """Load a Keras ``SimpleRNN(tanh)`` + ``Dense`` model file as a purernn Network.

    Parameters
    ----------
    path : str or path-like
        An HDF5 file written by Keras 2 ``model.save(...h5)`` or ``save_weights``:
        groups ``model_weights/simple_rnn_*/...`` holding ``kernel:0`` (n_in, n_rec),
        ``recurrent_kernel:0`` (n_rec, n_rec) and optionally ``bias:0`` (n_rec,), and
        ``model_weights/dense_*/...`` holding ``kernel:0`` (n_rec, n_out) and
        optionally ``bias:0`` (n_out,). A ``TimeDistributed(Dense)`` layer is accepted
        in place of ``Dense``.
    dtype : {"float64", "float32"}
        dtype of the returned network.

    Returns
    -------
    Network
        ``activation="tanh"``, ``alpha=1`` (Keras' SimpleRNN is the discrete RNN
        ``h_t = tanh(W_rec h_{t-1} + W_in x_t + b_rec)``), ``init="user"``.

    Raises
    ------
    ImportError
        h5py is not installed.
    ValidationError
        The file does not exist or does not hold exactly one SimpleRNN and one Dense
        layer of consistent shapes.

    Notes
    -----
    Keras computes ``h_t = tanh(x_t K + h_{t-1} R + b)`` and ``z_t = h_t D + c`` with
    row vectors, so its matrices are stored with the presynaptic index first; purernn
    uses column vectors: ``W_in = K^T``, ``W_rec = R^T``, ``W_out = D^T``. Transposing
    matters for everything that reads W_rec by columns or rows (Dale's law, the
    direction of eigenvectors); the eigenvalues are unchanged.
    """
    check_choice("dtype", dtype, ("float64", "float32"))
    path = os.fspath(path)
    if not os.path.isfile(path):
        fail("path", "an existing Keras HDF5 file", path)
    h5py = _import_h5py()
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        fail("path", "a readable HDF5 file", path, str(exc))
    with f:
        root = f["model_weights"] if "model_weights" in f else f
        rnn = _layer_weights(root, _RNN_PREFIXES)
        dense = _layer_weights(root, _DENSE_PREFIXES)
    if len(rnn) != 1 or "recurrent_kernel" not in next(iter(rnn.values()), {}):
        fail("path", "a Keras file with exactly one simple_rnn layer (kernel, recurrent_kernel)",
             f"{path} with {len(rnn)} simple_rnn layers: {sorted(rnn)}")
    if len(dense) != 1:
        fail("path", "a Keras file with exactly one dense layer after the SimpleRNN",
             f"{path} with {len(dense)} dense layers: {sorted(dense)}")
    r = next(iter(rnn.values()))
    d = next(iter(dense.values()))
    K, R = r["kernel"], r["recurrent_kernel"]
    if K.ndim != 2 or R.ndim != 2 or R.shape[0] != R.shape[1] or K.shape[1] != R.shape[0]:
        fail("path", "a SimpleRNN with kernel (n_in, n_rec) and recurrent_kernel (n_rec, n_rec)",
             f"kernel {K.shape}, recurrent_kernel {R.shape}")
    n_rec = R.shape[0]
    D = d["kernel"]
    if D.ndim != 2 or D.shape[0] != n_rec:
        fail("path", f"a Dense layer with kernel (n_rec={n_rec}, n_out)", f"kernel {D.shape}")
    n_out = D.shape[1]
    b = r.get("bias", np.zeros(n_rec))
    c = d.get("bias", np.zeros(n_out))
    if b.shape != (n_rec,) or c.shape != (n_out,):
        fail("path", f"biases of shapes ({n_rec},) and ({n_out},)", f"{b.shape} and {c.shape}")
    params = {
        "W_in": np.ascontiguousarray(K.T, dtype=dtype),
        "W_rec": np.ascontiguousarray(R.T, dtype=dtype),
        "b_rec": np.ascontiguousarray(b, dtype=dtype),
        "W_out": np.ascontiguousarray(D.T, dtype=dtype),
        "b_out": np.ascontiguousarray(c, dtype=dtype),
    }
    return Network.from_params(params, activation="tanh", alpha=1.0, dtype=dtype)


# ---------------------------------------------------------------------------------------
# Writing: Keras weight files and MATLAB files
# ---------------------------------------------------------------------------------------


def _check_net(net) -> Network:
    if not isinstance(net, Network):
        fail("net", "a purernn.Network", type(net).__name__)
    return net


def save_keras_h5(net: Network, path) -> str:
    """Write `net` as a Keras ``SimpleRNN(tanh) + Dense`` HDF5 weight file.

    The layout is Keras 2's ``save_weights`` HDF5 format, which Keras 2 and 3 read with
    ``model.load_weights(path)`` into ``Sequential([SimpleRNN(n_rec,
    return_sequences=True), Dense(n_out)])`` and :func:`load_keras_h5` reads back to the
    same parameters (in the network's dtype).

    Parameters
    ----------
    net : Network
        A discrete tanh network (``alpha = 1``, ``activation = "tanh"``, linear output):
        what Keras' SimpleRNN computes.
    path : str or path-like
        The file to write (``.h5`` or ``.hdf5``; written atomically).

    Returns
    -------
    str
        The path written.

    Notes
    -----
    Keras stores the transposes of purernn's matrices (``kernel = W_in^T``,
    ``recurrent_kernel = W_rec^T``, ``Dense kernel = W_out^T``). Recurrent noise
    (``sigma_rec``) has no Keras counterpart; it is recorded in the file's attributes.
    """
    cfg = _check_net(net).config
    if cfg.alpha != 1.0:
        fail("net", "a network with alpha = 1 (Keras' SimpleRNN has no leak: h_t = tanh(...))",
             f"alpha = {cfg.alpha:g}", "Export it as a MATLAB file instead (purernn export --format mat).")
    if cfg.activation != "tanh" or cfg.output != "linear":
        fail("net", "a tanh network with a linear readout (SimpleRNN(tanh) + Dense)",
             f"activation {cfg.activation!r}, output {cfg.output!r}", "Export it as a MATLAB file instead.")
    path = os.fspath(path)
    h5py = _import_h5py()
    p = net.params
    layers = {
        "simple_rnn": {"simple_rnn/simple_rnn_cell/kernel:0": p["W_in"].T,
                       "simple_rnn/simple_rnn_cell/recurrent_kernel:0": p["W_rec"].T,
                       "simple_rnn/simple_rnn_cell/bias:0": p["b_rec"]},
        "dense": {"dense/kernel:0": p["W_out"].T, "dense/bias:0": p["b_out"]},
    }
    buf = _io.BytesIO()
    with h5py.File(buf, "w", track_order=True) as f:
        f.attrs["layer_names"] = np.array([name.encode() for name in layers])
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.15.0"
        f.attrs["purernn_equation"] = MODEL_EQUATION
        f.attrs["purernn_sigma_rec"] = float(cfg.sigma_rec)
        for name, weights in layers.items():
            g = f.create_group(name)
            g.attrs["weight_names"] = np.array([w.encode() for w in weights])
            for wname, value in weights.items():
                g.create_dataset(wname, data=np.ascontiguousarray(value))
    write_bytes(path, buf.getvalue())
    return path


def _mat_header(text: str) -> bytes:
    """The 116-byte descriptive text that opens a MAT-file (level 5)."""
    raw = text.encode("ascii")[:116]
    return raw + b" " * (116 - len(raw))


def save_mat(net: Network, path, *, extra: dict | None = None) -> str:
    """Write `net` as a MATLAB file (``scipy.io.savemat``, MAT 5 format).

    The file holds one array per parameter under its purernn name (``W_in (n_rec,
    n_in)``, ``W_rec``, ``b_rec``, ``W_out``, ``b_out``, column vectors as in the model
    equation; also ``U``, ``V`` of a low-rank ``W_rec = U V^T / n_rec``), ``rec_mask`` /
    ``out_mask`` when the network has them, every field of its
    configuration as a scalar or string (``alpha``, ``activation``, ``sigma_rec``,
    ``dale``, ...; a missing value as an empty array), ``equation`` (the model in words:
    :data:`MODEL_EQUATION`) and the model equation in the file's header text.

    Parameters
    ----------
    net : Network
    path : str or path-like
        The file to write (``.mat``; written atomically).
    extra : dict, optional
        More named values to store (strings, numbers or arrays), e.g. the task's name.

    Returns
    -------
    str
        The path written.

    Examples
    --------
    In MATLAB, one step of the network on an input column ``x``::

        m = load('net.mat');
        h = (1 - m.alpha) * h + m.alpha * tanh(m.W_rec * h + m.W_in * x + m.b_rec(:));
        z = m.W_out * h + m.b_out(:);
    """
    import scipy.io

    net = _check_net(net)
    data = {k: np.asarray(v) for k, v in net.params.items()}
    data.update({k: np.asarray(v) for k, v in (net.factors or {}).items()})  # U, V of a low-rank W_rec
    if net.rec_mask is not None:
        data["rec_mask"] = np.asarray(net.rec_mask)
    if net.out_mask is not None:
        data["out_mask"] = np.asarray(net.out_mask)
    for key, value in net.config.to_dict().items():
        if value is None:
            value = np.zeros((0, 0))
        elif isinstance(value, bool):
            value = np.uint8(value)
        elif isinstance(value, (list, tuple)):
            value = np.array(value, dtype=object)
        data[key] = value
    data["equation"] = MODEL_EQUATION
    for key, value in (extra or {}).items():
        if key in data:
            fail("extra", "names that are not the network's own", key)
        data[key] = value
    buf = _io.BytesIO()
    scipy.io.savemat(buf, data, do_compression=False, oned_as="column")
    raw = bytearray(buf.getvalue())
    # MATLAB shows this text first; scipy puts a time stamp there
    raw[:116] = _mat_header("MATLAB 5.0 MAT-file, purernn rate RNN: h = (1-alpha)*h + alpha*"
                            f"{net.config.activation}(W_rec*h + W_in*x + b_rec); z = W_out*h + b_out")
    path = os.fspath(path)
    write_bytes(path, bytes(raw))
    return path


def load_mat(path) -> Network:
    """Read a network written by :func:`save_mat` (the same parameters and configuration).

    Raises
    ------
    ValidationError
        The file does not exist, is not a MAT-file, or lacks a parameter or a
        configuration field.
    """
    import scipy.io

    path = os.fspath(path)
    if not os.path.isfile(path):
        fail("path", "an existing MATLAB file written by purernn.io.save_mat", path)
    try:
        m = scipy.io.loadmat(path, squeeze_me=False, chars_as_strings=True)
    except (ValueError, TypeError, OSError) as exc:
        fail("path", "a readable MAT-file", path, str(exc))
    missing = [k for k in PARAM_NAMES + ("n_in", "n_rec", "n_out", "activation", "alpha", "dtype") if k not in m]
    if missing:
        fail("path", "a MATLAB file written by purernn.io.save_mat", f"{path} without {', '.join(missing)}")
    cfg = {}
    for name in NetworkConfig.__dataclass_fields__:
        if name not in m:
            continue
        value = m[name]
        if value.dtype.kind == "U":
            value = str(value.item()) if value.size == 1 else "".join(value.reshape(-1))
        elif value.dtype == object:
            value = tuple(str(np.asarray(v).item()) for v in value.reshape(-1))
        elif value.size == 0:
            value = None
        else:
            value = value.reshape(-1)[0].item()
        cfg[name] = value
    for name in ("autapses", "e_only_readout"):
        if name in cfg:
            cfg[name] = bool(cfg[name])
    for name in ("n_in", "n_rec", "n_out", "seed", "rank"):
        if cfg.get(name) is not None:
            cfg[name] = int(cfg[name])
    config = NetworkConfig(**cfg)
    names = config.variable_names  # W_rec, or U and V of a low-rank network
    if any(k not in m for k in names):
        fail("path", f"a MATLAB file with the arrays {', '.join(names)}", path)
    variables = {k: np.ascontiguousarray(m[k].reshape(-1) if k.startswith("b_") else m[k], dtype=config.dtype)
                 for k in names}
    masks = {k: np.ascontiguousarray(m[k], dtype=bool) for k in ("rec_mask", "out_mask") if k in m}
    return Network(config, variables, **masks)
