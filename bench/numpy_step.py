"""A plain-NumPy training step (loop over time, vectorized over trials): the peer that
a careful NumPy user would write. Used by the benchmarks as a baseline, and checked
against purernn so the comparison is between equal computations."""

import numpy as np


def numpy_loss_and_grad(p, x, y, mask, alpha):
    """Trial-major x (n_trials, n_steps, n_in); tanh network; the masked squared error, no L2."""
    n_trials, n_steps, _ = x.shape
    n_rec = p["W_rec"].shape[0]
    h = np.zeros((n_steps + 1, n_trials, n_rec))
    ds = np.empty((n_steps, n_trials, n_rec))
    u = np.einsum("btk,ik->tbi", x, p["W_in"]) + p["b_rec"]
    for t in range(n_steps):
        s = np.tanh(h[t] @ p["W_rec"].T + u[t])
        h[t + 1] = (1 - alpha) * h[t] + alpha * s
        ds[t] = 1 - s * s
    z = h[1:] @ p["W_out"].T + p["b_out"]
    diff = z - y.transpose(1, 0, 2)
    dz = mask.transpose(1, 0, 2) * diff / n_trials
    loss = 0.5 * np.sum(dz * diff)
    e = dz @ p["W_out"]
    d = np.empty_like(ds)
    g = e[-1]
    for t in range(n_steps - 1, -1, -1):
        if t < n_steps - 1:
            g = e[t] + (1 - alpha) * g + d[t + 1] @ p["W_rec"]
        d[t] = alpha * ds[t] * g
    d2 = d.reshape(-1, n_rec)
    grads = {
        "W_rec": d2.T @ h[:-1].reshape(-1, n_rec),
        "W_in": d2.T @ x.transpose(1, 0, 2).reshape(-1, x.shape[2]),
        "b_rec": d2.sum(0),
        "W_out": dz.reshape(-1, dz.shape[2]).T @ h[1:].reshape(-1, n_rec),
        "b_out": dz.reshape(-1, dz.shape[2]).sum(0),
    }
    return loss, grads


def numpy_adam(p, g, m, v, t, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    for k in p:
        m[k] = b1 * m[k] + (1 - b1) * g[k]
        v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
        p[k] = p[k] - lr * (m[k] / (1 - b1**t)) / (np.sqrt(v[k] / (1 - b2**t)) + eps)
