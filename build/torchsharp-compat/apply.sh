#!/usr/bin/env bash
# Makes TorchSharp 0.107's native wrapper load on systems whose libstdc++ predates GCC 13 (Debian 12, Ubuntu 22.04).
# Called by the build (TorchSharpCompat.targets) on a build output folder; never touches the NuGet cache.
# On a system whose libstdc++ already has GLIBCXX_3.4.32 it does nothing at all.
set -euo pipefail
out_dir=${1:?usage: apply.sh OUTPUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
need=GLIBCXX_3.4.32

[ "$(uname -s)" = Linux ] || exit 0
lib=$(find "$out_dir" -name libLibTorchSharp.so -path '*linux-x64*' -print -quit 2>/dev/null || true)
[ -n "$lib" ] || lib=$(find "$out_dir" -maxdepth 1 -name libLibTorchSharp.so -print -quit)
[ -n "$lib" ] || exit 0

# TORCHSHARP_COMPAT_LIBSTDCXX names the libstdc++ to check (tests use it to stand in for another distro).
stdcxx=${TORCHSHARP_COMPAT_LIBSTDCXX:-}
[ -n "$stdcxx" ] || stdcxx=$( (ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}') || true)
[ -n "$stdcxx" ] || stdcxx=$(ls /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6 2>/dev/null | head -n1 || true)
if [ -n "$stdcxx" ] && grep -qa "$need" "$stdcxx"; then
  exit 0   # a new enough libstdc++: no patching at all
fi

cxx=${CXX:-c++}
command -v "$cxx" >/dev/null || { echo "error: TorchSharp needs $need, which this libstdc++ lacks; install a C++ compiler (Debian: apt-get install g++) so the build can add the compatibility shim" >&2; exit 1; }

native=$(dirname "$lib")
tools="$here/obj"
mkdir -p "$tools"
if [ ! -x "$tools/weaken_version_need" ] || [ "$here/weaken_version_need.cpp" -nt "$tools/weaken_version_need" ]; then
  "$cxx" -O2 -o "$tools/weaken_version_need.tmp.$$" "$here/weaken_version_need.cpp" && mv "$tools/weaken_version_need.tmp.$$" "$tools/weaken_version_need"
fi
if [ ! -f "$tools/libstdcxx_compat.so" ] || [ "$here/ios_base_library_init.cpp" -nt "$tools/libstdcxx_compat.so" ]; then
  "$cxx" -O2 -shared -fPIC -o "$tools/libstdcxx_compat.so.tmp.$$" "$here/ios_base_library_init.cpp" && mv "$tools/libstdcxx_compat.so.tmp.$$" "$tools/libstdcxx_compat.so"
fi
cp -f "$tools/libstdcxx_compat.so" "$native/libstdcxx_compat.so"
rc=0; "$tools/weaken_version_need" "$lib" "$need" || rc=$?
case $rc in
  0|2) ;;  # patched (or did not need it)
  *) echo "error: could not patch $lib" >&2; exit 1 ;;
esac
