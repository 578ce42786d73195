#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install what building and testing need, on Debian 12 or 13: only what is
# missing, so a second run is fast and changes nothing.
#
#   deps.sh          what make check needs
#   deps.sh debug    and what building the debug kernel needs (check-debug)
set -euo pipefail

# shellcheck disable=SC1091
CODENAME=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
PKGS=(make gcc libc6-dev patch xz-utils cpio gzip kmod dwarves
      zlib1g apt-utils debootstrap	# a root for another release's kernels
      qemu-system-x86 busybox-static bash iproute2 ethtool tcpdump
      iputils-ping procps sparse perl zstd binutils gnuplot-nox
      dpkg-dev pkgconf libmnl-dev	# make iproute2
      debhelper dh-dkms build-essential	# make deb
      clang			# fuzzing (libFuzzer)
      jq)			# upstream bonding selftests, in the VM
# what the kernels of the host's own release are built with, and the
# libraries their headers' tools link
case $CODENAME in
bookworm) PKGS+=(gcc-12 libelf1 libssl3 libclang-rt-14-dev) ;;
*) PKGS+=(gcc-14 libelf1t64 libssl3t64 libclang-rt-dev) ;;
esac
# make check-debug: a whole kernel
[[ ${1:-} != debug ]] || PKGS+=(flex bison bc libelf-dev libssl-dev)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done

SUDO=
[[ $(id -u) -eq 0 ]] || SUDO=sudo
# a freshly booted host's unattended-upgrades often holds the dpkg lock:
# wait for it (10 min) instead of failing at once
LOCK=(-o DPkg::Lock::Timeout=600)
# ... which install honours; update does not wait for the lists lock
apt_update() {
	local i out
	for ((i = 0; i < 120; i++)); do
		out=$($SUDO apt-get "${LOCK[@]}" update -q 2>&1) && return 0
		grep -q "Could not get lock" <<<"$out" || { echo "$out" >&2; return 1; }
		((i)) || echo "deps: apt's lists are locked (another apt, unattended-upgrades?): waiting up to 10 min" >&2
		sleep 5
	done
	echo "$out" >&2
	return 1
}
# the kernel packages are looked up in the index even when nothing is missing
if [[ -z ${SLB_NO_APT_UPDATE:-} ]]; then
	apt_update || { echo "deps: apt-get update failed" >&2; exit 1; }
fi
if ((${#missing[@]})); then
	echo "deps: installing ${missing[*]}"
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get "${LOCK[@]}" install -y -q \
		--no-install-recommends "${missing[@]}" >/dev/null ||
		{ echo "deps: apt-get install ${missing[*]} failed" >&2; exit 1; }
fi
