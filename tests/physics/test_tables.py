"""The tables API (docs/architecture.md) and its HDF5 cache: consistent, validated, self-healing."""
import h5py
import numpy as np
import pytest

from mcdose.errors import InputError
from mcdose.physics import cache, tables
from mcdose.physics import material_tables as tables_module


def test_scalar_and_array_agree():
    t = tables("water")
    E = np.array([0.01, 0.1, 1.0, 10.0])
    arr = t.stopping_power(E, "total")
    assert isinstance(t.stopping_power(1.0), float)
    assert arr[2] == pytest.approx(t.stopping_power(1.0, "total"))
    assert arr == pytest.approx(t.stopping_power(E, "collision") + t.stopping_power(E, "radiative"))
    assert t.mu_over_rho(E) == pytest.approx(sum(t.mu_over_rho(E, p) for p in tables_module.PHOTON_PROCESSES))


def test_restricted_below_unrestricted():
    t = tables("water")
    E = np.geomspace(0.05, 50, 30)
    for particle in ("electron", "positron"):
        full = t.stopping_power(E, "collision", particle)
        restricted = t.stopping_power(E, "collision", particle, restricted=True)
        assert np.all(restricted <= full * (1 + 1e-12)) and np.all(restricted > 0.5 * full)
    assert np.all(t.stopping_power(E, "radiative", restricted=True) < t.stopping_power(E, "radiative"))


def test_csda_range_increases_and_matches_integral():
    t = tables("water")
    E = np.geomspace(0.01, 50, 200)
    r = t.csda_range(E)
    assert np.all(np.diff(r) > 0)
    # dR/dE = 1/S_total (finite difference on the table itself)
    mid = np.sqrt(E[1:] * E[:-1])
    slope = np.diff(r) / np.diff(E)
    assert slope == pytest.approx(1.0 / t.stopping_power(mid, "total"), rel=2e-3)


@pytest.mark.parametrize("call,match", [
    (lambda t: t.stopping_power(1.0, "nuclear"), "kind"),
    (lambda t: t.stopping_power(1e-4), "outside the table range"),
    (lambda t: t.mu_over_rho(100.0), "outside the table range"),
    (lambda t: t.mu_over_rho(1.0, "compton"), "process"),
    (lambda t: t.csda_range(float("nan")), "outside the table range"),
    (lambda t: t.stopping_power(1.0, particle="proton"), "particle"),
])
def test_bad_requests(call, match):
    with pytest.raises(InputError, match=match):
        call(tables("water"))


def test_unknown_material_and_bad_threshold():
    with pytest.raises(InputError, match="unknown material"):
        tables("kryptonite")
    with pytest.raises(InputError, match="delta_threshold"):
        tables("water", delta_threshold=-1)


def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("MCDOSE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(tables_module, "_MEMORY", {})


def test_cache_round_trip_and_corruption(monkeypatch, tmp_path):
    _isolated(monkeypatch, tmp_path)
    first = tables("air")
    files = list((tmp_path / "physics").glob("air-*.h5"))
    assert len(files) == 1
    monkeypatch.setattr(tables_module, "_MEMORY", {})
    again = tables("air")
    for name, a in first.arrays.items():
        np.testing.assert_array_equal(again.arrays[name], a)
    # corrupt one value: the checksum no longer matches, the file is rebuilt
    with h5py.File(files[0], "a") as f:
        f["s_col"][5] = 123.0
    monkeypatch.setattr(tables_module, "_MEMORY", {})
    rebuilt = tables("air")
    assert rebuilt.arrays["s_col"][5] == first.arrays["s_col"][5]
    # garbage file and stale version are rebuilt too
    files[0].write_bytes(b"not hdf5")
    monkeypatch.setattr(tables_module, "_MEMORY", {})
    assert tables("air").arrays["s_col"][5] == first.arrays["s_col"][5]
    with h5py.File(files[0], "a") as f:
        f.attrs["physics_version"] = "0"
    assert cache.read(files[0], tables_module.physics_digest()) is None
    assert not files[0].exists()


def test_cache_key_depends_on_density_and_thresholds(monkeypatch, tmp_path):
    _isolated(monkeypatch, tmp_path)
    import mcdose.materials as mm
    water = mm.get("water")
    tables(water)
    tables(water.with_density(0.5))
    tables(water, delta_threshold=0.1)
    assert len(list((tmp_path / "physics").glob("*.h5"))) == 3


@pytest.mark.parametrize("name", __import__("mcdose.materials", fromlist=["names"]).names())
def test_every_library_material_has_sane_tables(name):
    """Finite, positive tables for every library material; CSDA range strictly increasing from 1 keV;
    collision stopping power falling with energy below 100 keV (Bethe region, joined below 10 keV)."""
    t = tables(name)
    for key, a in t.arrays.items():
        assert np.all(np.isfinite(a)), key
        if key not in ("mu_pair", "density_effect", "sigma_moller", "sigma_bhabha", "sigma_brems"):
            assert np.all(a > 0), key
    E = np.geomspace(1e-3, 50, 300)
    assert np.all(np.diff(t.csda_range(E)) > 0)
    low = E[E < 0.1]
    assert np.all(np.diff(t.stopping_power(low, "collision")) < 0)
