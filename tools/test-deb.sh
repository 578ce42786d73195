#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package, for make check: make deb builds
# build/deb/bonding-slb-dkms_<version>_all.deb; its control data and file
# list are what an admin installing it needs (dpkg-deb -I / -c), its DKMS
# source is exactly `make dkms-src` (what tools/test-dkms.sh builds), and it
# carries no kernel sources.  Then, as root, `apt install ./<deb>` must have
# DKMS build and install our module for the Debian 6.1/6.12 kernels whose
# headers are installed (tools/test-dkms.sh installs them; run it first),
# and `apt remove` must bring Debian's module back.  SLB_DEB_INSTALL=0
# skips that part.  SLB_DEB_UPGRADE=<series> (e.g. 7.x) then installs
# that series' newest kernel and headers, as an admin's upgrade would, and
# DKMS must build ours for it by itself.  Prints "ok - ..." / "not ok - ..."
# lines.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
T=$ROOT/build/test-deb
rm -rf "$T"
mkdir -p "$T"
rc=0
ok() { echo "ok - deb: $*"; }
nok() { echo "not ok - deb: $*"; rc=1; }
check() {	# check DESC CMD...
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else nok "$desc"; fi
}

NAME=$(sed -n 's/^PACKAGE_NAME="\(.*\)"$/\1/p' dkms.conf)
VER=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
PKG=$NAME-dkms
DEB=$ROOT/build/deb/${PKG}_${VER}_all.deb
SRC=./usr/src/$NAME-$VER

t0=$SECONDS
rm -f "$DEB"
if make -s deb >"$T/make.log" 2>&1 && [[ -f $DEB ]]; then
	ok "make deb builds build/deb/${DEB##*/} ($((SECONDS - t0)) s)"
else
	tail -20 "$T/make.log" | sed 's/^/# /'
	nok "make deb builds build/deb/${DEB##*/}"
	exit 1
fi

# --- control data (dpkg-deb -I / -f) -----------------------------------------------
field() { dpkg-deb -f "$DEB" "$1"; }
check "package name $PKG" [ "$(field Package)" = "$PKG" ]
check "version $VER (dkms.conf)" [ "$(field Version)" = "$VER" ]
check "architecture all" [ "$(field Architecture)" = all ]
deps=$(field Depends)
check "Depends on dkms ($deps)" grep -Eq '(^|, )dkms( |,|$)' <<<"$deps"
dpkg-deb -I "$DEB" >"$T/info.txt"
dpkg-deb --ctrl-tarfile "$DEB" | tar -x -C "$T" ./postinst ./prerm 2>/dev/null
check "postinst runs DKMS for $NAME $VER (dh_dkms)" \
	grep -q "DKMS_NAME=$NAME" "$T/postinst" 2>/dev/null
check "prerm removes it from DKMS" grep -q 'dkms remove' "$T/prerm" 2>/dev/null

# --- files (dpkg-deb -c) -------------------------------------------------------------
dpkg-deb -c "$DEB" | awk '{print $NF}' | sed 's#/$##' | sort >"$T/list.txt"
want=(dkms.conf Makefile Kbuild tools/kernel.sh include/net/bond_slb.h
       include/bond_slb_core.h)
for f in src/*.c patches/common/*.patch; do want+=("$f"); done
missing=()
for f in "${want[@]}"; do grep -qxF "$SRC/$f" "$T/list.txt" || missing+=("$f"); done
check "files under ${SRC#.}/: ${want[*]}" [ ${#missing[@]} -eq 0 ]
((${#missing[@]} == 0)) || echo "# missing: ${missing[*]}"
check "README and documentation in /usr/share/doc/$PKG" \
	grep -q "^./usr/share/doc/$PKG/balance-slb.rst" "$T/list.txt"
# nothing outside /usr/src/<name>-<version> and /usr/share/doc/<package>
stray=$(grep -v -e "^$SRC\(/\|$\)" -e "^./usr/share/doc/$PKG\(/\|$\)" \
	-e '^\.$' -e '^./usr$' -e '^./usr/src$' -e '^./usr/share$' \
	-e '^./usr/share/doc$' "$T/list.txt")
check "no files outside ${SRC#.} and /usr/share/doc/$PKG" [ -z "$stray" ]
show() { local l; while IFS= read -r l; do echo "# $1: $l"; done <<<"$2"; }
[[ -z $stray ]] || show stray "$stray"
# kernel sources are fetched when DKMS builds, never shipped
ksrc=$(grep -E '/(bond_main|bond_3ad|bond_alb|bond_options|bond_netlink|bond_sysfs|bond_procfs|bond_debugfs)\.c$|/(bonding|bond_3ad|bond_alb|bond_options)\.h$|\.ko$|linux-source|\.tar' \
	"$T/list.txt")
check "no kernel sources (bond_main.c, bonding.h, ...), modules or tarballs" [ -z "$ksrc" ]
[[ -z $ksrc ]] || show "kernel file" "$ksrc"

# the DKMS source is exactly what make dkms-src gives (tested by test-dkms.sh)
mkdir -p "$T/deb" "$T/ref"
dpkg-deb -x "$DEB" "$T/deb"
make -s dkms-src DEST="$T/ref" >/dev/null 2>&1
check "${SRC#.} is exactly make dkms-src" diff -r "$T/ref" "$T/deb/${SRC#./}"

# --- apt install / remove ------------------------------------------------------------
[[ ${SLB_DEB_INSTALL:-1} == 1 ]] || exit $rc
kernels=()
for s in ${SLB_SERIES:-6.1 6.12}; do
	r=$(tools/kernel.sh latest "$s" 2>/dev/null) || continue
	[[ -e /lib/modules/$r/build/Makefile && -d /lib/modules/$r/kernel ]] && kernels+=("$r")
done
if [[ $(id -u) != 0 ]] || ((${#kernels[@]} == 0)) || ! command -v dkms >/dev/null; then
	echo "ok - deb: apt install and remove # SKIP needs root, dkms and the headers and image of a Debian 6.1/6.12 kernel (tools/test-dkms.sh installs them)"
	exit $rc
fi
if dpkg-query -W -f '${Status}' "$PKG" 2>/dev/null | grep -q ' installed$' ||
   [[ -n $(dkms status -m "$NAME" -v "$VER" 2>/dev/null) ]]; then
	nok "$PKG or $NAME/$VER in DKMS already present on this host: remove it before this test"
	exit 1
fi
t0=$SECONDS
if DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 \
		"$DEB" >"$T/apt-install.log" 2>&1; then
	ok "apt install ./${DEB##*/} ($((SECONDS - t0)) s)"
