#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian/Ubuntu machine, and nothing that is already there.
# Called by ./automod and ./test.sh; safe to run again. Add a package to DEBIAN_PACKAGES with a comment saying why.
set -euo pipefail

DEBIAN_PACKAGES=(
  g++   # compiles the libstdc++ compatibility shim for TorchSharp on Debian 12 (build/torchsharp-compat)
  libdlib-data  # dlib's 68-point landmark model (/usr/share/dlib/shape_predictor_68_face_landmarks.dat) for `automod align` and the face tests
  opencv-data   # OpenCV's Haar face cascade (/usr/share/opencv4/haarcascades/haarcascade_frontalface_alt2.xml), the face detector's weights
  liblmdb0      # LMDB for reading LSUN databases (LightningDB's bundled liblmdb needs glibc 2.38; see LmdbNative)
)

command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK is not installed (https://dot.net)." >&2; exit 1; }

missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
  echo "error: missing Debian packages: ${missing[*]}. Install them (apt-get install ${missing[*]}) and run again." >&2; exit 1
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null || true
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
