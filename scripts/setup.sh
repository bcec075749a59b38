#!/usr/bin/env bash
# Installs what Custos needs on a fresh Debian machine: the system packages
# (PKCS#11 and PC/SC stacks, the tools that check our files, Chromium for the
# UI tests) and the npm dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# libssl-dev and g++: npm ci builds native/md5-chain (OpenSSL's MD5 for the share-file
# key derivation) against the system libcrypto; without them it installs the slow path.
PACKAGES=(
  softhsm2 opensc pcscd vsmartcard-vpcd libpcsclite-dev pcsc-tools
  openssl libssl-dev gnutls-bin libengine-pkcs11-openssl openpace
  chromium fonts-dejavu-core
  poppler-utils
  python3 make g++ iproute2 util-linux
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# No Electron runtime is downloaded here: the core runs in Node, the UI tests in
# Debian's Chromium. Packaging (npm run dist) fetches Electron where it is allowed.
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
npm ci --no-audit --no-fund
