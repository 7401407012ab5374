"""DICOM RT Dose export (mcdose.export_rtdose) and `mcdose export` (mcdose.export.cli_export): round trips through
pydicom and SimpleITK (GDCM), resampling of cylindrical and spherical meshes, refusals."""
import argparse

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom")
sitk = pytest.importorskip("SimpleITK")

from mcdose.errors import InputError
from mcdose.export import cli_export, grid_edges, parse_grid
from mcdose.export_rtdose import (RT_DOSE_STORAGE, default_cartesian_grid, resample_to_cartesian,
                                  uncertainty_path, write_rtdose)
from mcdose.results import Grid, Result

PARTICLES = 3.7e14


def _result(grid, seed=1, scale=2e-15):
    rng = np.random.default_rng(seed)
    dose = rng.random(grid.shape) * scale
    dose.flat[rng.integers(dose.size)] = 0.0
    unc = np.where(dose > 0, 0.01 + 0.05 * rng.random(grid.shape), 0.0)
    return Result(dose, unc, dose * 1e3, grid)


def _cartesian():
    # distinct spacings and counts on each axis, off-centre, so a swapped axis cannot pass
    return Grid("cartesian", {"x_edges": -1.3 + 0.2 * np.arange(8), "y_edges": 0.7 + 0.35 * np.arange(6),
                              "z_edges": 0.1 + 0.5 * np.arange(5)})


def _centres(ds):
    """Voxel-centre coordinates (cm) along x, y, z as the RT Dose states them."""
    ipp = [float(v) for v in ds.ImagePositionPatient]
    dy, dx = (float(v) for v in ds.PixelSpacing)
    x = (ipp[0] + dx * np.arange(ds.Columns)) / 10
    y = (ipp[1] + dy * np.arange(ds.Rows)) / 10
    z = (ipp[2] + np.array([float(v) for v in ds.GridFrameOffsetVector])) / 10
    return x, y, z


def _gy(ds):
    """(x, y, z)-ordered dose in Gy from the stored pixels and Dose Grid Scaling."""
    return ds.pixel_array.transpose(2, 1, 0) * float(ds.DoseGridScaling)


def test_cartesian_round_trip_pydicom(tmp_path):
    grid = _cartesian()
    res = _result(grid)
    out = tmp_path / "dose.dcm"
    assert write_rtdose(res, out, particles=PARTICLES, patient_id="P-1", patient_name="Doe^Jane") == [out]
    ds = pydicom.dcmread(out)
    assert ds.SOPClassUID == RT_DOSE_STORAGE == ds.file_meta.MediaStorageSOPClassUID
    assert ds.SOPInstanceUID == ds.file_meta.MediaStorageSOPInstanceUID
    assert ds.Modality == "RTDOSE" and ds.DoseUnits == "GY" and ds.DoseType == "PHYSICAL"
    assert ds.DoseSummationType == "PLAN"
    assert (ds.Columns, ds.Rows, int(ds.NumberOfFrames)) == grid.shape
    assert ds.BitsAllocated == ds.BitsStored == 32 and ds.HighBit == 31 and ds.PixelRepresentation == 0
    assert [float(v) for v in ds.ImageOrientationPatient] == [1, 0, 0, 0, 1, 0]
    assert [float(v) for v in ds.PixelSpacing] == pytest.approx([3.5, 2.0], abs=1e-9)      # row spacing (y) first
    assert float(ds.SliceThickness) == pytest.approx(5.0)
    assert float(ds.GridFrameOffsetVector[0]) == 0.0
    assert ds.FrameIncrementPointer == pydicom.tag.Tag(0x3004, 0x000C)
    x, y, z = _centres(ds)
    for got, name in zip((x, y, z), ("x_edges", "y_edges", "z_edges")):
        np.testing.assert_allclose(got, grid.centers(name), rtol=0, atol=1e-6)
    want = res.dose * PARTICLES
    got = _gy(ds)
    assert got.shape == grid.shape
    assert np.max(np.abs(got - want)) < 1e-4 * want.max()
    assert ds.pixel_array.max() <= 2 ** 32 - 1 and ds.pixel_array.max() > 0.99 * (2 ** 32 - 1)
    assert ds.PatientID == "P-1" and str(ds.PatientName) == "Doe^Jane"
    for uid in (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID, ds.SOPInstanceUID):
        assert pydicom.uid.UID(uid).is_valid


