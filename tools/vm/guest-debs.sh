#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Debian packages for the test guest that the host need not have installed:
# download the host release's version of each (apt-get download, nothing
# installed), unpack them into one tree under $SLB_CACHE/guest-debs/ and
# print its path, for run.sh --extra-tree.  Reused while the versions stay.
#
#   guest-debs.sh PKG...      e.g. ifupdown ifenslave (selftest 88)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${SLB_CACHE:-$ROOT/.cache}
die() { echo "guest-debs.sh: error: $*" >&2; exit 1; }
(($#)) || die "usage: guest-debs.sh PKG..."

want=()
for p in "$@"; do
	v=$(apt-cache show "$p" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -1)
	[[ -n $v ]] || die "package $p is not in the apt index (run 'apt-get update')"
	want+=("$p=$v")
done
dir=$CACHE/guest-debs/$(printf '%s\n' "${want[@]}" | md5sum | cut -c1-12)
if [[ ! -e $dir/.done ]]; then
	rm -rf "$dir" "$dir.dl"
	mkdir -p "$dir" "$dir.dl"
	(cd "$dir.dl" && apt-get -q -o APT::Sandbox::User=root download "${want[@]}" >&2) ||
		die "apt-get download ${want[*]} failed"
	for d in "$dir.dl"/*.deb; do dpkg-deb -x "$d" "$dir"; done
	rm -rf "$dir.dl"
	printf '%s\n' "${want[@]}" >"$dir/.done"
fi
echo "$dir"
