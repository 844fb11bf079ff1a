#!/usr/bin/env bash
# The live mirror on the built-in demo face, from a fresh Debian machine with Rust: installs the
# system packages facesym needs (only those missing), then builds and opens the window.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
exec cargo run --release -- live --demo "$@"
