"""The whole model in plain NumPy: read this first.

This module is purernn's model written the obvious way, one trial and one time step at
a time, with NumPy's own functions and no Numba. It is slow, and it is the oracle: the
tests check the compiled kernels of :mod:`purernn.kernels` against it to 1e-12 relative
in float64. Its functions assume valid inputs; :func:`purernn.simulate` and
:func:`purernn.loss_and_grad` check theirs.

The model, for t = 1..T (the Euler discretization of ``tau dh/dt = -h + sigma(W_rec h +
W_in x + b_rec)`` with ``alpha = dt / tau``)::

    a_t = W_rec h_{t-1} + W_in x_t + b_rec
    h_t = (1 - alpha) h_{t-1} + alpha sigma(a_t) + sqrt(2 alpha) sigma_rec xi_t
    z_t = W_out h_t + b_out

The loss, with targets y and a mask m::

    L = 1/n_trials sum_{b,t,j} 0.5 m (z - y)^2
        + l2_weights / 2 (|W_in|^2 + |W_rec|^2 + |W_out|^2)
        + l2_rates / (2 n_trials n_steps) sum_{b,t,i} h^2

Its gradient by backpropagation through time, with g_t = dL/dh_t and d_t = dL/da_t::

    g_t = W_out^T dL/dz_t + l2_rates / (n_trials n_steps) h_t
          + (1 - alpha) g_{t+1} + W_rec^T d_{t+1}          (the last line only for t < T)
    d_t = alpha sigma'(a_t) g_t
    dL/dW_rec = sum_t d_t h_{t-1}^T,  dL/dW_in = sum_t d_t x_t^T,  dL/db_rec = sum_t d_t

A low-rank network has ``W_rec = U V^T / n_rec`` (factors ``U, V (n_rec, r)`` in place of
W_rec); by the chain rule ``dL/dU = dL/dW_rec V / n_rec`` and ``dL/dV = dL/dW_rec^T U / n_rec``.

And Adam (Kingma & Ba 2015) for the update.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ACTIVATIONS", "effective", "forward", "output", "loss", "loss_and_grad", "adam_step"]

#: name -> (sigma, sigma'), written independently of the kernels' formulas.
ACTIVATIONS = {
    "tanh": (np.tanh, lambda a: 1.0 / np.cosh(a) ** 2),
    "relu": (lambda a: np.maximum(a, 0.0), lambda a: (a > 0).astype(float)),
    "softplus": (lambda a: np.logaddexp(0.0, a), lambda a: 1.0 / (1.0 + np.exp(-a))),
    "sigmoid": (lambda a: 1.0 / (1.0 + np.exp(-a)), lambda a: 1.0 / (2.0 + 2.0 * np.cosh(a))),
    "linear": (lambda a: a, lambda a: np.ones_like(a)),
}


def effective(params):
    """The five parameters; a low-rank W_rec = sum_k U[:, k] V[:, k]^T / n_rec from "U", "V"."""
    if "U" not in params:
        return params
    U, V = params["U"], params["V"]
    out = {k: v for k, v in params.items() if k not in ("U", "V")}
    out["W_rec"] = sum(np.outer(U[:, k], V[:, k]) for k in range(U.shape[1])) / U.shape[0]
    return out


def _initial_state(h0, b, n_rec):
    """h_0 of trial b: zero, one state for all trials (n_rec,), or one per trial."""
    if h0 is None:
        return np.zeros(n_rec)
    return np.array(h0[b] if np.ndim(h0) == 2 else h0, dtype=float)


def forward(params, x, *, activation="tanh", alpha=1.0, sigma_rec=0.0, noise=None, h0=None):
    """Run the Euler update, one trial and one step at a time.

    Parameters
    ----------
    params : dict of str -> ndarray
        ``W_in (n_rec, n_in), W_rec (n_rec, n_rec), b_rec (n_rec,), W_out (n_out, n_rec),
        b_out (n_out,)``.
    x : ndarray, shape (n_trials, n_steps, n_in)
    activation : {"tanh", "relu", "softplus", "sigmoid", "linear"}
    alpha : float in (0, 1]
    sigma_rec : float
    noise : ndarray, shape (n_trials, n_steps, n_rec), optional
        The standard-normal realization xi (no noise when omitted).
    h0 : ndarray, shape (n_rec,) or (n_trials, n_rec), optional

    Returns
    -------
    h : ndarray, shape (n_trials, n_steps, n_rec)
        States h_1..h_T.
    z : ndarray, shape (n_trials, n_steps, n_out)
    a : ndarray, shape (n_trials, n_steps, n_rec)
        Pre-activations.

    Examples
    --------
    >>> import numpy as np
    >>> p = {"W_in": np.ones((2, 1)), "W_rec": np.zeros((2, 2)), "b_rec": np.zeros(2),
    ...      "W_out": np.ones((1, 2)), "b_out": np.zeros(1)}
    >>> h, z, a = forward(p, np.ones((1, 3, 1)), activation="linear", alpha=0.5)
    >>> h[0, :, 0]  # h_t = 0.5 h_{t-1} + 0.5
    array([0.5  , 0.75 , 0.875])
    """
    sigma, _ = ACTIVATIONS[activation]
    params = effective(params)
    W_in, W_rec, b_rec = params["W_in"], params["W_rec"], params["b_rec"]
    W_out, b_out = params["W_out"], params["b_out"]
    n_trials, n_steps, _ = x.shape
    n_rec = W_rec.shape[0]
    h = np.zeros((n_trials, n_steps, n_rec))
    a = np.zeros((n_trials, n_steps, n_rec))
    z = np.zeros((n_trials, n_steps, W_out.shape[0]))
    for b in range(n_trials):
        h_prev = _initial_state(h0, b, n_rec)
        for t in range(n_steps):
            a[b, t] = W_rec @ h_prev + W_in @ x[b, t] + b_rec
            h[b, t] = (1 - alpha) * h_prev + alpha * sigma(a[b, t])
            if noise is not None:
                h[b, t] += np.sqrt(2 * alpha) * sigma_rec * noise[b, t]
            z[b, t] = W_out @ h[b, t] + b_out
            h_prev = h[b, t]
    return h, z, a


def output(z, kind="linear"):
    """The output nonlinearity p = f(z) over the last axis: identity, sigmoid or softmax."""
    if kind == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if kind == "softmax":
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    return z


def data_loss(p, y, mask, kind="linear", loss="mse"):
    """The data term, summed over trials, steps and outputs (not yet divided by n_trials).

    ``mse``: 0.5 m (p - y)^2. ``cross_entropy``: -m (y log p + (1 - y) log(1 - p)) for a
    sigmoid output, -sum_j m_j y_j log p_j for a softmax one.
    """
    if loss == "mse":
        return 0.5 * np.sum(mask * (p - y) ** 2)
    if kind == "sigmoid":
        return -np.sum(mask * (y * np.log(p) + (1 - y) * np.log(1 - p)))
    return -np.sum(mask * y * np.log(p))


def data_loss_grad_p(p, y, mask, kind="linear", loss="mse"):
    """dL/dp of :func:`data_loss` for one step, shape (n_out,)."""
    if loss == "mse":
        return mask * (p - y)
    if kind == "sigmoid":
        return mask * (-y / p + (1 - y) / (1 - p))
    return -mask * y / p


def output_jacobian(p, kind="linear"):
    """dp/dz for one step (n_out, n_out): I, diag(p (1 - p)) or diag(p) - p p^T."""
    if kind == "sigmoid":
        return np.diag(p * (1 - p))
    if kind == "softmax":
        return np.diag(p) - np.outer(p, p)
    return np.eye(p.size)


def loss(params, x, y, mask, *, l2_weights=0.0, l2_rates=0.0, output_kind="linear", loss_kind="mse",
         **kw):
    """The loss L of the module docstring; `kw` are the arguments of :func:`forward`."""
    params = effective(params)
    h, z, _ = forward(params, x, **kw)
    n_trials, n_steps, _ = x.shape
    value = data_loss(output(z, output_kind), y, mask, output_kind, loss_kind) / n_trials
    value += 0.5 * l2_weights * sum(np.sum(params[k] ** 2) for k in ("W_in", "W_rec", "W_out"))
    value += 0.5 * l2_rates / (n_trials * n_steps) * np.sum(h**2)
    return value


def loss_and_grad(params, x, y, mask, *, activation="tanh", alpha=1.0, sigma_rec=0.0, noise=None,
                  h0=None, l2_weights=0.0, l2_rates=0.0, output_kind="linear", loss_kind="mse"):
    """The loss and its gradient by BPTT, one trial at a time, backwards in time.

    Parameters
    ----------
    params, x, activation, alpha, sigma_rec, noise, h0
        As in :func:`forward`.
    y, mask : ndarray, shape (n_trials, n_steps, n_out)
        Targets, and the non-negative weights of the squared error.
    l2_weights, l2_rates : float
    output_kind : {"linear", "sigmoid", "softmax"}
    loss_kind : {"mse", "cross_entropy"}
        The `loss` of :func:`purernn.loss_and_grad`; dL/dz is formed by the chain rule, dL/dp
        through the Jacobian of the output (:func:`output_jacobian`).

    Returns
    -------
    loss : float
    grads : dict of str -> ndarray
        dL/dp for every parameter p, with the shapes of `params` (for low-rank `params`,
        dL/dU and dL/dV, and dL/dW_rec of the effective matrix).
    """
    _, sigma_prime = ACTIVATIONS[activation]
    factors, params = params, effective(params)
    kw = dict(activation=activation, alpha=alpha, sigma_rec=sigma_rec, noise=noise, h0=h0)
    h, z, a = forward(params, x, **kw)
    value = loss(params, x, y, mask, l2_weights=l2_weights, l2_rates=l2_rates, output_kind=output_kind,
                 loss_kind=loss_kind, **kw)
    p_out = output(z, output_kind)
    W_rec, W_out = params["W_rec"], params["W_out"]
    n_trials, n_steps, _ = x.shape
    n_rec = W_rec.shape[0]
    grads = {k: np.zeros(np.shape(v)) for k, v in params.items()}
    for b in range(n_trials):
        g_next = np.zeros(n_rec)  # g_{t+1} = dL/dh_{t+1}
        d_next = np.zeros(n_rec)  # d_{t+1} = dL/da_{t+1}
        for t in reversed(range(n_steps)):
            dp = data_loss_grad_p(p_out[b, t], y[b, t], mask[b, t], output_kind, loss_kind)
            dz = output_jacobian(p_out[b, t], output_kind).T @ dp / n_trials  # dL/dz_t
            grads["W_out"] += np.outer(dz, h[b, t])
            grads["b_out"] += dz
            g = W_out.T @ dz + l2_rates / (n_trials * n_steps) * h[b, t]
            if t + 1 < n_steps:
                g += (1 - alpha) * g_next + W_rec.T @ d_next
            d = alpha * sigma_prime(a[b, t]) * g
            h_prev = h[b, t - 1] if t > 0 else _initial_state(h0, b, n_rec)
            grads["W_rec"] += np.outer(d, h_prev)
            grads["W_in"] += np.outer(d, x[b, t])
            grads["b_rec"] += d
            g_next, d_next = g, d
    for k in ("W_in", "W_rec", "W_out"):
        grads[k] += l2_weights * params[k]
    if "U" in factors:  # dL/dU_ik = sum_j dL/dW_ij V_jk / n_rec, dL/dV_jk = sum_i dL/dW_ij U_ik / n_rec
        grads["U"] = np.einsum("ij,jk->ik", grads["W_rec"], factors["V"]) / n_rec
        grads["V"] = np.einsum("ij,ik->jk", grads["W_rec"], factors["U"]) / n_rec
    return value, grads


def adam_step(p, g, m, v, t, *, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step in its textbook form; returns the new (p, m, v).

    Parameters
    ----------
    p, g, m, v : ndarray or float
        Parameter, gradient (already clipped, when clipping) and moment estimates.
    t : int
        The new step count (1 at the first step).
    lr, beta1, beta2, eps : float

    Notes
    -----
    Kingma & Ba (2015), Algorithm 1::

        m <- beta1 m + (1 - beta1) g
        v <- beta2 v + (1 - beta2) g^2
        p <- p - lr (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
    """
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
