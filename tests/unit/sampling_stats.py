"""Statistics shared by the sampler tests: chi-square p-values of histograms against pdfs."""
import numpy as np
from scipy import stats

_GL_X, _GL_W = np.polynomial.legendre.leggauss(24)


def chi2_p(counts, expected_prob):
    """p-value of the chi-square test of counts against expected probabilities.

    Categories of zero probability must be empty; the smallest ones are pooled until every
    category expects at least 20 counts (so the chi-square law holds).
    """
    counts, prob = np.asarray(counts, float), np.asarray(expected_prob, float)
    keep = prob > 0
    assert counts[~keep].sum() == 0, "samples in a bin of zero probability"
    counts, expected = counts[keep], prob[keep] / prob[keep].sum() * counts.sum()
    order = np.argsort(expected)
    n_pool = 1
    while n_pool < order.size and expected[order[:n_pool]].sum() < 20:
        n_pool += 1
    pooled, rest = order[:n_pool], order[n_pool:]
    obs = np.append(counts[rest], counts[pooled].sum())
    exp = np.append(expected[rest], expected[pooled].sum())
    assert obs.size >= 2
    return stats.chi2.sf(((obs - exp) ** 2 / exp).sum(), obs.size - 1)


def bin_integrals(pdf, edges):
    """Integral of pdf over each bin, 24-point Gauss-Legendre per bin."""
    mid, half = 0.5 * (edges[1:] + edges[:-1]), 0.5 * np.diff(edges)
    nodes = mid[:, None] + half[:, None] * _GL_X
    return (pdf(nodes) * _GL_W).sum(axis=1) * half
