#!/usr/bin/env bash
# System packages facesym needs on Debian 12 beyond Rust and a C compiler. Safe to re-run.
# Today the landmark engine needs none; this is where the camera (libclang-dev for nokhwa's
# bindgen) and window (X11/GL) libraries are installed when those parts land.
set -euo pipefail

packages=()

missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update
    $sudo_cmd apt-get install -y --no-install-recommends "${missing[@]}"
fi
