"""Builds the bioptimus_cpp Python package with CMake.

    python3 -m venv --system-site-packages venv && . venv/bin/activate
    pip install --no-build-isolation .

--no-build-isolation uses the setuptools, wheel and pybind11 already
installed (Debian's python3-setuptools, python3-wheel, pybind11-dev), so
nothing is downloaded. CMake builds the library and the extension in Release
with this interpreter; BIOPTIMUS_WITH_WSI=OFF in the environment leaves out
the slide layers (and their OpenSlide, OpenCV and HDF5 dependencies).
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


def project_version():
    text = (ROOT / "CMakeLists.txt").read_text()
    return re.search(r"project\(\s*bioptimus\s+VERSION\s+([0-9.]+)", text).group(1)


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = Path(self.build_temp).resolve() / "cmake"
        generator = ["-G", "Ninja"] if shutil.which("ninja") else []
        with_wsi = os.environ.get("BIOPTIMUS_WITH_WSI", "ON")
        subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build_dir), *generator, "-DCMAKE_BUILD_TYPE=Release",
                        f"-DPython_EXECUTABLE={sys.executable}", "-DBIOPTIMUS_BUILD_PYTHON=ON",
                        # Static libraries, so that the one extension file is the whole package.
                        "-DBUILD_SHARED_LIBS=OFF",
                        f"-DBIOPTIMUS_WITH_WSI={with_wsi}", "-DBIOPTIMUS_BUILD_TESTS=OFF",
                        "-DBIOPTIMUS_BUILD_TOOLS=OFF", "-DBIOPTIMUS_BUILD_EXAMPLES=OFF", "-DBIOPTIMUS_INSTALL=OFF"],
                       check=True)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "bioptimus_python", "--parallel",
                        str(os.cpu_count() or 1)], check=True)
        built = list((build_dir / "python" / "bioptimus_cpp").glob("_core*.so"))
        if len(built) != 1:
            raise RuntimeError(f"expected one bioptimus_cpp/_core*.so in {build_dir}, found {built}")
        destination = Path(self.get_ext_fullpath(ext.name))
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], destination)


setup(
    version=project_version(),
    packages=["bioptimus_cpp"],
    package_dir={"": "python"},
    package_data={"bioptimus_cpp": ["__init__.pyi", "py.typed"]},
    ext_modules=[CMakeExtension("bioptimus_cpp._core")],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
)
