"""Networks in C. Jarne's Keras HDF5 layout solve the "jarne" presets.

Her own files are not copied here (her repositories carry no licence for them); the
networks are written by these tests in the layout her Keras 2 models use
(``model_weights/simple_rnn_1/simple_rnn_1/kernel:0`` ...) and read back with
``pr.io.load_keras_h5``, exactly as a user would load hers.
"""

import numpy as np
import pytest

import purernn as pr

from ..test_io import write_keras_file

h5py = pytest.importorskip("h5py")


def one_unit_gate(gate: str):
    """A one-unit Keras SimpleRNN + Dense that computes `gate` and holds the answer.

    The unit is bistable, ``h = tanh(3 h - 1 + K x)``: from h = 0 it falls to its
    negative state (-0.9993); a drive of K x >= 3 flips it to its positive one (0.95),
    and it stays there. AND: each bit adds 2 (one bit alone leaves it negative, at drive
    +1 it still has a stable state near -0.95); OR: each bit adds 4; NOT: the read-out is
    inverted. Returns (K, R, b, D, c) with Keras' row-vector shapes.
    """
    n_in = 1 if gate == "not" else 2
    K = np.full((n_in, 1), {"and": 2.0, "or": 4.0, "not": 4.0}[gate])
    R = np.array([[3.0]])
    b = np.array([-1.0])
    sign = -1.0 if gate == "not" else 1.0
    return K, R, b, np.array([[0.5 * sign]]), np.array([0.5])


@pytest.mark.parametrize("gate", ["and", "or", "not"])
def test_keras_layout_networks_solve_the_jarne_gates(tmp_path, gate):
    path = tmp_path / f"{gate}_weights-19.hdf5"
    write_keras_file(path, *one_unit_gate(gate))
    net = pr.io.load_keras_h5(path)
    ev = pr.evaluate(net, pr.tasks.make(gate, preset="jarne"), n_trials=1000, rng=0)
    assert ev.accuracy == 1.0 and ev.ci_low > 0.99
    # the test can fail: the same network is wrong on another gate's trials
    other = {"and": "or", "or": "and", "not": "or"}[gate]
    if pr.tasks.make(other).n_in == net.n_in:
        assert pr.evaluate(net, pr.tasks.make(other, preset="jarne"), n_trials=400, rng=0).accuracy < 0.8


@pytest.mark.slow
@pytest.mark.parametrize("name", ["xor", "multitask_gates"])
def test_trained_network_written_in_her_layout_solves_her_task(tmp_path, name):
    """Train on the preset (SimpleRNN without bias, as her scripts), write, load, evaluate."""
    task = pr.tasks.make(name, preset="jarne")
    net = pr.default_network(task, seed=0, n_rec=50, init="orthogonal",
                             trainable=("W_in", "W_rec", "W_out", "b_out"))
    result = pr.train(net, task, pr.default_train_config(task, seed=0))
    assert not np.any(result.net.params["b_rec"])
    p = result.net.params
    path = tmp_path / "weights.hdf5"
    write_keras_file(path, p["W_in"].T, p["W_rec"].T, p["b_rec"], p["W_out"].T, p["b_out"])
    loaded = pr.io.load_keras_h5(path)
    ev = pr.evaluate(loaded, task, n_trials=1000, rng=1)
    assert ev.accuracy >= 0.95, ev
