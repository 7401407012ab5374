"""The wheel is a real, complete package: sub-packages mapped from kernels/ and phantoms/, data files inside."""
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_contains_subpackages_and_data(tmp_path):
    # build from a clean copy: a stale build/ folder in the work tree must not leak into the check
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", "build", "*.egg-info", ".git",
                                                             "__pycache__", ".pytest_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(src)], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("mcdose-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "mcdose/kernels/__init__.py" in names
    assert "mcdose/kernels/rng.py" in names
    assert "mcdose/phantoms/__init__.py" in names
    assert "mcdose/physics/material_tables.py" in names
    # every folder of the source tree that is a package is in the wheel
    for folder in ("mcdose", "kernels", "phantoms"):
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.relative_to(ROOT / folder).as_posix()
            prefix = {"mcdose": "mcdose/", "kernels": "mcdose/kernels/", "phantoms": "mcdose/phantoms/"}[folder]
            assert prefix + rel in names, f"{prefix + rel} missing from the wheel"
    for example in (ROOT / "examples").glob("*.toml"):
        assert f"mcdose/examples/{example.name}" in names
    assert not any(n.startswith(("kernels/", "phantoms/", "tests/")) for n in names)
    assert any(n.endswith("entry_points.txt") for n in names)
