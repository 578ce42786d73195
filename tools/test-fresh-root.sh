#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The README's two commands on a fresh Debian 13 machine, for make check:
# debootstrap a new trixie root (minbase, the archive's sources with
# -updates, -security and -backports, as on an installed host), copy this
# repository's tracked files into /root/bonding-slb, and in it, as root:
#
#   apt-get install make        the README's one prerequisite
#   make demo                   deps.sh installs the rest; the demo boots
#                               trixie's 6.12 kernel under QEMU
#   make unit                   the userspace tests
#   tools/test-dkms.sh          DKMS by hand for trixie's 6.12
#   tools/test-deb.sh           the package: apt install builds for 6.12,
#                               then a kernel upgrade to the newest 7.x of
#                               trixie-backports must rebuild by itself
#   tools/test-dkms.sh          DKMS by hand for that 7.x kernel
#
# Prints "ok - debian13: ..." / "not ok - debian13: ..." lines; needs root
# (debootstrap, chroot).  The root is build/fresh-trixie, made anew on every
# run (SLB_FRESH_KEEP=1 reuses it: for working on this script).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
SUITE=trixie
R=$ROOT/build/fresh-$SUITE
LOG=$ROOT/build/fresh-$SUITE.log
rc=0
ok() { echo "ok - debian13: $*"; }
nok() { echo "not ok - debian13: $*"; rc=1; }

if [[ $(id -u) -ne 0 ]] || ! command -v debootstrap >/dev/null; then
	echo "ok - debian13: a fresh Debian 13 root # SKIP needs root and debootstrap"
	exit 0
fi

mirror=${SLB_DEBIAN_MIRROR:-http://deb.debian.org/debian/}
smirror=${SLB_SECURITY_MIRROR:-http://deb.debian.org/debian-security/}
t0=$SECONDS
if [[ -z ${SLB_FRESH_KEEP:-} || ! -e $R/.done ]]; then
	rm -rf "$R"
	mkdir -p "$R"
	if debootstrap --variant=minbase "$SUITE" "$R" "$mirror" >"$LOG" 2>&1; then
		ok "debootstrap a fresh $SUITE root ($((SECONDS - t0)) s)"
	else
		tail -20 "$LOG" | sed 's/^/# /'
		nok "debootstrap a fresh $SUITE root"
		exit 1
	fi
	rm -f "$R/etc/apt/sources.list"
	cat >"$R/etc/apt/sources.list.d/debian.sources" <<-EOF
	Types: deb
	URIs: $mirror
	Suites: $SUITE $SUITE-updates $SUITE-backports
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

	Types: deb
	URIs: $smirror
	Suites: $SUITE-security
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null
	touch "$R/.done"
fi
mkdir -p "$R/root/bonding-slb"
# what a clone has: the tracked files, as they are now
git ls-files -z | cpio -0pdmu --quiet "$R/root/bonding-slb" ||
	{ nok "copy the repository into the root"; exit 1; }

# in_root NAME SCRIPT: run SCRIPT with bash in the root (its own /proc,
# /dev, /sys), output in build/fresh-trixie-NAME.log
in_root() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m --propagation private sh -c '
		r=$1; shift
		mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" &&
			mount -t sysfs sysfs "$r/sys" || exit 1
		exec chroot "$r" env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			DEBIAN_FRONTEND=noninteractive bash -c "cd /root/bonding-slb && $1"
	' in_root "$R" "$2" >"$ROOT/build/fresh-$SUITE-$1.log" 2>&1
}
step() {	# step NAME DESC SCRIPT: ok/nok by exit status, with its time
	local t=$SECONDS
	if in_root "$1" "$3"; then
		ok "$2 ($((SECONDS - t)) s)"
	else
		tail -25 "$ROOT/build/fresh-$SUITE-$1.log" | sed 's/^/# /'
		nok "$2 (log: build/fresh-$SUITE-$1.log)"
		return 1
	fi
}
# test scripts print their own ok/not ok lines: pass them on, prefixed
tap_in_root() {	# tap_in_root NAME LABEL SCRIPT
	local line
	in_root "$1" "$3"
	local st=$?
	while IFS= read -r line; do
		case $line in
		"ok - "*) echo "ok - debian13: $2${line#ok - }" ;;
		"not ok - "*) echo "not ok - debian13: $2${line#not ok - }"; rc=1 ;;
		"#"*) echo "$line" ;;
		esac
	done <"$ROOT/build/fresh-$SUITE-$1.log"
	if ((st != 0)) && ! grep -q '^not ok - ' "$ROOT/build/fresh-$SUITE-$1.log"; then
		tail -15 "$ROOT/build/fresh-$SUITE-$1.log" | sed 's/^/# /'
		nok "$1 (exit $st, no result)"
	fi
}

step make "apt-get install make (the README's prerequisite)" \
	'apt-get update -q && apt-get install -y -q --no-install-recommends make' || exit 1
if step demo "make demo on Debian 13" 'make demo'; then
	# the demo ran to its last part
	if grep -q "Full /proc/net/bonding/bond0" "$ROOT/build/fresh-$SUITE-demo.log"; then
		ok "the demo ran to its end (Full /proc/net/bonding/bond0)"
	else
		nok "the demo's output stops before its end"
	fi
fi
step unit "make unit on Debian 13" 'make unit'
tap_in_root dkms "" 'SLB_SERIES=6.12+deb13 tools/test-dkms.sh'
tap_in_root deb "" 'SLB_SERIES=6.12+deb13 SLB_DEB_UPGRADE=7.x tools/test-deb.sh'
# DKMS by hand for the 7.x kernel the upgrade installed
tap_in_root dkms-7 "7.x " 'SLB_SERIES=7.x tools/test-dkms.sh'
echo "# fresh Debian 13 root: $((SECONDS - t0)) s"
exit $rc
