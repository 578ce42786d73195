#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# DKMS on this host, for make check: install dkms and the headers of the
# newest Debian 6.1 and 6.12 kernels (and their images: the 6.12 headers
# depend on theirs, and after an uninstall modinfo must find Debian's own
# bonding.ko again), then dkms add/build/install this tree for both, check
# with modinfo that our module is the one found, dkms remove, and check that
# Debian's is found again.  Prints "ok - ..." / "not ok - ..." lines; needs
# root.  Leaves the packages installed, nothing of ours.
#
# Environment: SLB_SERIES (default "6.1 6.12").
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
T=$ROOT/build/test-dkms
rm -rf "$T"
mkdir -p "$T"
rc=0
ok() { echo "ok - dkms: $*"; }
nok() { echo "not ok - dkms: $*"; rc=1; }
logtail() { [[ -e $1 ]] && tail -n "${2:-15}" "$1" | sed 's/^/# /'; }

NAME=$(sed -n 's/^PACKAGE_NAME="\(.*\)"$/\1/p' dkms.conf)
VER=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
MODVER=$(sed -n 's/^#define BOND_SLB_VERSION[[:space:]]*"\(.*\)"$/\1/p' include/compat/bond_slb_compat.h)
SRC=/usr/src/$NAME-$VER
if [[ -z $NAME || -z $VER || -z $MODVER ]]; then
	nok "cannot read PACKAGE_NAME/PACKAGE_VERSION (dkms.conf) or BOND_SLB_VERSION"
	exit 1
fi

releases=()
for s in ${SLB_SERIES:-6.1 6.12}; do
	if r=$(tools/kernel.sh latest "$s" 2>"$T/latest.log"); then
		releases+=("$r")
	else
		logtail "$T/latest.log"
		nok "find the newest $s kernel"
	fi
done
((${#releases[@]})) || exit 1

# --- packages ----------------------------------------------------------------
# The signed image of a new kernel can reach the archive a day after the
# unsigned one and the headers: then the unsigned one (same modules).
image_pkg() {
	local p
	for p in "linux-image-$1" "linux-image-$1-unsigned"; do
		# grep >/dev/null, not -q: with pipefail, apt-cache's SIGPIPE fails it
		if dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep "ok installed" >/dev/null ||
		   apt-cache policy "$p" 2>/dev/null | grep 'Candidate: [0-9]' >/dev/null; then
			echo "$p"
			return
		fi
	done
	echo "linux-image-$1"
}
pkgs=(dkms)
for r in "${releases[@]}"; do pkgs+=("linux-headers-$r" "$(image_pkg "$r")"); done
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
if ((${#missing[@]} == 0)); then
	ok "dkms and the kernel headers and images are installed"
elif DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-o DPkg::Lock::Timeout=600 "${missing[@]}" >"$T/apt.log" 2>&1; then
	ok "installed ${missing[*]}"
else
	logtail "$T/apt.log"
	nok "apt-get install ${missing[*]}"
	exit 1
fi

# --- add, build, install ---------------------------------------------------------
if owner=$(dpkg-query -S "$SRC" 2>/dev/null); then
	nok "$SRC belongs to package ${owner%%:*}: remove it before this test"
	exit 1
fi
# leftovers of an interrupted run
if [[ -n $(dkms status -m "$NAME" -v "$VER" 2>/dev/null) ]]; then
	dkms remove -m "$NAME" -v "$VER" --all >"$T/pre-remove.log" 2>&1
fi
rm -rf "$SRC"
if ! make -s dkms-src DEST="$SRC" >"$T/src.log" 2>&1; then
	logtail "$T/src.log"
	nok "make dkms-src DEST=$SRC"
	exit 1
fi
if dkms add -m "$NAME" -v "$VER" >"$T/add.log" 2>&1; then
	ok "dkms add $NAME/$VER"
else
	logtail "$T/add.log"
	nok "dkms add $NAME/$VER"
	rm -rf "$SRC"
	exit 1
fi

built=()
for r in "${releases[@]}"; do
	t0=$SECONDS
	if dkms build -m "$NAME" -v "$VER" -k "$r" >"$T/build-$r.log" 2>&1; then
		ok "dkms build for $r ($((SECONDS - t0)) s)"
	else
		logtail "$T/build-$r.log" 5
		logtail "/var/lib/dkms/$NAME/$VER/build/make.log" 20
		nok "dkms build for $r"
		continue
	fi
	# where the bonding sources came from (download, linux-source, cache)
	grep -h '^kernel.sh: ' "/var/lib/dkms/$NAME/$VER/$r"/*/log/make.log 2>/dev/null |
		sed 's/^/# /'
	if dkms install -m "$NAME" -v "$VER" -k "$r" >"$T/install-$r.log" 2>&1; then
		ok "dkms install for $r"
	else
		logtail "$T/install-$r.log"
		nok "dkms install for $r"
		continue
	fi
	built+=("$r")
	f=$(modinfo -k "$r" -F filename bonding 2>&1)
	v=$(modinfo -k "$r" -F version bonding 2>&1)
	if [[ $f == "/lib/modules/$r/updates/dkms/bonding.ko"* && $v == "$MODVER" ]]; then
		ok "modinfo -k $r bonding: $f, version $v"
	else
		nok "modinfo -k $r bonding: '$f' version '$v', want updates/dkms/bonding.ko version $MODVER"
	fi
done
if [[ -e /var/cache/bonding-slb/src ]] && ls /var/cache/bonding-slb/src/*/.done >/dev/null 2>&1; then
	ok "bonding sources kept in /var/cache/bonding-slb for rebuilds"
else
	nok "no bonding sources in /var/cache/bonding-slb/src"
fi

# --- remove ----------------------------------------------------------------------
if dkms remove -m "$NAME" -v "$VER" --all >"$T/remove.log" 2>&1 &&
   [[ -z $(dkms status -m "$NAME" -v "$VER" 2>/dev/null) ]]; then
	ok "dkms remove $NAME/$VER --all"
else
	logtail "$T/remove.log"
	nok "dkms remove $NAME/$VER --all"
fi
for r in "${built[@]}"; do
	f=$(modinfo -k "$r" -F filename bonding 2>&1)
	v=$(modinfo -k "$r" -F version bonding 2>&1)
	if [[ $f == "/lib/modules/$r/kernel/drivers/net/bonding/bonding.ko"* && $v != "$MODVER" ]] &&
	   ! ls "/lib/modules/$r/updates/dkms/bonding.ko"* >/dev/null 2>&1; then
		ok "after remove, modinfo -k $r bonding: Debian's $f"
	else
		nok "after remove, modinfo -k $r bonding: '$f' version '$v', want Debian's kernel/drivers/net/bonding/bonding.ko"
	fi
done
rm -rf "$SRC"
exit $rc
