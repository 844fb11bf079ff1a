#!/usr/bin/env bash
# System packages facesym needs on Debian 12 beyond Rust and a C compiler. Safe to re-run.
# ffmpeg: decodes video files (facesym runs the program; tests also encode clips with it).
# The camera (libclang-dev for nokhwa's bindgen) and window (X11/GL) libraries join this list
# when those parts land.
set -euo pipefail

packages=(ffmpeg)

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