def test_simpleitk_reads_the_same_grid_and_values(tmp_path):
    """GDCM (SimpleITK 2.5 / ITK 5.4) loads the RT Dose as a 3-D image with the grid's origin (first voxel centre,
    mm), spacing and axes; it returns the stored integers (Dose Grid Scaling is not applied), so the dose is the
    image times Dose Grid Scaling (3004|000e in its metadata)."""
    grid = _cartesian()
    res = _result(grid, seed=2)
    out = tmp_path / "dose.dcm"
    write_rtdose(res, out, particles=PARTICLES)
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(out))
    img = reader.Execute()
    assert img.GetDimension() == 3 and img.GetSize() == grid.shape
    origin = [10 * grid.centers(n)[0] for n in ("x_edges", "y_edges", "z_edges")]
    np.testing.assert_allclose(img.GetOrigin(), origin, atol=1e-5)
    np.testing.assert_allclose(img.GetSpacing(), [2.0, 3.5, 5.0], atol=1e-9)
    np.testing.assert_allclose(img.GetDirection(), np.eye(3).ravel(), atol=1e-12)
    scaling = float(reader.GetMetaData("3004|000e"))
    values = sitk.GetArrayFromImage(img).transpose(2, 1, 0) * scaling      # sitk arrays are (z, y, x)
    want = res.dose * PARTICLES
    assert np.max(np.abs(values - want)) < 1e-4 * want.max()
    # a physical point maps to the voxel whose centre it is
    i, j, k = 3, 4, 2
    point = [10 * grid.centers(n)[m] for n, m in zip(("x_edges", "y_edges", "z_edges"), (i, j, k))]
    assert img.TransformPhysicalPointToIndex(point) == (i, j, k)


def test_sixteen_bits_and_zero_dose(tmp_path):
    grid = _cartesian()
    res = _result(grid, seed=3)
    write_rtdose(res, tmp_path / "a.dcm", particles=1.0, bits=16)
    ds = pydicom.dcmread(tmp_path / "a.dcm")
    assert ds.BitsAllocated == 16 and ds.pixel_array.dtype == np.uint16
    assert np.max(np.abs(_gy(ds) - res.dose)) < 1e-4 * res.dose.max()        # Gy per particle (particles=1)
    zero = Result(np.zeros(grid.shape), np.zeros(grid.shape), np.zeros(grid.shape), grid)
    write_rtdose(zero, tmp_path / "z.dcm", particles=1.0)
    ds = pydicom.dcmread(tmp_path / "z.dcm")
    assert float(ds.DoseGridScaling) > 0 and not ds.pixel_array.any()


def test_uncertainty_file_and_given_uids(tmp_path):
    grid = _cartesian()
    res = _result(grid, seed=4)
    out = tmp_path / "d.dcm"
    study, frame, plan = "1.2.3.4.5", "1.2.3.4.6", "1.2.3.4.7"
    paths = write_rtdose(res, out, particles=PARTICLES, uncertainty=True, study_uid=study,
                         frame_of_reference_uid=frame, plan_uid=plan)
    assert paths == [out, tmp_path / "d_uncertainty.dcm"] and uncertainty_path(out) == paths[1]
    dose, err = (pydicom.dcmread(p) for p in paths)
    assert err.DoseType == "ERROR" and err.DoseUnits == "GY"
    for ds in (dose, err):
        assert ds.StudyInstanceUID == study and ds.FrameOfReferenceUID == frame
        assert ds.ReferencedRTPlanSequence[0].ReferencedSOPInstanceUID == plan
    assert dose.SeriesInstanceUID != err.SeriesInstanceUID and dose.SOPInstanceUID != err.SOPInstanceUID
    for attr in ("ImagePositionPatient", "PixelSpacing", "GridFrameOffsetVector", "Rows", "Columns",
                 "NumberOfFrames"):
        assert dose[attr].value == err[attr].value
    want = res.uncertainty * res.dose * PARTICLES
    assert np.max(np.abs(_gy(err) - want)) < 1e-4 * want.max()


def _cylindrical():
    return Grid("cylindrical", {"r_edges": [0.0, 0.3, 0.7, 1.5, 2.4], "z_edges": 0.25 * np.arange(9)})


def _bin(edges, v):
    for i in range(len(edges) - 1):
        if edges[i] <= v < edges[i + 1]:
            return i
    return None


