"""The wheel is a real, complete package: sub-packages mapped from kernels/ and phantoms/, data files inside;
installed from it (not editable), the README's commands work from the repository root."""
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    # build from a clean copy: a stale build/ folder in the work tree must not leak into the check
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", "build", "*.egg-info", ".git",
                                                             "__pycache__", ".pytest_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp / "dist"), str(src)], check=True, capture_output=True)
    return next((tmp / "dist").glob("mcdose-*.whl"))


def test_wheel_contains_subpackages_and_data(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "mcdose/kernels/__init__.py" in names
    assert "mcdose/kernels/rng.py" in names
    assert "mcdose/phantoms/__init__.py" in names
    assert "mcdose/physics/material_tables.py" in names
    assert "mcdose/physics/data/epdl97_subset.npz" in names      # the EPDL97 subset, package data
    # every folder of the source tree that is a package is in the wheel
    for folder in ("mcdose", "kernels", "phantoms"):
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.relative_to(ROOT / folder).as_posix()
            prefix = {"mcdose": "mcdose/", "kernels": "mcdose/kernels/", "phantoms": "mcdose/phantoms/"}[folder]
            assert prefix + rel in names, f"{prefix + rel} missing from the wheel"
    for example in (ROOT / "examples").glob("*.toml"):
        assert f"mcdose/examples/{example.name}" in names
    # the benchmark references (mcdose bench reads them with importlib.resources): every file, one copy
    reference = sorted(p.name for p in (ROOT / "benchmarks" / "reference").iterdir() if p.suffix in (".csv", ".md"))
    assert {"E6.csv", "E9.csv", "APP9.csv", "X50.csv", "nist_reference.csv", "nist_extended.csv"} <= set(reference)
    for name in reference + ["__init__.py"]:
        assert f"mcdose/reference/{name}" in names, f"mcdose/reference/{name} missing from the wheel"
    assert not any(n.startswith("benchmarks/") for n in names)
    assert not any(n.startswith(("kernels/", "phantoms/", "tests/")) for n in names)
    assert any(n.endswith("entry_points.txt") for n in names)


def _run(python, code, cwd):
    """``python -c code`` (or ``python -m module`` for code "-m module") in cwd; its stdout."""
    args = code.split() if code.startswith("-m ") else ["-c", code]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([str(python), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"python {' '.join(args)} in {cwd} failed:\n{done.stderr}"
    return done.stdout


def test_readme_commands_from_the_repository_root_after_a_wheel_install(wheel, tmp_path):
    """From the repository root the source folder mcdose/ shadows the installed package; its sub-packages
    kernels, phantoms and examples must come from the top-level folders, each module once."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(_run(python, "import sysconfig; print(sysconfig.get_path('purelib'))", tmp_path).strip())
    # the dependencies (and pip) from this environment, whose .pth files (an editable mcdose) stay inactive
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--ignore-installed",
                    str(wheel)], check=True, capture_output=True)
    where = "import sys, mcdose.kernels.rng, mcdose.phantoms, mcdose.examples, mcdose.reference; m = sys.modules; " \
            "print(m['mcdose'].__file__, m['mcdose.kernels.rng'].__file__, m['mcdose.phantoms'].__file__, " \
            "list(m['mcdose.examples'].__path__)[0], m['mcdose.reference'].__file__, 'kernels' in m)"
    assert _run(python, where, tmp_path).split() == [str(site / "mcdose" / "__init__.py"),
                                                     str(site / "mcdose" / "kernels" / "rng.py"),
                                                     str(site / "mcdose" / "phantoms" / "__init__.py"),
                                                     str(site / "mcdose" / "examples"),
                                                     str(site / "mcdose" / "reference" / "__init__.py"), "False"]
    assert _run(python, where, ROOT).split() == [str(ROOT / "mcdose" / "__init__.py"), str(ROOT / "kernels" / "rng.py"),
                                                 str(ROOT / "phantoms" / "__init__.py"), str(ROOT / "examples"),
                                                 str(ROOT / "benchmarks" / "reference" / "__init__.py"), "False"]
    # the installed wheel alone reads the EGSnrc and NIST references and runs a bench case without transport
    loads = "from mcdose.bench import egsnrc_electrons, nist; print(egsnrc_electrons.reference('APP9').histories, " \
            "len(nist.load('nist_extended.csv')))"
    assert _run(python, loads, tmp_path).split() == ["3400000", "706"]
    assert "8 PASS, 0 FAIL" in _run(python, "-m mcdose.cli bench --cases nist", tmp_path)
    assert "water_box" in _run(python, "-m mcdose.phantoms", ROOT)
    readme = (ROOT / "README.md").read_text()
    example = re.search(r"## Python\n\n```python\n(.+?)```", readme, re.S).group(1)
    small = example.replace("histories=100_000", "histories=1_000").replace('"dose.h5"', repr(str(tmp_path / "dose.h5")))
    assert small.count("histories=1_000") == 1 and small.count("dose.h5") == 2, "the README's Python example changed"
    _run(python, small + "assert again.metadata['histories'] == 1_000 and again.dose.shape == result.dose.shape", ROOT)
