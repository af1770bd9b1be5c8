"""pr.io.load_keras_h5 on files written here in the Keras 2 HDF5 layout."""

import numpy as np
import pytest

import purernn as pr
import purernn.io
from purernn.errors import ValidationError

h5py = pytest.importorskip("h5py")


def keras_forward(x, K, R, b, D, c):
    """Keras SimpleRNN(tanh, return_sequences=True) + Dense, row vectors, plain NumPy."""
    n_trials, n_steps, _ = x.shape
    h = np.zeros((n_trials, R.shape[0]))
    hs, zs = [], []
    for t in range(n_steps):
        h = np.tanh(x[:, t] @ K + h @ R + b)
        hs.append(h)
        zs.append(h @ D + c)
    return np.stack(hs, axis=1), np.stack(zs, axis=1)


def write_keras_file(path, K, R, b, D, c, *, rnn="simple_rnn_1", dense="dense_1", root="model_weights",
                     with_bias=True):
    with h5py.File(path, "w") as f:
        g = f.create_group(root) if root else f
        g.attrs["layer_names"] = [rnn.encode(), dense.encode()]
        cell = g.create_group(f"{rnn}/{rnn}")
        cell["kernel:0"] = K.astype(np.float32)
        cell["recurrent_kernel:0"] = R.astype(np.float32)
        if with_bias:
            cell["bias:0"] = b.astype(np.float32)
        d = g.create_group(f"{dense}/{dense}")
        d["kernel:0"] = D.astype(np.float32)
        d["bias:0"] = c.astype(np.float32)


def random_weights(rng, n_in=2, n_rec=7, n_out=1):
    K = rng.normal(0, 0.8, (n_in, n_rec))
    R = rng.normal(0, 1.2 / np.sqrt(n_rec), (n_rec, n_rec))
    b = rng.normal(0, 0.2, n_rec)
    D = rng.normal(0, 0.5, (n_rec, n_out))
    c = rng.normal(0, 0.1, n_out)
    return [w.astype(np.float32).astype(np.float64) for w in (K, R, b, D, c)]


@pytest.mark.parametrize("root", ["model_weights", None])
def test_loaded_network_reproduces_keras_forward(tmp_path, root):
    rng = np.random.default_rng(0)
    K, R, b, D, c = random_weights(rng)
    path = tmp_path / "model.hdf5"
    write_keras_file(path, K, R, b, D, c, root=root)
    net = purernn.io.load_keras_h5(path)
    assert net.config.alpha == 1.0 and net.config.activation == "tanh"
    np.testing.assert_array_equal(net.params["W_rec"], R.T)  # transposed
    np.testing.assert_array_equal(net.params["W_in"], K.T)
    np.testing.assert_array_equal(net.params["W_out"], D.T)
    x = rng.standard_normal((3, 40, 2))
    h_ref, z_ref = keras_forward(x, K, R, b, D, c)
    traj = pr.simulate(net, x)
    np.testing.assert_allclose(traj.h, h_ref, atol=1e-12)
    np.testing.assert_allclose(traj.z, z_ref, atol=1e-12)


def test_missing_bias_is_zero_and_time_distributed_dense(tmp_path):
    rng = np.random.default_rng(1)
    K, R, b, D, c = random_weights(rng, n_out=2)
    path = tmp_path / "m.h5"
    write_keras_file(path, K, R, b, D, c, rnn="simple_rnn", dense="time_distributed_3", with_bias=False)
    net = purernn.io.load_keras_h5(path, dtype="float32")
    assert net.params["b_rec"].dtype == np.float32 and not np.any(net.params["b_rec"])
    assert net.n_out == 2


def test_bad_files_are_validation_errors(tmp_path):
    with pytest.raises(ValidationError, match="`path`"):
        purernn.io.load_keras_h5(tmp_path / "absent.h5")
    path = tmp_path / "empty.h5"
    with h5py.File(path, "w") as f:
        f.create_group("model_weights")
    with pytest.raises(ValidationError, match="simple_rnn"):
        purernn.io.load_keras_h5(path)
    text = tmp_path / "text.h5"
    text.write_text("not hdf5")
    with pytest.raises(ValidationError, match="`path`"):
        purernn.io.load_keras_h5(text)
    rng = np.random.default_rng(2)
    K, R, b, D, c = random_weights(rng)
    bad = tmp_path / "bad.h5"
    write_keras_file(bad, K, R, b, D[:3], c)
    with pytest.raises(ValidationError, match="Dense"):
        purernn.io.load_keras_h5(bad)