def test_cylindrical_resampled_nearest_bin(tmp_path):
    grid = _cylindrical()
    res = _result(grid, seed=5)
    xe, ye, ze = default_cartesian_grid(grid)
    assert np.allclose(np.diff(xe), 0.3) and xe[0] <= -2.4 and xe[-1] >= 2.4 and np.allclose(xe, ye)
    np.testing.assert_array_equal(ze, grid.edges["z_edges"])
    out = tmp_path / "cyl.dcm"
    write_rtdose(res, out, particles=PARTICLES)
    ds = pydicom.dcmread(out)
    x, y, z = _centres(ds)
    got = _gy(ds)
    r_edges, z_edges = grid.edges["r_edges"], grid.edges["z_edges"]
    inside = 0
    for i, xi in enumerate(x):
        for j, yj in enumerate(y):
            ir = _bin(r_edges, np.hypot(xi, yj))
            for k, zk in enumerate(z):
                iz = _bin(z_edges, zk)
                want = 0.0 if ir is None or iz is None else res.dose[ir, iz] * PARTICLES
                inside += want > 0
                assert abs(got[i, j, k] - want) < 1e-4 * res.dose.max() * PARTICLES
    assert inside > 0.5 * got.size
    assert got[0, 0, 0] == 0.0                                                   # a corner lies outside r_max
    # an explicit grid: centres on a line through the axis
    xe = np.linspace(-3, 3, 13)
    d = resample_to_cartesian(res, xe, [-0.05, 0.05], [0.5, 0.6])
    rho = np.abs(0.5 * (xe[1:] + xe[:-1]))
    want = [0.0 if _bin(r_edges, np.hypot(r, 0.0)) is None else res.dose[_bin(r_edges, np.hypot(r, 0.0)), 2]
            for r in rho]
    np.testing.assert_array_equal(d[:, 0, 0], want)
    u = resample_to_cartesian(res, xe, [-0.05, 0.05], [0.5, 0.6], what="uncertainty")
    assert u[6, 0, 0] == res.uncertainty[_bin(r_edges, rho[6]), 2]


def test_spherical_resampled_about_its_centre(tmp_path):
    grid = Grid("spherical", {"r_edges": [0.0, 0.4, 1.0, 1.6]}, center=(1.0, -0.5, 3.0))
    res = _result(grid, seed=6)
    ze = default_cartesian_grid(grid)[2]
    assert np.allclose(np.diff(ze), 0.4) and 0.5 * (ze[0] + ze[-1]) == pytest.approx(3.0)
    out = tmp_path / "sph.dcm"
    write_rtdose(res, out, particles=1e12, uncertainty=True)
    ds = pydicom.dcmread(out)
    x, y, z = _centres(ds)
    got = _gy(ds)
    r = np.sqrt((x[:, None, None] - 1.0) ** 2 + (y[None, :, None] + 0.5) ** 2 + (z[None, None, :] - 3.0) ** 2)
    want = np.zeros(got.shape)
    for idx in np.ndindex(*got.shape):
        b = _bin(grid.edges["r_edges"], r[idx])
        want[idx] = 0.0 if b is None else res.dose[b] * 1e12
    assert np.max(np.abs(got - want)) < 1e-4 * want.max()
    assert (want > 0).sum() > 0.3 * want.size and (want == 0).any()


def test_cartesian_resampled_onto_a_given_grid(tmp_path):
    grid = Grid("cartesian", {"x_edges": [0.0, 1.0, 3.0], "y_edges": [0.0, 1.0], "z_edges": [0.0, 2.0]})
    res = _result(grid, seed=7)
    d = resample_to_cartesian(res, np.arange(-1.0, 4.5, 0.5), [0.25, 0.75], [0.5, 1.5])
    np.testing.assert_array_equal(d[:, 0, 0], [0, 0, res.dose[0, 0, 0], res.dose[0, 0, 0]] + [res.dose[1, 0, 0]] * 4
                                  + [0, 0])


def test_refusals(tmp_path):
    res = _result(_cartesian())
    out = tmp_path / "d.dcm"
    uneven = Grid("cartesian", {"x_edges": [0.0, 1.0, 3.0], "y_edges": [0.0, 1.0], "z_edges": [0.0, 2.0]})
    with pytest.raises(InputError, match="x_edges: bins are not uniform"):
        write_rtdose(_result(uneven), out, particles=1.0)
    with pytest.raises(InputError, match="z_edges: bins are not uniform"):
        write_rtdose(res, out, particles=1.0, grid_cm=([0, 1, 2], [0, 1], [0, 1, 3]))
    for bad in (0.0, -1.0, float("nan"), float("inf"), "many"):
        with pytest.raises(InputError, match="particles"):
            write_rtdose(res, out, particles=bad)
    with pytest.raises(InputError, match="patient_id"):
        write_rtdose(res, out, particles=1.0, patient_id="a\nb")
    with pytest.raises(InputError, match="frame_of_reference_uid"):
        write_rtdose(res, out, particles=1.0, frame_of_reference_uid="1.2.abc")
    with pytest.raises(InputError, match="bits"):
        write_rtdose(res, out, particles=1.0, bits=8)
    assert not out.exists()
    h5 = tmp_path / "out.h5"
    res.save(h5)
    with pytest.raises(InputError, match="is an input"):
        write_rtdose(res, h5, particles=1.0, inputs=[("the result file", h5)], force=True)
    write_rtdose(res, out, particles=1.0)
    before = out.read_bytes()
    with pytest.raises(InputError, match="exists; use --force"):
        write_rtdose(res, out, particles=2.0)
    assert out.read_bytes() == before
    write_rtdose(res, out, particles=2.0, force=True)
    assert out.read_bytes() != before
    # the uncertainty file is checked before anything is written
    (tmp_path / "e_uncertainty.dcm").write_text("keep")
    with pytest.raises(InputError, match="e_uncertainty.dcm' exists"):
        write_rtdose(res, tmp_path / "e.dcm", particles=1.0, uncertainty=True)
    assert not (tmp_path / "e.dcm").exists()
    (tmp_path / "link.dcm").symlink_to(tmp_path / "victim")
    with pytest.raises(InputError, match="symbolic link"):
        write_rtdose(res, tmp_path / "link.dcm", particles=1.0, force=True)
    assert not (tmp_path / "victim").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.dcm", "e_uncertainty.dcm", "link.dcm", "out.h5"]


