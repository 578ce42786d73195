# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The boot of the peers benchmark's guest (tools/bench/vm/peers.sh),
# sourced by tools/bench/peers.sh (make bench-peers) and
# tools/bench/churn.sh (make bench-churn) with ROOT and BENCH (the make
# target) set: KVER (default the newest 7.x) and OUT (default
# build/bench/<BENCH without bench->), builds bonding.ko and slbgen for
# KVER, unpacks Debian's Open vSwitch and nftables for the guest (never
# installed) and defines vm_boot and bench_header.

KVER=${KVER:-$("$ROOT/tools/kernel.sh" latest 7.x)}
OUT=${OUT:-$ROOT/build/bench/${BENCH#bench-}}
mkdir -p "$OUT"
make -s -C "$ROOT" module slbgen KVER="$KVER" >"$OUT/build.log" 2>&1 ||
	{ tail -20 "$OUT/build.log"; exit 1; }
img=$("$ROOT/tools/kernel.sh" image "$KVER")
tree=$("$ROOT/tools/vm/guest-debs.sh" openvswitch-switch openvswitch-common \
	nftables libnftables1 libnftnl11 libxdp1)
mods="openvswitch nf_tables"
# openvswitch's libcrc32c (6.1) wants crc32c by an alias that the
# initramfs builder cannot follow
! find "$img/lib/modules/$KVER" -name 'libcrc32c.ko*' | grep -q . ||
	mods+=" crc32c_generic"

# vm_boot NAME TCG PARTS TIMEOUT MARK: one boot running the guest
# benchmark's PARTS (QEMU TCG threading TCG, TIMEOUT s for the guest
# script); its output in OUT/NAME.log and OUT/NAME/, which must have lines
# "BENCH MARK"
vm_boot() {
	local t=$OUT/$1/tests v
	rm -rf "$t"
	mkdir -p "$t/vm"
	cp "$ROOT/selftests/lib.sh" "$ROOT/selftests/slb.sh" "$t/"
	cp "$ROOT/tools/bench/vm/peers.sh" "$t/vm/"
	# the guest has no environment of ours: the settings go along as a file
	for v in BENCH_CHURN_SECS BENCH_CHURN_RUNS BENCH_CHURN_SEED BENCH_CHURN_FIRST \
		BENCH_FAILOVER_ROUNDS BENCH_SYSTEMS; do
		[ -z "${!v:-}" ] || printf '%s=%q\n' "$v" "${!v}"
	done >"$t/bench.env"
	printf 'BENCH_PARTS=%q\n' "$3" >>"$t/bench.env"
	"$ROOT/tools/vm/run.sh" --kver "$KVER" --image-root "$img" \
		--extra-bin "$ROOT/build/tools/slbgen" --extra-tree "$tree" \
		--extra-modules "$mods" --module "$ROOT/build/$KVER/bonding.ko" \
		--tests "$t" --out "$OUT/$1" --timeout "$4" \
		--tcg-thread "$2" >"$OUT/$1.log" 2>&1 || true
	grep -q "BENCH $5" "$OUT/$1/ktap.log" 2>/dev/null ||
		{ echo "$BENCH: no figures; see $OUT/$1.log and $OUT/$1/"; exit 1; }
	grep -q '^ok .*kernel_log_clean' "$OUT/$1.log" ||
		echo "$BENCH: the guest's kernel log has a report, see $OUT/$1/console.log" >&2
}

# bench_header TITLE: a table's first lines (what ran, on what; the
# module's commit BENCH_MODULE, or the checkout's)
bench_header() {
	echo "$1, kernel $KVER, $(date -u +%Y-%m-%d)," \
		"bonding.ko ${BENCH_MODULE:-$(git -C "$ROOT" describe --always --dirty)}"
	echo "host: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); guest: QEMU TCG, 2 vCPUs"
}
# deb_version PKG: the version of PKG unpacked for the guest
deb_version() { sed -n "s/^$1=//p" "$tree/.done"; }
