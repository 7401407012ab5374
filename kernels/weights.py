"""Weight games played on a particle in flight (Numba): Russian roulette up to a weight, and splitting or
roulette where it crosses into a region of another geometric importance.

Geometric importance (I. Lux, L. Koblinger, Monte Carlo Particle Transport Methods, CRC 1991, ch. 5;
MCNP's cell importances, X-5 Monte Carlo Team, LA-UR-03-1987, ch. 2 sec. VII): each scoring region has an
importance I (the second half of ``GeometryArrays.region_params``, 1 by default). A particle that enters a region of
importance I_new from one of I_old continues as n copies of weight wt I_old / I_new, where n is
I_new / I_old on average (its integer part, plus one with the probability of its fraction); below 1 it is
Russian roulette. Either way the expected weight, and so every expected score, is unchanged. The copies
start where the particle crossed, with its energy and direction: every later interaction is sampled
afresh for each, as the particle's own next one would be (the distances to the next events are
memoryless); the particle itself ends there, and its copies (or itself, having survived) are tracked
anew from the stack.
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
    whose importance is ``ratio`` times that of the region it left: it ends here, and goes onto the stack to be
    tracked again from this point as its copies of weight wt / ratio (above 1: split), or as itself at that
    weight if it survives Russian roulette (below 1). Returns the stack size (-1 when full). (Ending the track
    keeps the weight constant within the tracking loops: a weight changed in the loop made the analog 50 keV
    photon history 20 % slower, issue 21.)"""
    if ratio < 1.0:
        copies = 1 if uniform(state) < ratio else 0
    else:
        copies = int(ratio)
        if copies < ratio and uniform(state) < ratio - copies:
            copies += 1
    for _ in range(copies):
        n = push(stack, n, x, y, z, u, v, w, e, kind, wt / ratio)
    return n
