"""CT phantoms (phantoms/ct.py, mcdose.ct_series, mcdose.hu_ramp, mcdose.ct_volume) on synthetic DICOM CT series
written here with pydicom (no patient data): a water cylinder with a bone and a lung insert and a couch strip, files
in shuffled order, uint16 pixels with per-slice Rescale Slope and Intercept. Materials and densities are checked
voxel by voxel against the default ramp's numbers written out by hand; broken series are refused with messages that
name the problem; cropping, resampling, a transport run and the RT Dose export's frame of reference."""
import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom")

from synthetic_ct import DX, FRAME, N, NZ, SERIES, STUDY, X0, Y0, Z0, centres, ct_slice, phantom_hu, write_series

from mcdose.config import validate
from mcdose.ct_series import read_series
from mcdose.errors import InputError
from mcdose.materials import get as material
from mcdose.phantoms import build

# Default ramp (DOSXYZnrc ctcreate, HU = CT number - 1000) evaluated by hand for the test's HU values
RHO = {0: 0.302 + 700 * 0.799 / 825,            # soft_tissue segment (-700, 0.302) .. (125, 1.101)
       1200: 1.101 + 1075 * 0.987 / 1875,       # cortical_bone segment (125, 1.101) .. (2000, 2.088)
       -750: 0.044 + 200 * 0.258 / 250}         # lung segment (-950, 0.044) .. (-700, 0.302)
MATERIAL = {0: "soft_tissue", 1200: "cortical_bone", -750: "lung"}


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    return write_series(tmp_path_factory.mktemp("ct") / "series")


def expected(hu):
    """(material names per voxel, densities) the default ramp gives, from the hand-evaluated table; air outside
    the body (the couch too)."""
    names = np.full(hu.shape, "air", dtype=object)
    rho = np.full(hu.shape, material("air").density)
    for value, name in MATERIAL.items():
        names[hu == value] = name
        rho[hu == value] = RHO[value]
    return names, rho


# ---- reading ---------------------------------------------------------------------------------------

def test_series_sorted_rescaled_and_placed(series):
    image = read_series(series)
    assert np.array_equal(image.hu, phantom_hu())
    for edges, mm in zip(image.edges, centres()):
        assert np.allclose(0.5 * (edges[1:] + edges[:-1]), mm / 10, rtol=0, atol=1e-12)
    assert image.identifiers == {"frame_of_reference_uid": FRAME, "study_instance_uid": STUDY,
                                 "series_instance_uid": SERIES, "patient_id": "PH-001",
                                 "patient_name": "Phantom^Water"}


def test_materials_and_densities_voxel_by_voxel(series):
    geo = build({"type": "ct", "directory": str(series)})
    lat = geo.cells[geo.lattice_cell].lattice
    names, rho = expected(phantom_hu())
    got = np.array(lat.materials, dtype=object)[lat.material]
    assert np.array_equal(got, names)
    assert np.allclose(lat.density, rho, rtol=1e-12, atol=0)
    couch = np.broadcast_to((centres()[1] > 35)[None, :, None], got.shape)
    assert np.all(got[couch] == "air")                       # the couch became air
    assert geo.image is not None and geo.image.identifiers["frame_of_reference_uid"] == FRAME
    assert np.array_equal(geo.image.hu, phantom_hu())


def test_lung_inside_the_body_is_kept_and_relative_directory(series):
    geo = build({"type": "ct", "directory": series.name}, base_dir=series.parent)
    lat = geo.cells[geo.lattice_cell].lattice
    lung = np.array(lat.materials)[lat.material] == "lung"
    assert lung.sum() == (phantom_hu() == -750).sum() > 0


# ---- refusals ---------------------------------------------------------------------------------------

def _refused(folder, match):
    with pytest.raises(InputError, match=match) as info:
        read_series(folder)
    assert str(info.value).startswith("phantom.directory: ")
    return str(info.value)