def _args(h5, out, **kw):
    base = {"file": str(h5), "format": "rtdose", "output": str(out), "particles": None, "grid": None,
            "uncertainty": False, "patient_id": None, "patient_name": None, "study_uid": None,
            "frame_of_reference_uid": None, "force": False}
    base.update(kw)
    return argparse.Namespace(**base)


def test_cli_export_rtdose(tmp_path, capsys):
    grid = _cylindrical()
    res = _result(grid, seed=8)
    h5 = tmp_path / "out.h5"
    res.save(h5)
    out = tmp_path / "d.dcm"
    with pytest.raises(InputError, match="--particles: required"):
        cli_export(_args(h5, out))
    triples = parse_grid("-2,2,0.5,-1,1,0.25,0,2,0.25")
    assert cli_export(_args(h5, out, particles=1e14, grid=triples, uncertainty=True, patient_id="X")) == 0
    assert capsys.readouterr().out.split("\n")[:2] == [f"wrote {out}", f"wrote {tmp_path / 'd_uncertainty.dcm'}"]
    ds = pydicom.dcmread(out)
    assert (ds.Columns, ds.Rows, int(ds.NumberOfFrames)) == (8, 8, 8) and ds.PatientID == "X"
    want = resample_to_cartesian(res, *grid_edges(triples)) * 1e14
    assert np.max(np.abs(_gy(ds) - want)) < 1e-4 * want.max()
    with pytest.raises(InputError, match="is an input"):
        cli_export(_args(h5, h5, particles=1.0, force=True))
    with pytest.raises(InputError, match="exists"):
        cli_export(_args(h5, out, particles=1.0))


def test_cli_export_3ddose_through_the_command_line(tmp_path, capsys):
    from mcdose.cli import main
    from mcdose.egs_files import read_3ddose
    grid = _cartesian()
    h5 = tmp_path / "out.h5"
    res = _result(grid)
    res.save(h5)
    out = tmp_path / "d.3ddose"
    assert main(["export", str(h5), "--format", "3ddose", "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote {out}\n"
    back = read_3ddose(out)
    np.testing.assert_allclose(back.dose, res.dose, rtol=5e-7)
    assert main(["export", str(h5), "--format", "3ddose", "-o", str(h5), "--force"]) == 2       # the input
    assert "input" in capsys.readouterr().err
    with pytest.raises(InputError, match="--particles, --uncertainty: only with --format rtdose"):
        cli_export(_args(h5, out, format="3ddose", particles=1.0, uncertainty=True))
    assert main(["export", str(h5), "--format", "rtdose", "--particles", "1e12", "-o", str(tmp_path / "d.dcm")]) == 0


@pytest.mark.parametrize("text", ["1,2,3", "0,1,0.3,0,1,0.5,0,1,0.5", "1,0,0.5,0,1,0.5,0,1,0.5",
                                  "0,1,0,0,1,0.5,0,1,0.5", "0,1,nan,0,1,0.5,0,1,0.5", "a,b,c,d,e,f,g,h,i"])
def test_parse_grid_refusals(text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_grid(text)


def test_parse_grid_edges():
    x, y, z = grid_edges(parse_grid("-1,1,0.1,0,3,1.5,2,2.2,0.2"))
    assert x.size == 21 and x[0] == -1 and x[-1] == pytest.approx(1.0)
    np.testing.assert_array_equal(y, [0, 1.5, 3])
    assert z.size == 2
