"""Weight games played on a particle in flight (Numba): Russian roulette up to a weight, and splitting or
roulette where it crosses into a region of another geometric importance.

Geometric importance (I. Lux, L. Koblinger, Monte Carlo Particle Transport Methods, CRC 1991, ch. 5;
MCNP's cell importances, X-5 Monte Carlo Team, LA-UR-03-1987, ch. 2 sec. VII): each scoring region has an
importance I (``GeometryArrays.region_importance``, 1 by default). A particle that enters a region of
importance I_new from one of I_old continues as n copies of weight wt I_old / I_new, where n is
I_new / I_old on average (its integer part, plus one with the probability of its fraction); below 1 it is
Russian roulette. Either way the expected weight, and so every expected score, is unchanged. The copies
start where the particle crossed, with its energy and direction: every later interaction is sampled
afresh for each, as the particle's own next one would be (the distances to the next events are
memoryless).
"""
from ._jit import jit
from .rng import uniform
from .tally import push


@jit
def roulette(wt, threshold, state):
    """Russian roulette (Lux & Koblinger, ch. 5): a particle of weight wt below ``threshold`` (> 0) survives
    with probability wt / threshold and then carries ``threshold``; returns its new weight, 0 if killed. The
    expected weight is wt: the dose stays unbiased."""
    if wt >= threshold:
        return wt
    return threshold if uniform(state) * threshold < wt else 0.0


@jit
def enter_importance(stack, n, x, y, z, u, v, w, e, kind, wt, ratio, state):
    """A particle (kind, kinetic energy e MeV, weight wt) at (x, y, z) moving along (u, v, w) enters a region
    whose importance is ``ratio`` times that of the region it left. Above 1 it is split: its copies beyond
    the first go onto the stack; below 1 it is played Russian roulette. Returns (stack size, -1 when full;
    the weight it goes on with, 0 if killed)."""
    if ratio < 1.0:
        return n, (wt / ratio if uniform(state) < ratio else 0.0)
    copies = int(ratio)
    if copies < ratio and uniform(state) < ratio - copies:
        copies += 1
    wt = wt / ratio
    for _ in range(copies - 1):
        n = push(stack, n, x, y, z, u, v, w, e, kind, wt)
        if n < 0:
            return n, wt
    return n, wt
