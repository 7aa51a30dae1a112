#!/usr/bin/env bash
# Runs one shell test in a fresh temporary directory that is removed afterwards.
set -euo pipefail
script=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$(mktemp -d "${TMPDIR:-/tmp}/unravel-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export LC_ALL=C
bash "$script"
