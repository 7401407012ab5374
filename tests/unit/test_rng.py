"""Tests of mcdose.kernels.rng: known answers, bit-exactness, thread independence, uniformity, independence.

Statistical tests use fixed seeds, so each outcome is deterministic; the
stated false-alarm rate is the probability that a correct generator fails
the test for a seed chosen at random.
"""
import numba
import numpy as np
import pytest
from scipy import stats

from mcdose.kernels import rng
from mcdose.kernels._jit import jit

# --- independent pure-Python reference (Python ints masked to 64 bits) ----------------------
MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def ref_mix64(z):
    """SplitMix64 output function (Steele, Lea & Flood 2014; splitmix64.c constants)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def ref_state(seed, batch, history):
    """State words s_k = mix64(mix64(mix64(mix64(seed) + (k+1) G) + batch G) + history G)."""
    words = []
    for k in range(4):
        a = ref_mix64((ref_mix64(seed) + (k + 1) * GOLDEN) & MASK)
        b = ref_mix64((a + batch * GOLDEN) & MASK)
        words.append(ref_mix64((b + history * GOLDEN) & MASK))
    return words


def ref_rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


def ref_xoshiro256ss(s, n):
    """n outputs of xoshiro256** from state s (Blackman & Vigna 2018, xoshiro256starstar.c)."""
    s = list(s)
    out = []
    for _ in range(n):
        out.append((ref_rotl((s[1] * 5) & MASK, 7) * 9) & MASK)
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = ref_rotl(s[3], 45)
    return out


def ref_uniform(x):
    return ((x >> 12) + 0.5) * 2.0**-52


# --- small kernels used by the tests ----------------------------------------------------------
CHUNK = 64  # histories per prange chunk (one state array per chunk)


@jit(refcount=True)
def raw_stream(seed, batch, history, n):
    state = np.empty(rng.STATE_WORDS, np.uint64)
    rng.stream_init(state, seed, batch, history)
    out = np.empty(n, np.uint64)
    for i in range(n):
        out[i] = rng.next_uint64(state)
    return out


@jit(refcount=True)
def initial_states(seed, batch, n_histories):
    states = np.empty((n_histories, rng.STATE_WORDS), np.uint64)
    for h in range(n_histories):
        rng.stream_init(states[h], seed, batch, h)
    return states


@jit(parallel=True, refcount=True)
def draw_matrix(seed, batch, n_histories, n_draws):
    """Row h: the first n_draws uniforms of history h, histories spread over threads in chunks."""
    out = np.empty((n_histories, n_draws))
    n_chunks = (n_histories + CHUNK - 1) // CHUNK
    for c in numba.prange(n_chunks):
        state = np.empty(rng.STATE_WORDS, np.uint64)
        for h in range(c * CHUNK, min((c + 1) * CHUNK, n_histories)):
            rng.stream_init(state, seed, batch, h)
            for i in range(n_draws):
                out[h, i] = rng.uniform(state)
    return out


SEED, BATCH = 20240611, 7
N_HIST, N_DRAWS = 4096, 1024  # 4.19 million draws
N_FIRST = 1 << 20  # histories for first-draw tests


@pytest.fixture(scope="module")
def draws():
    return draw_matrix(SEED, BATCH, N_HIST, N_DRAWS)


@pytest.fixture(scope="module")
def first_draws():
    return draw_matrix(SEED, BATCH, N_FIRST, 1)[:, 0]


# --- known answers and bit-exactness ----------------------------------------------------------
def test_mix64_reproduces_published_splitmix64_outputs():
    # k-th SplitMix64 output of seed x is mix64(x + k G); published values for seeds 0 and 1234567
    # (Vigna's splitmix64.c; Rosetta Code "Pseudo-random numbers/Splitmix64").
    expected = {
        0: [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F, 0xF88BB8A8724C81EC],
        1234567: [6457827717110365317, 3203168211198807973, 9817491932198370423,
                  4593380528125082431, 16408922859458223821],
    }
    for seed, outputs in expected.items():
        got = [int(rng.mix64(np.uint64((seed + k * GOLDEN) & MASK))) for k in range(1, len(outputs) + 1)]
        assert got == outputs


def test_xoshiro256ss_reproduces_reference_outputs():
    # Outputs of the reference xoshiro256starstar.c from state {1, 2, 3, 4} (as in rand_xoshiro's test).
    expected = [11520, 0, 1509978240, 1215971899390074240, 1216172134540287360, 607988272756665600,
                16172922978634559625, 8476171486693032832, 10595114339597558777, 2904607092377533576]
    state = np.array([1, 2, 3, 4], dtype=np.uint64)
    assert [int(rng.next_uint64(state)) for _ in expected] == expected
    assert ref_xoshiro256ss([1, 2, 3, 4], len(expected)) == expected


@pytest.mark.parametrize("seed, batch, history", [
    (0, 0, 0), (1, 0, 0), (1, 0, 1), (1, 1, 0), (12345, 19, 999_999), (MASK, MASK, MASK),
])
def test_streams_bit_exact_against_python_reference(seed, batch, history):
    n = 1000
    words = ref_state(seed, batch, history)
    state = np.empty(rng.STATE_WORDS, np.uint64)
    rng.stream_init(state, np.uint64(seed), np.uint64(batch), np.uint64(history))
    assert [int(w) for w in state] == words
    bits = ref_xoshiro256ss(words, n)
    assert [int(x) for x in raw_stream(np.uint64(seed), np.uint64(batch), np.uint64(history), n)] == bits
    expected = np.array([ref_uniform(x) for x in bits])
    np.testing.assert_array_equal(rng.sample_stream(seed, batch, history, n), expected)


def test_int64_and_uint64_indices_give_the_same_stream():
    # A prange index is int64, a seed from Python may be uint64: the stream must not depend on the type.
    np.testing.assert_array_equal(raw_stream(5, 2, 77, 50),
                                  raw_stream(np.uint64(5), np.uint64(2), np.uint64(77), 50))


# --- reproducibility and thread independence --------------------------------------------------
def test_same_indices_same_sequence():
    np.testing.assert_array_equal(rng.sample_stream(3, 1, 42, 500), rng.sample_stream(3, 1, 42, 500))


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 Numba threads")
def test_draws_independent_of_thread_count():
    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = draw_matrix(SEED, BATCH, 1000, 100)
        numba.set_num_threads(2)
        two = draw_matrix(SEED, BATCH, 1000, 100)
    finally:
        numba.set_num_threads(previous)
    np.testing.assert_array_equal(one, two)
    for h in (0, 1, 999):
        np.testing.assert_array_equal(two[h], rng.sample_stream(SEED, BATCH, h, 100))


def test_histories_of_one_batch_get_distinct_state_words():
    # x -> mix64(x + history G) is a bijection, so each state word is distinct across histories.
    states = initial_states(SEED, BATCH, N_FIRST)
    for k in range(rng.STATE_WORDS):
        word = np.sort(states[:, k])
        assert (word[1:] != word[:-1]).all()


# --- open interval ----------------------------------------------------------------------------
def test_uniform_never_reaches_0_or_1(draws):
    assert rng.bits_to_uniform(np.uint64(0)) == 2.0**-53
    assert rng.bits_to_uniform(np.uint64(MASK)) == 1.0 - 2.0**-53
    assert draws.min() > 0.0 and draws.max() < 1.0
    assert np.isfinite(np.log(draws)).all() and np.isfinite(np.log1p(-draws)).all()


# --- statistics -------------------------------------------------------------------------------
def chi2_uniform_pvalue(u, bins=100):
    counts = np.bincount((u * bins).astype(np.int64), minlength=bins)
    return stats.chisquare(counts).pvalue


def test_uniformity_chi_square(draws, first_draws):
    # 100 equal bins, 99 dof; false-alarm rate 1e-4 per check for a correct generator.
    assert chi2_uniform_pvalue(draws.ravel()) > 1e-4  # 4.19e6 draws over 4096 streams
    assert chi2_uniform_pvalue(first_draws) > 1e-4  # first draw of 2^20 streams: tests the seeding


def pearson(x, y):
    return np.corrcoef(x.ravel(), y.ravel())[0, 1]


def assert_uncorrelated(x, y):
    # Null: r ~ N(0, 1/n) for independent uniforms; |r| < 5/sqrt(n) (false-alarm rate 5.7e-7).
    r = pearson(x, y)
    assert abs(r) < 5.0 / np.sqrt(x.size), f"r = {r:.2e}, n = {x.size}"


def test_serial_correlation_within_streams(draws):
    assert_uncorrelated(draws[:, :-1], draws[:, 1:])


def test_correlation_between_adjacent_histories(draws, first_draws):
    assert_uncorrelated(draws[:-1], draws[1:])
    assert_uncorrelated(first_draws[:-1], first_draws[1:])


def test_correlation_between_adjacent_batches(draws, first_draws):
    assert_uncorrelated(draws, draw_matrix(SEED, BATCH + 1, N_HIST, N_DRAWS))
    assert_uncorrelated(first_draws, draw_matrix(SEED, BATCH + 1, N_FIRST, 1)[:, 0])


def test_correlation_between_adjacent_seeds(draws, first_draws):
    assert_uncorrelated(draws, draw_matrix(SEED + 1, BATCH, N_HIST, N_DRAWS))
    assert_uncorrelated(first_draws, draw_matrix(SEED + 1, BATCH, N_FIRST, 1)[:, 0])


# --- Python-side helper -----------------------------------------------------------------------
def test_sample_stream_shape_and_empty():
    u = rng.sample_stream(1, 2, 3, 7)
    assert u.shape == (7,) and u.dtype == np.float64
    assert rng.sample_stream(1, 2, 3, 0).shape == (0,)


@pytest.mark.parametrize("kwargs, name", [
    (dict(seed=-1), "seed"), (dict(batch=2**64), "batch"), (dict(history=1.5), "history"), (dict(n=-3), "n"),
])
def test_sample_stream_rejects_bad_indices(kwargs, name):
    args = dict(seed=1, batch=0, history=0, n=4) | kwargs
    with pytest.raises(ValueError, match=name):
        rng.sample_stream(**args)
