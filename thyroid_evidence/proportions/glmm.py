"""The random-intercept logistic model of metafor's ``rma.glmm(measure="PLO")``.

Fitted by maximum likelihood with adaptive Gauss-Hermite quadrature.

Written here because no Python library fits it with the quadrature lme4 uses; checked against
R in tests/test_proportions_metafor.py.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

# lme4's default number of adaptive Gauss-Hermite points in rma.glmm (nAGQ = 7).
_N_AGQ = 7
_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(_N_AGQ)
_GH_LOG_WEIGHTS = np.log(_GH_WEIGHTS) + 0.5 * _GH_NODES**2 - 0.5 * math.log(2.0 * math.pi)


def _conditional_modes(
    mu: float, tau: float, x: np.ndarray, n: np.ndarray, u: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-study mode of the integrand on the spherical scale u ~ N(0, 1), and its sd."""

    def h(uu: np.ndarray) -> np.ndarray:
        eta = mu + tau * uu
        return x * eta - n * np.logaddexp(0.0, eta) - 0.5 * uu**2

    cur = h(u)
    for _ in range(100):
        p = special.expit(mu + tau * u)
        grad = tau * (x - n * p) - u
        curv = tau * tau * n * p * (1.0 - p) + 1.0
        step = grad / curv
        new = u + step
        val = h(new)
        for _ in range(30):  # step halving where the objective did not improve
            worse = val < cur - 1e-12 * np.abs(cur)
            if not worse.any():
                break
            step = np.where(worse, step / 2.0, step)
            new = u + step
            val = h(new)
        u, cur = new, val
        if np.max(np.abs(step)) < 1e-10:
            break
    p = special.expit(mu + tau * u)
    sd = 1.0 / np.sqrt(tau * tau * n * p * (1.0 - p) + 1.0)
    return u, sd


