#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs, only those missing.
set -euo pipefail
packages=(cmake ninja-build g++ clang libclang-rt-14-dev pkg-config libyaml-cpp-dev libyaml-dev libfmt-dev catch2 libcli11-dev
          nlohmann-json3-dev libbenchmark-dev libopenslide-dev libtiff-dev zlib1g-dev libtorch-dev libhdf5-dev libzip-dev
          libhwy-dev libpng-dev libopencv-dev python3-pil python3-numpy python3-torch python3-torchvision python3-h5py
          python3-openslide python3-yaml hyperfine
          # The native ViT engine (src/engine): oneDNN, and OpenMP for clang builds (g++ brings libgomp).
          libdnnl-dev libomp-dev
          # scikit-image 0.19: the HED colour space's reference in the stain tests.
          python3-skimage
          # The fast BLAS behind LibTorch's fp32 products (the OpenMP build, as LibTorch's own threads): it
          # takes over libblas.so.3 from the reference BLAS through update-alternatives (docs/inference.md).
          libopenblas0-openmp
          # modelspec serve and extract --endpoint (HTTP), and bench/bench-serve.sh's load
          # generator and Python peer server.
          libcpp-httplib-dev wrk python3-fastapi python3-uvicorn curl
          # The Zarr writer (libblosc) and the reader its tests and benchmark compare with.
          libblosc-dev python3-zarr
          # tests/adversarial: the system calls of a write (O_EXCL, fsync, rename).
          strace
          # The Python module (python/) and its tests.
          python3-dev pybind11-dev python3-pybind11 python3-pytest python3-venv python3-setuptools python3-wheel
          # The cohort workflow (workflows/cohort) and its one-node Slurm test.
          # Debian's slurmd/slurmctld/munge packages may start their services
          # when installed; the test uses none of them and starts its own.
          snakemake slurm-wlm munge)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]} > 0)); then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
