"""Networks trained elsewhere: read Keras ``SimpleRNN(tanh) + Dense`` weight files.

The published networks of C. Jarne's papers (github.com/katejarne/RNN_study_with_keras)
are Keras models saved as HDF5. :func:`load_keras_h5` turns one into a purernn
:class:`~purernn.model.Network`, so that every analysis applies to it. h5py is an
optional dependency (``pip install purernn[keras]``), imported only when needed.
"""

from __future__ import annotations

import os

import numpy as np

from ._validate import check_choice, fail
from .model import Network

__all__ = ["load_keras_h5"]

_RNN_PREFIXES = ("simple_rnn",)
_DENSE_PREFIXES = ("dense", "time_distributed")


def _import_h5py():
    try:
        import h5py
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "pr.io.load_keras_h5 needs h5py, an optional dependency of purernn: "
            "install it with `pip install purernn[keras]` (or `pip install h5py`)."
        ) from exc
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