def _agq_terms(
    mu: float, tau: float, x: np.ndarray, n: np.ndarray, u: np.ndarray, sd: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Log marginal likelihood per study (without the binomial constant) and node quantities."""
    nodes = u[:, None] + sd[:, None] * _GH_NODES[None, :]
    eta = mu + tau * nodes
    logf = x[:, None] * eta - n[:, None] * np.logaddexp(0.0, eta) - 0.5 * nodes**2
    terms = logf + _GH_LOG_WEIGHTS[None, :]
    ll = special.logsumexp(terms, axis=1) + np.log(sd)
    return ll, terms, nodes, eta


def _glmm_negll(
    mu: float, tau: float, x: np.ndarray, n: np.ndarray, u0: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    u, sd = _conditional_modes(mu, tau, x, n, u0)
    ll, _, _, _ = _agq_terms(mu, tau, x, n, u, sd)
    return -float(ll.sum()), u, sd


def _glmm_derivs(
    mu: float, tau: float, x: np.ndarray, n: np.ndarray, u: np.ndarray, sd: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and approximate Hessian of the negative log-likelihood in (mu, tau).

    The gradient is exact for the AGQ approximation, including how the adaptive centre and
    scale move with (mu, tau) (implicit differentiation of the mode equation); lme4
    optimises that same function. The Hessian holds the nodes fixed, which is accurate
    enough to steer Newton steps.
    """
    _, terms, nodes, eta = _agq_terms(mu, tau, x, n, u, sd)
    pi = special.softmax(terms, axis=1)  # normalised node weights per study
    p = special.expit(eta)
    r = x[:, None] - n[:, None] * p  # d logf / d eta at the nodes
    c = n[:, None] * p * (1.0 - p)
    # fixed-node derivatives
    g_mu = (pi * r).sum(axis=1)
    g_tau = (pi * r * nodes).sum(axis=1)
    h_mm = -(pi * c).sum(axis=1) + (pi * r * r).sum(axis=1) - g_mu**2
    h_mt = -(pi * c * nodes).sum(axis=1) + (pi * r * r * nodes).sum(axis=1) - g_mu * g_tau
    h_tt = -(pi * c * nodes**2).sum(axis=1) + (pi * (r * nodes) ** 2).sum(axis=1) - g_tau**2
    hess = -np.array([[h_mm.sum(), h_mt.sum()], [h_mt.sum(), h_tt.sum()]])
    # how the adaptive centre u and scale sd move with (mu, tau)
    p0 = special.expit(mu + tau * u)
    c0 = n * p0 * (1.0 - p0)
    var_u = sd * sd
    du_mu = var_u * (-tau * c0)
    du_tau = var_u * ((x - n * p0) - tau * c0 * u)
    dc = c0 * (1.0 - 2.0 * p0)
    deta_mu = 1.0 + tau * du_mu
    deta_tau = u + tau * du_tau
    dsd_mu = -0.5 * sd**3 * (tau * tau * dc * deta_mu)
    dsd_tau = -0.5 * sd**3 * (2.0 * tau * c0 + tau * tau * dc * deta_tau)
    a_u = (pi * (tau * r - nodes)).sum(axis=1)
    a_uz = (pi * (tau * r - nodes) * _GH_NODES[None, :]).sum(axis=1)
    d_mu = dsd_mu / sd + g_mu + a_u * du_mu + a_uz * dsd_mu
    d_tau = dsd_tau / sd + g_tau + a_u * du_tau + a_uz * dsd_tau
    grad = -np.array([d_mu.sum(), d_tau.sum()])
    return grad, hess


def fit_glmm(
    events: np.ndarray, totals: np.ndarray, mu0: float, tau0: float
) -> tuple[float, float, float]:
    """Maximum-likelihood (mu, tau) and var(mu) of the random-intercept logistic model.

    Written here because no Python library fits this model by maximum likelihood with
    adaptive Gauss-Hermite quadrature as lme4 (and so metafor's ``rma.glmm``) does:
    statsmodels' ``BinomialBayesMixedGLM`` is a variational Bayes approximation. Checked
    against metafor in ``tests/test_proportions_metafor.py``.
    """
    x = events.astype(float)
    n = totals.astype(float)
    theta = np.array([mu0, max(tau0, 0.3)])
    u = np.zeros_like(x)
    f, u, sd = _glmm_negll(theta[0], theta[1], x, n, u)
    restarted = False
    for _ in range(200):
        grad, hess = _glmm_derivs(theta[0], theta[1], x, n, u, sd)
        # Newton step, made a descent direction when the Hessian is not positive definite
        eig_min = float(np.linalg.eigvalsh(hess)[0])
        lam = 1e-6 - eig_min + 1e-3 * abs(eig_min) if eig_min <= 1e-10 else 0.0
        step = -np.linalg.solve(hess + lam * np.eye(2), grad)
        # trust region: far from the optimum the likelihood can be nearly flat in tau and a
        # full Newton step would leap into the tau -> infinity valley
        longest = float(np.max(np.abs(step)))
        if longest > 1.0:
            step /= longest
        slope = float(grad @ step)
        t = 1.0
        for _ in range(60):
            cand = theta + t * step
            f_new, u_new, sd_new = _glmm_negll(cand[0], cand[1], x, n, u)
            if f_new <= f + 1e-4 * t * slope or abs(f_new - f) <= 1e-13 * abs(f):
                break
            t /= 2.0
        converged = np.max(np.abs(cand - theta)) < 1e-10
        theta, f, u, sd = cand, f_new, u_new, sd_new
        if converged:
            # The likelihood is even in tau, so tau = 0 is always stationary; if it is a
            # saddle (the likelihood grows away from it), restart from a larger tau.
            if abs(theta[1]) < 1e-6 and not restarted:
                _, hess0 = _glmm_derivs(theta[0], 0.0, x, n, u, sd)
                restarted = True
                if hess0[1, 1] < 0.0:
                    theta = np.array([theta[0], 1.0])
                    f, u, sd = _glmm_negll(theta[0], theta[1], x, n, u)
                    continue
            break
    mu, tau = float(theta[0]), abs(float(theta[1]))
    if tau < 1e-6:
        tau = 0.0
    u, sd = _conditional_modes(mu, tau, x, n, u * (1.0 if theta[1] >= 0 else -1.0))
    var_mu = math.nan
    if tau > 0.0:
        # lme4: var(beta) from the inverse of the finite-difference Hessian of the deviance
        # in (theta, beta); here central differences of the exact gradient.
        delta = 1e-5
        hess = np.empty((2, 2))
        for j in range(2):
            e = np.zeros(2)
            e[j] = delta
            up = _glmm_derivs(
                *(np.array([mu, tau]) + e),
                x,
                n,
                *_conditional_modes(*(np.array([mu, tau]) + e), x, n, u),
            )[0]
            dn = _glmm_derivs(
                *(np.array([mu, tau]) - e),
                x,
                n,
                *_conditional_modes(*(np.array([mu, tau]) - e), x, n, u),
            )[0]
            hess[:, j] = (up - dn) / (2.0 * delta)
        hess = 0.5 * (hess + hess.T)
        try:
            inv = np.linalg.inv(hess)
            if np.all(np.linalg.eigvalsh(inv) > 0):
                var_mu = float(inv[0, 0])
        except np.linalg.LinAlgError:
            pass
    if not math.isfinite(var_mu):
        # lme4's fallback (RX): variance of beta given tau at the conditional modes
        p = special.expit(mu + tau * u)
        w = n * p * (1.0 - p)
        var_mu = 1.0 / float((w / (1.0 + tau * tau * w)).sum())
    return mu, tau, var_mu


def binomial_loglik(x: np.ndarray, n: np.ndarray, p: np.ndarray) -> float:
    """Binomial log-likelihood of ``x`` events of ``n`` at proportions ``p`` (no constant)."""
    return float(special.xlogy(x, p).sum() + special.xlog1py(n - x, -p).sum())
