"""Exporting networks: MATLAB files (pr.io.save_mat / load_mat) and Keras weight files
(pr.io.save_keras_h5, read back by pr.io.load_keras_h5 and by Keras itself)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.io

import purernn as pr
import purernn.io as pio
from purernn.errors import ValidationError

from .test_io import keras_forward


def _net(rng, **kw):
    net = pr.Network.create(3, 9, 2, seed=int(rng.integers(2**31)), gain=1.2, **kw)
    p = net.params
    dtype = p["W_rec"].dtype
    p["b_rec"] = (0.3 * rng.standard_normal(9)).astype(dtype)
    p["b_out"] = (0.2 * rng.standard_normal(2)).astype(dtype)
    return net.with_params(p)


@pytest.mark.parametrize("kw", [{}, {"dtype": "float32"},
                                {"dale": 0.7, "conn_prob": 0.6, "alpha": 0.3, "activation": "relu",
                                 "sigma_rec": 0.1, "autapses": False}, {"rank": 2}],
                         ids=["default", "float32", "dale-masks-leaky-relu", "low-rank"])
def test_mat_round_trip_is_exact(tmp_path, kw):
    rng = np.random.default_rng(0)
    net = _net(rng, **kw)
    path = pio.save_mat(net, tmp_path / "net.mat", extra={"task": "xor"})
    back = pio.load_mat(path)
    assert back.config == net.config
    for k, v in net.variables.items():
        assert back.variables[k].dtype == v.dtype and np.array_equal(back.variables[k], v), k
    for mask in ("rec_mask", "out_mask"):
        a, b = getattr(net, mask), getattr(back, mask)
        assert (a is None and b is None) or np.array_equal(a, b), mask
    x = rng.standard_normal((4, 20, 3))
    assert np.array_equal(pr.simulate(back, x, rng=1).z, pr.simulate(net, x, rng=1).z)


def test_mat_file_has_named_arrays_and_the_equation(tmp_path):
    net = _net(np.random.default_rng(1))
    path = pio.save_mat(net, tmp_path / "net.mat", extra={"task": "xor"})
    m = scipy.io.loadmat(path)
    assert m["__header__"].startswith(b"MATLAB 5.0 MAT-file, purernn rate RNN: h = (1-alpha)*h + alpha*tanh(")
    np.testing.assert_array_equal(m["W_rec"], net.params["W_rec"])  # column-vector convention, not transposed
    assert m["W_in"].shape == (9, 3) and m["b_rec"].shape == (9, 1)
    assert str(m["activation"][0]) == "tanh" and float(m["alpha"][0, 0]) == 1.0
    assert "W_rec h_{t-1} + W_in x_t + b_rec" in str(m["equation"][0]) and str(m["task"][0]) == "xor"
    # the header is fixed text (no time stamp): exporting twice gives the same file
    again = pio.save_mat(net, tmp_path / "again.mat", extra={"task": "xor"})
    assert Path(again).read_bytes() == Path(path).read_bytes()


def test_load_mat_rejects_other_files(tmp_path):
    with pytest.raises(ValidationError, match="`path`"):
        pio.load_mat(tmp_path / "absent.mat")
    scipy.io.savemat(tmp_path / "other.mat", {"W": np.eye(2)})
    with pytest.raises(ValidationError, match="without W_in"):
        pio.load_mat(tmp_path / "other.mat")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_keras_file_round_trip_and_keras_arithmetic(tmp_path, dtype):
    rng = np.random.default_rng(2)
    net = _net(rng, dtype=dtype)
    path = pio.save_keras_h5(net, tmp_path / "net.h5")
    back = pio.load_keras_h5(path, dtype=dtype)
    for k, v in net.params.items():
        assert np.array_equal(back.params[k], v), k
    x = rng.standard_normal((3, 25, 3))
    assert np.array_equal(pr.simulate(back, x).z, pr.simulate(net, x).z)
    # the file holds Keras' transposed matrices: its forward pass (row vectors) is the network's
    import h5py

    with h5py.File(path, "r") as f:
        assert [n.decode() for n in f.attrs["layer_names"]] == ["simple_rnn", "dense"]
        names = [n.decode() for n in f["simple_rnn"].attrs["weight_names"]]
        K, R, b = (f["simple_rnn"][n][()] for n in names)
        D, c = (f["dense"][n.decode()][()] for n in f["dense"].attrs["weight_names"])
    _, z_keras = keras_forward(x, K, R, b, D, c)
    np.testing.assert_allclose(pr.simulate(net, x).z, z_keras, rtol=0, atol=1e-5 if dtype == "float32" else 1e-12)


def test_keras_export_refuses_what_simple_rnn_cannot_compute(tmp_path):
    rng = np.random.default_rng(3)
    with pytest.raises(ValidationError, match="alpha = 0.5"):
        pio.save_keras_h5(_net(rng, alpha=0.5), tmp_path / "a.h5")
    with pytest.raises(ValidationError, match="relu"):
        pio.save_keras_h5(_net(rng, activation="relu"), tmp_path / "b.h5")
    assert not os.listdir(tmp_path)


KERAS_CHECK = """
import os, sys
import numpy as np, keras
x = np.load(sys.argv[2])
n_in, n_rec, n_out = (int(v) for v in sys.argv[3:6])
model = keras.Sequential([keras.Input((None, n_in)), keras.layers.SimpleRNN(n_rec, return_sequences=True),
                          keras.layers.Dense(n_out)])
model.load_weights(sys.argv[1])
np.save(sys.argv[6], np.asarray(model.predict(x, verbose=0)))
"""


@pytest.mark.slow
def test_keras_itself_loads_the_exported_file(tmp_path):
    """Runs only where Keras (any backend) is installed: this venv usually has none."""
    python = os.environ.get("PURERNN_KERAS_PYTHON", sys.executable)
    env = dict(os.environ, KERAS_BACKEND=os.environ.get("KERAS_BACKEND", "jax"))
    probe = subprocess.run([python, "-c", "import keras"], capture_output=True, env=env)
    if probe.returncode != 0:
        pytest.skip("Keras is not installed (set PURERNN_KERAS_PYTHON to a Python that has it, "
                    "and KERAS_BACKEND to its backend; default jax)")
    rng = np.random.default_rng(4)
    net = _net(rng)
    path = pio.save_keras_h5(net, tmp_path / "net.h5")
    x = rng.standard_normal((2, 30, 3))
    np.save(tmp_path / "x.npy", x)
    script = tmp_path / "check.py"
    script.write_text(KERAS_CHECK)
    proc = subprocess.run([python, str(script), str(path), str(tmp_path / "x.npy"), "3", "9", "2",
                           str(tmp_path / "z.npy")], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    np.testing.assert_allclose(np.load(tmp_path / "z.npy"), pr.simulate(net, x).z, atol=1e-5)
