#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make deb: build/deb/bonding-slb-dkms_<version>_all.deb, the DKMS source of
# this tree (make dkms-src) with a postinst/prerm from dh_dkms, built by
# dpkg-buildpackage from the packaging files in tools/debian-pkg/ (copied to
# debian/ of a build tree under build/deb/; the repository has no debian/).
# The version is PACKAGE_VERSION of dkms.conf, which must match the module's
# BOND_SLB_VERSION ("<version>+slb").
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=$ROOT/build/deb
PKGS=(dpkg-dev debhelper dh-dkms make build-essential)

die() { echo "deb.sh: error: $*" >&2; exit 1; }

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
if ((${#missing[@]})); then
	echo "deb.sh: missing ${missing[*]}: running tools/deps.sh" >&2
	tools/deps.sh || die "tools/deps.sh failed"
fi

name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"$/\1/p' dkms.conf)
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
modver=$(sed -n 's/^#define BOND_SLB_VERSION[[:space:]]*"\(.*\)"$/\1/p' include/compat/bond_slb_compat.h)
[[ -n $name && -n $ver ]] || die "no PACKAGE_NAME/PACKAGE_VERSION in dkms.conf"
[[ $modver == "$ver+slb" ]] ||
	die "dkms.conf PACKAGE_VERSION $ver does not match BOND_SLB_VERSION $modver (want $ver+slb)"

work=$OUT/work
tree=$work/$name-$ver
rm -rf "$work"
mkdir -p "$tree"
make -s dkms-src DEST="$tree"
# the documentation goes to /usr/share/doc (debian/*.docs)
cp --parents Documentation/networking/*.rst "$tree/"
cp -r tools/debian-pkg "$tree/debian"

# one changelog entry, from the git state the package is built from
rev=$(git describe --always --dirty 2>/dev/null || echo unknown)
when=$(git log -1 --format=%ct 2>/dev/null || date +%s)
maint=$(sed -n 's/^Maintainer: //p' tools/debian-pkg/control)
cat >"$tree/debian/changelog" <<EOT
$name ($ver) bookworm; urgency=medium

  * Built from $name $rev.

 -- $maint  $(date -R -u -d "@$when")
EOT

if ! (cd "$tree" && SOURCE_DATE_EPOCH=$when dpkg-buildpackage -b -us -uc) \
		>"$OUT/build.log" 2>&1; then
	tail -30 "$OUT/build.log" >&2
	die "dpkg-buildpackage failed (log: $OUT/build.log)"
fi
deb=${name}-dkms_${ver}_all.deb
[[ -e $work/$deb ]] || die "dpkg-buildpackage made no $deb (log: $OUT/build.log)"
rm -f "$OUT"/*.deb "$OUT"/*.changes "$OUT"/*.buildinfo
mv "$work/$deb" "$work"/*.changes "$work"/*.buildinfo "$OUT/"
rm -rf "$work"
echo "built $OUT/$deb"
