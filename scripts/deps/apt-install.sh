#!/usr/bin/env bash
# Installs the Debian packages named in the given list files (one a line, `#` comments) that are
# not installed yet, with --no-install-recommends: what the lists name is all a script may rely on.
# Waits up to 10 minutes for another apt or dpkg's lock rather than fail on it.
# Usage: bash scripts/deps/apt-install.sh LIST...   (a list may be <(printf '%s\n' PACKAGE...))
set -euo pipefail
missing=()
for list in "$@"; do
    while read -r p; do
        [ -n "$p" ] || continue
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    echo "apt: installing ${missing[*]}"
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
    $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
fi