@pytest.mark.parametrize("case,match", [
    ({"skip": (5,)}, r"1 slice\(s\) missing between .* gap 5 mm, spacing 2.5 mm"),
    ({"skip": (4, 5)}, r"2 slice\(s\) missing"),
    ({"over": {3: {"ImageOrientationPatient": [0.98, 0.2, 0, -0.2, 0.98, 0]}}}, "only axial series"),
    ({"over": {3: {"ImageOrientationPatient": [1, 0, 0, 0, 0, -1]}}}, "only axial series"),
    ({"over": {3: {"PixelSpacing": [2.0, 2.0]}}}, "Pixel Spacing .* every slice must have the same"),
    ({"over": {3: {"Rows": 30}}}, "Rows"),
    ({"over": {3: {"SeriesInstanceUID": "1.2.3.4"}}}, "different Series Instance UIDs .* one CT series"),
    ({"over": {3: {"FrameOfReferenceUID": "1.2.3.4"}}}, "different Frame of Reference UIDs"),
    ({"over": {3: {"RescaleSlope": None}}}, "without RescaleSlope"),
    ({"over": {3: {"RescaleType": "US"}}}, "Rescale Type 'US'"),
    ({"over": {3: {"ImagePositionPatient": [X0 + 5, Y0, Z0 + 3 * DX]}}}, "stacked straight along z"),
    ({"over": {3: {"ImagePositionPatient": [X0, Y0, Z0 + 2 * DX]}}}, "both at z = 105 mm"),
    ({"over": {3: {"ImagePositionPatient": [X0, Y0, Z0 + 3.4 * DX]}}}, "not uniform"),
])
def test_broken_series_are_refused(tmp_path, case, match):
    _refused(write_series(tmp_path / "s", **case), match)


