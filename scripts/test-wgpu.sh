#!/usr/bin/env bash
# The wgpu backend's test on Mesa's software Vulkan driver (lavapipe): installs the Debian package
# mesa-vulkan-drivers when no lavapipe ICD is present (needs root or sudo and apt), then runs
# crates/nn/tests/wgpu.rs with the `wgpu` feature. wgpu's Vulkan backend only: Burn's `vulkan`
# feature crashes in lavapipe, and without a Vulkan driver wgpu would fall back to GL.
set -euo pipefail
cd "$(dirname "$0")/.."
icd=$(ls /usr/share/vulkan/icd.d/lvp_icd.*.json 2>/dev/null | head -n 1 || true)
if [ -z "$icd" ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if ! command -v apt-get >/dev/null; then
    echo "scripts/test-wgpu.sh: no lavapipe driver and no apt-get to install mesa-vulkan-drivers" >&2
    exit 1
  fi
  echo "+ installing mesa-vulkan-drivers (lavapipe)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends mesa-vulkan-drivers libvulkan1
  icd=$(ls /usr/share/vulkan/icd.d/lvp_icd.*.json | head -n 1)
fi
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
export VK_ICD_FILENAMES="$icd" WGPU_BACKEND=vulkan MESA_SHADER_CACHE_DISABLE=true XDG_CACHE_HOME="$cache" XDG_RUNTIME_DIR="$cache"
echo "+ cargo test --release -p momlab-nn --features wgpu --test wgpu  (driver $icd)"
cargo test --release -p momlab-nn --features wgpu --test wgpu -- --nocapture
