#!/usr/bin/env bash
# Installs the few system libraries interviewer needs; Python packages come from pip.
#   runtime: PortAudio (microphone/speaker), espeak-ng (fallback voice)
#   --test:  + PulseAudio and its ALSA plugin (the virtual microphone the audio tests use), sox,
#            chromium and chromium-driver (the HTML report's browser tests)
# Debian/Ubuntu: apt-get (as root, or through sudo). macOS: Homebrew. Already-present packages
# are skipped, so re-running is quick and needs no network.
set -euo pipefail

want=(libportaudio2 espeak-ng)
[[ "${1:-}" == "--test" ]] && want+=(pulseaudio pulseaudio-utils libasound2-plugins sox chromium chromium-driver)

if command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && exit 0
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "installing system packages: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
elif command -v brew >/dev/null 2>&1; then
  for p in portaudio espeak-ng; do brew list "$p" >/dev/null 2>&1 || brew install "$p"; done
else
  echo "warning: no apt-get or brew; install PortAudio and espeak-ng yourself" >&2
fi
