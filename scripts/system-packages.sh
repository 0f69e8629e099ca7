#!/usr/bin/env bash
# Install the Debian packages the LMS needs; without root, say which ones to install.
#   scripts/system-packages.sh          what `make run` needs (PDF fonts and tools, Graphviz for the
#                                       maps of call simulations; fonts-hanazono
#                                       prints the CJK extension characters Noto lacks)
#   scripts/system-packages.sh --test   plus Chromium for the browser tests
set -euo pipefail

packages=(fonts-noto-cjk fonts-hanazono libharfbuzz-subset0 poppler-utils libpango-1.0-0 libpangoft2-1.0-0 graphviz)
if [ "${1:-}" = "--test" ]; then
  packages+=(chromium)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Install these packages with your system's package manager: ${missing[*]}" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them as root, then run make again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
