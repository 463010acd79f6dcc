#!/usr/bin/env bash
# Installs the Debian packages glint builds and tests with (skips what is present).
set -euo pipefail
PKGS=(cmake g++ make pkg-config git libgtest-dev libgmock-dev libbenchmark-dev libfmt-dev
      libopenblas-dev libomp-dev libvulkan-dev glslang-tools mesa-vulkan-drivers vulkan-validationlayers
      libpcre2-dev nlohmann-json3-dev clang libclang-rt-14-dev ccache qemu-user)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
