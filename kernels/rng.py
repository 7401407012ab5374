"""Reproducible random-number streams for the kernels: one stream per (seed, batch, history).

Generator: xoshiro256** (D. Blackman & S. Vigna, "Scrambled linear pseudorandom
number generators", arXiv:1805.01407 (2018); ACM Trans. Math. Softw. 47(4):36
(2021), the ``xoshiro256**`` algorithm with shift/rotate constants a=17, b=45
and scrambler ``rotl(s1 * 5, 7) * 9``): 256-bit state, period 2^256 - 1.

Seeding (docs/architecture.md: a history's numbers depend only on its
(seed, batch, history) indices, never on the thread or worker that runs it).
Each state word is a hash of (seed, batch, history, word index) built from
SplitMix64's mixing function ``mix64`` (G. L. Steele, D. Lea & C. H. Flood,
"Fast splittable pseudorandom number generators", OOPSLA 2014, ACM SIGPLAN
Notices 49(10):453; the variant of JDK 8 ``SplittableRandom`` and of Vigna's
``splitmix64.c``: shifts 30/27/31, multipliers 0xBF58476D1CE4E5B9 and
0x94D049BB133111EB)::

    a_k = mix64(mix64(seed) + (k + 1) G)   # k-th output of SplitMix64 seeded with mix64(seed)
    b_k = mix64(a_k + batch G)
    s_k = mix64(b_k + history G)           # k = 0..3; G = 0x9E3779B97F4A7C15; all mod 2^64

``mix64`` is a bijection of 64-bit words and ``x -> x + history G`` is one too
(G is odd), so within one (seed, batch) distinct histories get distinct values
in every state word.  The word index enters first, so no stream is a shifted
copy of its neighbour (the pitfall of seeding stream i from SplitMix64 seed i).

Usage in a kernel (state allocated once per chunk of histories, never per draw)::

    state = np.empty(STATE_WORDS, np.uint64)
    for history in range(first, last):
        stream_init(state, seed, batch, history)
        u = uniform(state)                  # float64 in the open interval (0, 1)

seed, batch and history are non-negative integers below 2^64 (a negative int64
wraps modulo 2^64 inside a kernel; :func:`sample_stream` rejects it with a ValueError).
"""
import operator

import numpy as np

from ._jit import jit

STATE_WORDS = 4  # uint64 words of xoshiro256** state

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # 2^64 / golden ratio, odd (Steele et al. 2014)
_MIX_M1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_M2 = np.uint64(0x94D049BB133111EB)
_U5, _U7, _U9, _U12 = np.uint64(5), np.uint64(7), np.uint64(9), np.uint64(12)
_U17, _U27, _U30, _U31 = np.uint64(17), np.uint64(27), np.uint64(30), np.uint64(31)
_U0, _U45, _U64 = np.uint64(0), np.uint64(45), np.uint64(64)
_TWO_M52 = 2.0**-52


@jit
def mix64(z):
    """SplitMix64 output function of a uint64 word (a bijection; Steele, Lea & Flood 2014)."""
    z = (z ^ (z >> _U30)) * _MIX_M1
    z = (z ^ (z >> _U27)) * _MIX_M2
    return z ^ (z >> _U31)


@jit
def _rotl(x, k):
    """Rotate the uint64 word ``x`` left by ``k`` (uint64) bits."""
    return (x << k) | (x >> (_U64 - k))


@jit
def stream_init(state, seed, batch, history):
    """Fill ``state`` (uint64[4], preallocated) with the xoshiro256** state of (seed, batch, history)."""
    a = mix64(np.uint64(seed))
    batch_step = np.uint64(batch) * _GOLDEN
    history_step = np.uint64(history) * _GOLDEN
    for k in range(STATE_WORDS):
        a += _GOLDEN
        state[k] = mix64(mix64(mix64(a) + batch_step) + history_step)
    if (state[0] | state[1] | state[2] | state[3]) == _U0:  # xoshiro's one forbidden state
        state[0] = np.uint64(1)


@jit
def next_uint64(state):
    """Advance the xoshiro256** ``state`` (uint64[4]) in place and return its next uint64 output."""
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    result = _rotl(s1 * _U5, _U7) * _U9
    t = s1 << _U17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    state[0], state[1], state[2], state[3] = s0, s1, s2, _rotl(s3, _U45)
    return result


@jit
def bits_to_uniform(x):
    """Map a uint64 to the midpoint of one of 2^52 equal cells of [0, 1].

    The top 52 bits give u = (k + 1/2) 2^-52, exact in float64: never 0 nor 1
    (2^-53 <= u <= 1 - 2^-53), so log(u) and log(1 - u) are finite (>= -36.8),
    and u and 1 - u have the same distribution.
    """
    return ((x >> _U12) + 0.5) * _TWO_M52


@jit
def uniform(state):
    """Next float64 uniform in the open interval (0, 1) from the stream ``state`` (uint64[4])."""
    return bits_to_uniform(next_uint64(state))


@jit(refcount=True)
def _fill_stream(out, seed, batch, history):
    state = np.empty(STATE_WORDS, np.uint64)
    stream_init(state, seed, batch, history)
    for i in range(out.size):
        out[i] = uniform(state)


def _checked_int(value, name, bits):
    """Return ``value`` as a Python int after checking that it is an integer in [0, 2**bits)."""
    message = f"{name} must be an integer in [0, 2**{bits}), got {value!r}"
    try:
        value = operator.index(value)
    except TypeError:
        raise ValueError(message) from None
    if not 0 <= value < 2**bits:
        raise ValueError(message)
    return value


def sample_stream(seed, batch, history, n):
    """First ``n`` uniforms in (0, 1) of stream (seed, batch, history), as a float64 array (for debugging).

    Gives the same numbers as ``stream_init`` followed by ``n`` calls of
    ``uniform`` inside a kernel.  seed, batch, history: integers in [0, 2**64).
    """
    out = np.empty(_checked_int(n, "n", 63), dtype=np.float64)
    keys = {"seed": seed, "batch": batch, "history": history}
    _fill_stream(out, *(np.uint64(_checked_int(v, name, 64)) for name, v in keys.items()))
    return out
