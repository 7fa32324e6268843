"""Builds the wheel offline and checks its metadata (pyproject.toml's [project])."""

import email.parser
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
# PEP 639 license expressions need setuptools 77; its wheel building needs no `wheel` package.
SETUPTOOLS_FLOOR = (77,)


def setuptools_version():
    try:
        import setuptools
    except ImportError:
        return None
    return tuple(int(part) for part in setuptools.__version__.split(".")[:2] if part.isdigit())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    version = setuptools_version()
    if version is None or version < SETUPTOOLS_FLOOR:
        pytest.skip(f"building the wheel offline (no build isolation) needs setuptools>=77 in "
                    f"this environment, found {version or 'none'}: pip install -e '.[test]'")
    # A copy of the sources, so that the build's build/ and *.egg-info stay out of the tree.
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT / name, source / name)
    shutil.copytree(PROJECT / "cutter_container", source / "cutter_container",
                    ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp / "out"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "-q", "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, f"pip wheel failed:\n{build.stdout}\n{build.stderr}"
    wheels = list(out.glob("cutter_container-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_metadata(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = email.parser.Parser().parsestr(archive.read(metadata_name).decode())
        entry_points = archive.read(metadata_name.replace("METADATA", "entry_points.txt")).decode()
    assert metadata["Name"] == "cutter-container"
    assert metadata["Version"] == "0.1.0"
    assert metadata["Summary"].startswith("Python model-container SDK for Cutter")
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata["Author"] == "Cutter developers"
    assert metadata["Requires-Python"] == ">=3.9"
    urls = dict(url.split(", ", 1) for url in metadata.get_all("Project-URL"))
    assert set(urls) >= {"Homepage", "Source"}
    classifiers = metadata.get_all("Classifier")
    assert "Programming Language :: Python :: 3 :: Only" in classifiers
    assert "Topic :: Scientific/Engineering :: Artificial Intelligence" in classifiers
    requires = [r.replace(" ", "") for r in metadata.get_all("Requires-Dist")]
    assert "pyzmq>=22" in requires
    assert 'numpy>=1.21;extra=="numpy"' in requires
    assert not [r for r in requires if r.startswith("numpy") and "extra" not in r]  # optional
    assert set(metadata.get_all("Provides-Extra")) >= {"numpy", "test"}
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert "## Writing a model" in metadata.get_payload()  # the README is the description
    assert {"cutter_container/__init__.py", "cutter_container/formats.py",
            "cutter_container/runner.py"} <= set(names)
    assert "cutter-container = cutter_container.cli:main" in entry_points


def test_installed_pyzmq_meets_the_floor():
    import zmq
    assert tuple(int(p) for p in zmq.pyzmq_version().split(".")[:1]) >= (22,)