else
	tail -20 "$T/apt-install.log" | sed 's/^/# /'
	nok "apt install ./${DEB##*/}"
fi
# ours_for R: DKMS installed ours for R and modinfo finds it (sets f, v)
ours_for() {
	local st
	st=$(dkms status -m "$NAME" -v "$VER" -k "$1" 2>&1)
	f=$(modinfo -k "$1" -F filename bonding 2>&1)
	v=$(modinfo -k "$1" -F version bonding 2>&1)
	[[ $st == *": installed"* && $f == */updates/dkms/bonding.ko* && $v == *+slb ]]
}
for r in "${kernels[@]}"; do
	good=no
	ours_for "$r" && good=yes
	check "after apt install, DKMS built and installed ours for $r ($f, $v)" [ $good = yes ]
done
if [[ -n ${SLB_DEB_UPGRADE:-} ]]; then
	if ! r=$(tools/kernel.sh latest "$SLB_DEB_UPGRADE" 2>"$T/upgrade.log"); then
		tail -5 "$T/upgrade.log" | sed 's/^/# /'
		nok "find the newest $SLB_DEB_UPGRADE kernel for the upgrade"
	elif [[ -e /lib/modules/$r/build/Makefile ]]; then
		nok "upgrade to $r: its headers are installed already (the upgrade must bring them)"
	else
		t0=$SECONDS
		# a backports kernel is installed as Debian documents it, with
		# -t <release>-backports (its linux-base comes from there too)
		bp=()
		if [[ $(tools/kernel.sh version "$r") == *~bpo* ]]; then
			# shellcheck disable=SC1091
			bp=(-t "$(. /etc/os-release && echo "$VERSION_CODENAME")-backports")
		fi
		if DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 \
				"${bp[@]}" "linux-image-$r" "linux-headers-$r" >"$T/apt-upgrade.log" 2>&1; then
			ok "kernel upgrade: apt install ${bp[*]} linux-image-$r linux-headers-$r ($((SECONDS - t0)) s)"
		else
			tail -20 "$T/apt-upgrade.log" | sed 's/^/# /'
			nok "kernel upgrade: apt install linux-image-$r linux-headers-$r"
		fi
		good=no
		ours_for "$r" && good=yes
		check "after the kernel upgrade, DKMS built and installed ours for $r by itself ($f, $v)" [ $good = yes ]
		[[ $good == yes ]] || grep -h '^kernel.sh: \|rror' "/var/lib/dkms/$NAME/$VER/build/make.log" 2>/dev/null |
			tail -5 | sed 's/^/# /'
		kernels+=("$r")
	fi
fi
if DEBIAN_FRONTEND=noninteractive apt-get remove -y -q -o DPkg::Lock::Timeout=600 \
		"$PKG" >"$T/apt-remove.log" 2>&1; then
	ok "apt remove $PKG"
else
	tail -20 "$T/apt-remove.log" | sed 's/^/# /'
	nok "apt remove $PKG"
fi
for r in "${kernels[@]}"; do
	f=$(modinfo -k "$r" -F filename bonding 2>&1)
	good=no
	[[ $f == /lib/modules/$r/kernel/drivers/net/bonding/bonding.ko* ]] && good=yes
	check "after apt remove, modinfo -k $r finds Debian's module ($f)" [ $good = yes ]
done
good=no
[[ -z $(dkms status -m "$NAME" 2>/dev/null) && ! -e ${SRC#.} ]] && good=yes
check "after apt remove, no $NAME in DKMS and no ${SRC#.}" [ $good = yes ]
# purge drops the extracted sources; keep them for the next run's builds
cache=/var/cache/bonding-slb
rm -rf "$T/cache"
[[ -d $cache ]] && cp -a "$cache" "$T/cache"
if dpkg --purge "$PKG" >"$T/purge.log" 2>&1 && [[ ! -e $cache ]]; then
	ok "dpkg --purge $PKG removes $cache"
else
	tail -5 "$T/purge.log" | sed 's/^/# /'
	nok "dpkg --purge $PKG removes $cache"
fi
[[ -d $T/cache ]] && mv "$T/cache" "$cache"
exit $rc