def test_no_ct_one_slice_and_foreign_objects(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("hello")
    msg = _refused(empty, "holds no CT image")
    assert "files that are not DICOM: 1" in msg
    rt = write_series(tmp_path / "rt", skip=range(1, NZ), over={0: {"SOPClassUID": "1.2.840.10008.5.1.4.1.1.481.3"}})
    assert "SOP class 1.2.840.10008.5.1.4.1.1.481.3" in _refused(rt, "holds no CT image")
    _refused(write_series(tmp_path / "one", skip=range(1, NZ)), "only CT slice")
    _refused(tmp_path / "nowhere", "not found")


def test_corrupt_file_and_link_out_of_the_folder(tmp_path):
    folder = write_series(tmp_path / "s")
    victim = min(folder.glob("*.dcm"))
    data = victim.read_bytes()
    victim.write_bytes(data[:-100])                   # pixel data cut short
    _refused(folder, f"{victim.name}' (is a DICOM file pydicom cannot read|has pixel data that cannot be decoded)")
    victim.write_bytes(data[:400])                    # header cut short: pydicom reads what is there
    _refused(folder, f"{victim.name}' is a CT image without")
    other = write_series(tmp_path / "t")
    outside = tmp_path / "outside.dcm"
    outside.write_bytes(b"x")
    (other / "link.dcm").symlink_to(outside)
    _refused(other, "is a link to .* outside")


def test_two_series_in_one_folder(tmp_path):
    folder = write_series(tmp_path / "s")
    extra = ct_slice(phantom_hu()[:, :, 0], Z0, 0, 1.0, -1024.0, SeriesInstanceUID="1.2.3.9")
    extra.save_as(folder / "zz.dcm", enforce_file_format=True)
    _refused(folder, "different Series Instance UIDs")


@pytest.mark.parametrize("phantom,match", [
    ({"hu_to_density": [[0, 1.0]]}, r"phantom.hu_to_density: .* at least 2"),
    ({"hu_to_density": [[0, 1.0], [0, 2.0]]}, r"phantom.hu_to_density\[1\]\[0\]: 0 is not allowed: HU must increase"),
    ({"hu_to_density": [[-1000, 0.0], [0, 1.0]]}, r"phantom.hu_to_density\[0\]\[1\]: 0.0 is not allowed: g/cm3"),
    ({"hu_to_density": [[-1000, "a"], [0, 1.0]]}, r"phantom.hu_to_density\[0\]\[1\]"),
    ({"hu_materials": [[0, "water"], [-10, "lung"]]}, r"phantom.hu_materials\[1\]\[0\]: -10 is not allowed"),
    ({"hu_materials": [[0, "unobtainium"]]}, r"phantom.hu_materials\[0\]\[1\]"),
    ({"hu_materials": [[0, 3]]}, r"phantom.hu_materials\[0\]\[1\]: 3 is not allowed"),
    ({"body_threshold": -2000}, r"phantom.body_threshold"),
    ({"crop": [1, 2, 3]}, r"phantom.crop"),
])
def test_bad_ramp_keys_are_refused(base_config, phantom, match):
    base_config["phantom"] = {"type": "ct", "directory": "ct", **phantom}
    with pytest.raises(InputError, match=match):
        validate(base_config)


def test_ramp_cross_checks_and_out_of_range_hu(series, tmp_path):
    with pytest.raises(InputError, match=r"phantom.hu_materials: the last upper bound 3000 HU .* <= the last point"):
        build({"type": "ct", "directory": str(series), "hu_materials": [[3000, "water"]]})
    with pytest.raises(InputError, match=r"phantom.hu_materials: \d+ voxels inside the body have HU above the last "
                                         r"upper bound 1000 \(highest 1200 HU"):
        build({"type": "ct", "directory": str(series), "hu_materials": [[-900, "air"], [1000, "water"]]})
    with pytest.raises(InputError, match="phantom.body_threshold: 2000 HU .* no voxel"):
        build({"type": "ct", "directory": str(series), "body_threshold": 1000.0 * 2})


def test_user_ramp(series):
    """A two-point ramp and two materials: densities linear in HU, bins by upper bound."""
    geo = build({"type": "ct", "directory": str(series), "hu_to_density": [[-1000, 0.001], [1500, 2.5]],
                 "hu_materials": [[-500, "lung"], [100, "water"], [1500, "cortical_bone"]]})
    lat = geo.cells[geo.lattice_cell].lattice
    hu = phantom_hu()
    names = np.array(lat.materials)[lat.material]
    body = np.isin(hu, (0, 1200, -750))
    assert np.all(names[hu == 0] == "water") and np.all(names[hu == -750] == "lung")
    assert np.all(names[hu == 1200] == "cortical_bone") and np.all(names[~body] == "air")
    assert np.allclose(lat.density[body], 0.001 + (hu[body] + 1000) * 2.499 / 2500, rtol=1e-12, atol=0)


# ---- crop and resample ------------------------------------------------------------------------------

def test_crop_keeps_voxel_centres_in_the_box(series):
    geo = build({"type": "ct", "directory": str(series), "crop": [-1.0, 2.0, -3.1, 3.1, 10.5, 11.5]})
    lat = geo.cells[geo.lattice_cell].lattice
    x, y, z = (c / 10 for c in centres())
    ix, iy, iz = ((c >= lo) & (c <= hi) for c, lo, hi in ((x, -1.0, 2.0), (y, -3.1, 3.1), (z, 10.5, 11.5)))
    assert lat.material.shape == (ix.sum(), iy.sum(), iz.sum()) == (12, 24, 5)
    assert np.isclose(lat.x_edges[0], x[ix][0] - 0.125) and np.isclose(lat.z_edges[-1], z[iz][-1] + 0.125)
    _, rho = expected(phantom_hu())
    assert np.allclose(lat.density, rho[np.ix_(ix, iy, iz)], rtol=1e-12, atol=0)
    with pytest.raises(InputError, match="phantom.crop: x from 20 to 30 cm holds no voxel centre"):
        build({"type": "ct", "directory": str(series), "crop": [20, 30, -1, 1, 10, 11]})


def test_resampling_is_the_volume_weighted_mean(tmp_path):
    """HU varying along x only (no body mask in the way: all above the threshold): 0.75 cm voxels over 0.25 cm ones
    are the mean of three; 0.6 cm voxels (not a multiple) weigh the overlaps 0.25, 0.25, 0.1 / 0.15, 0.25, 0.2..."""
    hu = np.repeat(np.repeat((4.0 * np.arange(N) - 60.0)[:, None], N, axis=1)[:, :, None], NZ, axis=2)
    folder = write_series(tmp_path / "ramp", hu=hu)
    fine = read_series(folder)
    from mcdose.ct_volume import resample
    image, _ = resample(fine, (0.75, 0.25, 0.25))
    # 32 voxels of 0.25 cm = 8 cm: 10 whole voxels of 0.75 cm, centred: 0.25 cm left out at each end
    assert image.hu.shape == (10, N, NZ)
    assert np.isclose(image.x_edges[0], fine.x_edges[0] + 0.25)
    want = np.array([hu[1 + 3 * j:4 + 3 * j, 0, 0].mean() for j in range(10)])
    assert np.allclose(image.hu[:, 5, 7], want, rtol=0, atol=1e-9)
    image, _ = resample(fine, (0.6, 0.25, 0.25))
    assert image.hu.shape[0] == 13 and np.isclose(image.x_edges[0], fine.x_edges[0] + 0.1)
    # first 0.6 cm voxel: [e0 + 0.1, e0 + 0.7) over fine voxels 0 (0.15 cm), 1 (0.25), 2 (0.2)
    first = (0.15 * hu[0, 0, 0] + 0.25 * hu[1, 0, 0] + 0.2 * hu[2, 0, 0]) / 0.6
    assert np.isclose(image.hu[0, 0, 0], first, rtol=0, atol=1e-9)
    geo = build({"type": "ct", "directory": str(folder), "voxel_size": [0.75, 0.5, 0.5],
                 "hu_to_density": [[-1000, 0.001], [2000, 3.001]], "hu_materials": [[2000, "water"]],
                 "body_threshold": -100.0})
    lat = geo.cells[geo.lattice_cell].lattice
    assert lat.material.shape == (10, 16, 6)
    assert np.allclose(lat.density[:, 3, 2], 0.001 + (want + 1000) / 1000, rtol=1e-12, atol=0)
    with pytest.raises(InputError, match=r"phantom.voxel_size\[2\]: 5 cm .* larger than the CT's extent along z"):
        build({"type": "ct", "directory": str(folder), "voxel_size": [0.5, 0.5, 5.0]})


# ---- transport and export ---------------------------------------------------------------------------

def _config(directory, phantom=None):
    return {
        "run": {"histories": 2000, "batches": 2, "seed": 11},
        "source": {"type": "beam", "particle": "electron", "energy": 6.0, "shape": "circle", "radius": 1.0,
                   "z": 9.5},
        "phantom": phantom or {"type": "ct", "directory": str(directory), "world": "air", "world_margin": 1.0},
        "scoring": {"mesh": "cartesian", "x_edges": {"min": -1.5, "max": 1.5, "step": 0.25},   # CT voxel edges
                    "y_edges": {"min": -1.5, "max": 1.5, "step": 0.25},
                    "z_edges": {"min": 9.875, "max": 12.875, "step": 0.25}},
    }


def test_water_cylinder_ct_equals_the_voxels_phantom_bit_for_bit(tmp_path):
    """The same ids, densities and edges given as a `voxels` HDF5 phantom give the same dose, bit for bit: the CT
    path adds nothing to the transport."""
    import h5py

    from mcdose import run
    folder = write_series(tmp_path / "water", hu=phantom_hu(with_inserts=False))
    ct_geo = build({"type": "ct", "directory": str(folder)})
    lat = ct_geo.cells[ct_geo.lattice_cell].lattice
    with h5py.File(tmp_path / "vox.h5", "w") as f:
        f["material"], f["density"] = lat.material, lat.density
        f["x_edges"], f["y_edges"], f["z_edges"] = lat.x_edges, lat.y_edges, lat.z_edges
        f.attrs["materials"] = ", ".join(lat.materials)
    ct = run(_config(folder))
    vox = run(_config(None, {"type": "voxels", "file": str(tmp_path / "vox.h5"), "world": "air",
                             "world_margin": 1.0}))
    assert np.isfinite(ct.dose).all() and ct.dose.max() > 0
    assert np.array_equal(ct.dose, vox.dose) and np.array_equal(ct.uncertainty, vox.uncertainty)
    assert ct.metadata["ct_frame_of_reference_uid"] == FRAME and "ct_frame_of_reference_uid" not in vox.metadata


def test_rtdose_of_a_ct_run_carries_the_ct_frame_and_lies_on_its_grid(series, tmp_path):
    from mcdose import run
    from mcdose.export_rtdose import write_rtdose
    from mcdose.results import load
    out = tmp_path / "out.h5"
    run(_config(series), output=out)
    res = load(out)
    assert res.metadata["ct_study_instance_uid"] == STUDY and res.metadata["ct_patient_id"] == "PH-001"
    assert np.isfinite(res.dose).all() and res.dose.max() > 0
    write_rtdose(res, tmp_path / "dose.dcm", particles=1.0)
    ds = pydicom.dcmread(tmp_path / "dose.dcm")
    assert ds.FrameOfReferenceUID == FRAME and ds.StudyInstanceUID == STUDY
    assert ds.PatientID == "PH-001" and str(ds.PatientName) == "Phantom^Water"
    # the RT Dose voxel centres (mm) are CT voxel centres: the mesh was laid on the CT's voxel edges
    ipp = [float(v) for v in ds.ImagePositionPatient]
    dy, dx = (float(v) for v in ds.PixelSpacing)
    dose_mm = (ipp[0] + dx * np.arange(ds.Columns), ipp[1] + dy * np.arange(ds.Rows),
               ipp[2] + np.array([float(v) for v in ds.GridFrameOffsetVector]))
    for got, ct in zip(dose_mm, centres()):
        assert np.all(np.min(np.abs(got[:, None] - ct[None, :]), axis=1) < 1e-6) and np.allclose(np.diff(got), DX)
    assert np.allclose(dose_mm[2], centres()[2])
    write_rtdose(res, tmp_path / "other.dcm", particles=1.0, frame_of_reference_uid="1.2.3", patient_id="X")
    ds = pydicom.dcmread(tmp_path / "other.dcm")
    assert ds.FrameOfReferenceUID == "1.2.3" and ds.PatientID == "X"


def test_geometry_figure_shows_the_ct_and_the_materials(series, tmp_path):
    from mcdose.plotting import plot_geometry
    spec = validate(_config(series))
    path = plot_geometry(spec, tmp_path / "geo.png")
    import matplotlib.image as mpimg
    height, width = mpimg.imread(path).shape[:2]
    assert height > 0.6 * width            # two rows of slices: the CT above its materials
