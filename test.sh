#!/usr/bin/env bash
# Runs every test of the solution (what CI runs): ./test.sh
set -euo pipefail
root=$(cd "$(dirname "$0")" && pwd)
bash "$root/scripts/setup.sh"
cd "$root"
dotnet test Automodulator.sln -c Release -nologo "$@"
