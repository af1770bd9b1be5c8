"""Slow, obviously correct plain-NumPy versions of the model math (no Numba).

Every kernel in purernn is compared with these. They follow SPEC section 1 line by line,
loop explicitly over time and trials, and use NumPy's own activation functions.
"""

import numpy as np

ACT = {
    "tanh": (np.tanh, lambda a: 1.0 / np.cosh(a) ** 2),
    "relu": (lambda a: np.maximum(a, 0.0), lambda a: (a > 0).astype(float)),
    "softplus": (lambda a: np.logaddexp(0.0, a), lambda a: 1.0 / (1.0 + np.exp(-a))),
    "sigmoid": (lambda a: 1.0 / (1.0 + np.exp(-a)), lambda a: 1.0 / (2.0 + 2.0 * np.cosh(a))),
    "linear": (lambda a: a, lambda a: np.ones_like(a)),
}


def forward(params, x, *, activation="tanh", alpha=1.0, sigma_rec=0.0, noise=None, h0=None):
    """Euler forward pass, one trial and one step at a time.

    Returns h (n_trials, n_steps, n_rec), z (n_trials, n_steps, n_out) and the
    pre-activations a (n_trials, n_steps, n_rec).
    """
    sigma, _ = ACT[activation]
    W_in, W_rec, b_rec = params["W_in"], params["W_rec"], params["b_rec"]
    W_out, b_out = params["W_out"], params["b_out"]
    n_trials, n_steps, _ = x.shape
    n_rec = W_rec.shape[0]
    h = np.zeros((n_trials, n_steps, n_rec))
    a = np.zeros((n_trials, n_steps, n_rec))
    z = np.zeros((n_trials, n_steps, W_out.shape[0]))
    for b in range(n_trials):
        h_prev = np.zeros(n_rec) if h0 is None else np.array(h0[b] if np.ndim(h0) == 2 else h0, float)
        for t in range(n_steps):
            a[b, t] = W_rec @ h_prev + W_in @ x[b, t] + b_rec
            h[b, t] = (1 - alpha) * h_prev + alpha * sigma(a[b, t])
            if noise is not None:
                h[b, t] += np.sqrt(2 * alpha) * sigma_rec * noise[b, t]
            z[b, t] = W_out @ h[b, t] + b_out
            h_prev = h[b, t]
    return h, z, a


def loss(params, x, y, mask, *, l2_weights=0.0, l2_rates=0.0, **kw):
    """SPEC loss, computed from the naive forward pass."""
    h, z, _ = forward(params, x, **kw)
    n_trials, n_steps, _ = x.shape
    value = 0.5 * np.sum(mask * (z - y) ** 2) / n_trials
    value += 0.5 * l2_weights * sum(np.sum(params[k] ** 2) for k in ("W_in", "W_rec", "W_out"))
    value += 0.5 * l2_rates / (n_trials * n_steps) * np.sum(h**2)
    return value


def loss_and_grad(params, x, y, mask, *, activation="tanh", alpha=1.0, sigma_rec=0.0, noise=None,
                  h0=None, l2_weights=0.0, l2_rates=0.0):
    """Explicit-loop BPTT, one trial and one step at a time, backwards."""
    _, dsigma = ACT[activation]
    kw = dict(activation=activation, alpha=alpha, sigma_rec=sigma_rec, noise=noise, h0=h0)
    h, z, a = forward(params, x, **kw)
    value = loss(params, x, y, mask, l2_weights=l2_weights, l2_rates=l2_rates, **kw)
    W_rec, W_out = params["W_rec"], params["W_out"]
    n_trials, n_steps, _ = x.shape
    n_rec = W_rec.shape[0]
    g = {k: np.zeros_like(v, dtype=float) for k, v in params.items()}
    for b in range(n_trials):
        dh_next = np.zeros(n_rec)  # dL/dh_{t+1} through the leak
        da_next = np.zeros(n_rec)  # dL/da_{t+1}
        for t in reversed(range(n_steps)):
            dz = mask[b, t] * (z[b, t] - y[b, t]) / n_trials
            g["W_out"] += np.outer(dz, h[b, t])
            g["b_out"] += dz
            dh = W_out.T @ dz + l2_rates / (n_trials * n_steps) * h[b, t]
            if t + 1 < n_steps:
                dh += (1 - alpha) * dh_next + W_rec.T @ da_next
            da = alpha * dsigma(a[b, t]) * dh
            if t > 0:
                h_prev = h[b, t - 1]
            else:
                h_prev = np.zeros(n_rec) if h0 is None else np.array(h0[b] if np.ndim(h0) == 2 else h0, float)
            g["W_rec"] += np.outer(da, h_prev)
            g["W_in"] += np.outer(da, x[b, t])
            g["b_rec"] += da
            dh_next, da_next = dh, da
    for k in ("W_in", "W_rec", "W_out"):
        g[k] += l2_weights * params[k]
    return value, g


def adam_step(p, g, m, v, t, *, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam (Kingma & Ba 2015), the textbook form. t is the new step count (1 first)."""
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
