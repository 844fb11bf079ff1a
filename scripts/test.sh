#!/usr/bin/env bash
# The test suite, from a fresh Debian machine with Rust (what CI runs): installs the system
# packages facesym needs (only those missing), then builds and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
exec cargo test --all-targets "$@"
