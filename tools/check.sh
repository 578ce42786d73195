#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check: install dependencies, build bonding.ko for the newest Debian
# 6.1 and 6.12 kernels, run the unit tests, the style checks, the VM
# selftests and the upstream bonding selftests (Debian's module vs ours)
# on both kernels.  Ends with "N passed, N failed[, N skipped]".
set -uo pipefail

# One compound command: bash reads all of it before running any, so editing
# this file while a check runs cannot derail that run.
{
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# The whole VM suite on the oldest and the newest series; a core subset
# on both 6.12 builds (bookworm's gcc-12, trixie's gcc-14): the same
# sources as 6.1's and 7.x's neighbours, so the subset shows the module
# loads and works there without doubling CI's time.  The kernel's own
# bonding selftests on the oldest and the newest.
SERIES_FULL=${SLB_SERIES:-"6.1 7.x"}
SERIES_CORE=${SLB_SERIES_CORE-"6.12+deb12 6.12+deb13"}
SERIES_UPSTREAM=${SLB_SERIES_UPSTREAM-"6.1 7.x"}
# the core subset: every mode, options over sysfs and netlink, traffic,
# failover, receive filtering, link-local, VLANs, migration, unload, ip
# tests of guest time that only a time-warped boot runs (they skip elsewhere)
WARP_TESTS=84-slb-spoof-silent-vm.sh,89-slb-querier-ageing.sh,91-slb-share-ageing.sh
CORE_TESTS=00-harness-smoke.sh,10-all-modes.sh,11-slb-mode-interfaces.sh,12-slb-netlink.sh,20-slb-traffic.sh,50-slb-failover.sh,60-slb-receive.sh,64-slb-link-local.sh,70-slb-vlan.sh,80-slb-live-migration.sh,90-unload.sh,95-iproute2-slb.sh
declare -A series_of=()
LOGDIR=$ROOT/build/check
mkdir -p "$LOGDIR"
# results are read back by name: none may be left from an earlier run
rm -rf "$LOGDIR"/vm-* "$LOGDIR"/upstream-* "$LOGDIR"/time-* "$LOGDIR"/lane* "$LOGDIR"/kselftest-* "$LOGDIR"/bonding-series.ko \
	"$LOGDIR"/series* "$LOGDIR"/test-* "$LOGDIR"/lint-*
# shellcheck source=tools/tap.sh
source "$ROOT/tools/tap.sh"

echo "== dependencies"
if ! tools/deps.sh; then
	result fail deps
	finish
fi

# a fresh host's unattended-upgrades holds apt's locks: deps waits (demo too)
if [[ $(id -u) -eq 0 && -z ${SLB_NO_APT_UPDATE:-} ]] && command -v python3 >/dev/null; then
	python3 -c 'import fcntl, time
f = open("/var/lib/apt/lists/lock", "a"); fcntl.lockf(f, fcntl.LOCK_EX); time.sleep(12)' &
	holder=$!
	sleep 1
	t0=$SECONDS
	if tools/deps.sh >"$LOGDIR/deps-lock.log" 2>&1 && ((SECONDS - t0 >= 10)) &&
	   grep -q "waiting" "$LOGDIR/deps-lock.log"; then
		result ok "deps waits for apt's lock held 12 s ($((SECONDS - t0)) s)"
	else
		cat "$LOGDIR/deps-lock.log"
		result fail "deps waits for apt's lock held 12 s ($((SECONDS - t0)) s)"
	fi
	wait "$holder"
else
	result skip "deps waits for apt's lock (needs root, python3 and SLB_NO_APT_UPDATE unset)"
fi

echo "== test tools"
if make -s slbgen >"$LOGDIR/slbgen.log" 2>&1; then
	result ok "build slbgen"
else
	cat "$LOGDIR/slbgen.log"
	result fail "build slbgen"
fi

echo "== iproute2 (ip-slb for the VM tests)"
# the VM test 95-iproute2-slb skips without it: a build failure counts here
if tools/iproute2.sh >"$LOGDIR/iproute2.log" 2>&1; then
	result ok "build iproute2 with balance-slb"
else
	tail -20 "$LOGDIR/iproute2.log"
	result fail "build iproute2 with balance-slb"
fi
IP_SLB=()
[[ -x build/iproute2/ip-slb ]] && IP_SLB=(--extra-bin "$ROOT/build/iproute2/ip-slb")

echo "== Debian's ifupdown and ifenslave for the guest"
# the VM test 88-slb-ifupdown skips without them: a failure counts here
if tree=$(tools/vm/guest-debs.sh ifupdown ifenslave 2>"$LOGDIR/guest-debs.log"); then
	result ok "fetch ifupdown and ifenslave for the guest ($(tr '\n' ' ' <"$tree/.done"))"
	IP_SLB+=(--extra-tree "$tree")
else
	cat "$LOGDIR/guest-debs.log"
	result fail "fetch ifupdown and ifenslave for the guest"
fi

echo "== unit tests"
if make -s unit >"$LOGDIR/unit.log" 2>&1; then :; fi
cat "$LOGDIR/unit.log" | grep -v '^ok\|^TAP' || true
grep -q '^unit: ' "$LOGDIR/unit.log" || result fail "unit tests (did not run)"
count_ktap "unit: " "$LOGDIR/unit.log"

echo "== fuzzing"
fs=${SLB_FUZZ_SECS:-20}
if make -s -C selftests/unit fuzz FUZZ_SECS="$fs" >"$LOGDIR/fuzz.log" 2>&1; then
	result ok "fuzz: slb_migrate parser, $fs s of libFuzzer+ASan+UBSan, $(grep -o 'Done [0-9]* runs' "$LOGDIR/fuzz.log" | tail -1)"
else
	tail -30 "$LOGDIR/fuzz.log"
	result fail "fuzz: slb_migrate parser (see build/check/fuzz.log)"
fi

echo "# time: setup, iproute2, unit tests and fuzzing: $SECONDS s"
t_part=$SECONDS
# --- build and images for every kernel (serial) ----------------------------------
kvers=() first_kver=""
for s in $SERIES_FULL $SERIES_CORE; do
	echo "== kernel series $s"
	if ! kver=$(tools/kernel.sh latest "$s"); then
		result fail "find newest $s kernel"
		continue
	fi
	log=$LOGDIR/build-$kver.log
	t0=$SECONDS
	if make -s module KVER="$kver" >"$log" 2>&1; then
		result ok "build $kver ($(tools/kernel.sh suite "$kver") toolchain, $((SECONDS - t0)) s)"
	else
		tail -30 "$log"
		result fail "build $kver"
		continue
	fi
	# tests of the build and style checks: beside the lanes (below)
	[[ -n $first_kver ]] || first_kver=$kver
	if ! tools/kernel.sh image "$kver" >/dev/null; then
		result fail "fetch image $kver"
		continue
	fi
	# the upstream selftests come out of the whole source tarball: unpack
	# them now, not next to a running VM
	if [[ " $SERIES_UPSTREAM " == *" $s "* ]] && ! tools/kernel.sh selftests "$kver" >/dev/null; then
		result fail "fetch the upstream selftests of $kver"
	fi
	# a private copy: nothing may rebuild the module under a running VM
	cp "build/$kver/bonding.ko" "$LOGDIR/bonding-$kver.ko"
	kvers+=("$kver")
	series_of[$kver]=$s
done

# --- beside the VM lanes: the series, DKMS, the package, a fresh root -----------
# These compile, unpack and install: they need CPU only where the two TCG
# threads leave it idle, so they run at the lowest CPU and I/O priority,
# beside the lanes instead of after them.  Each writes LOG, LOG.rc, LOG.time.
# The series' kselftest (a lane job) waits for the series' module.
case $(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}") in
trixie) host_series="6.12+deb13 7.x" ;;
*) host_series="6.1 6.12+deb12" ;;
esac
bg_step() {	# LOG CMD...
	local log=$1 t0=$SECONDS
	shift
	"$@" >"$log" 2>&1
	echo $? >"$log.rc"
	echo $((SECONDS - t0)) >"$log.time"
}
series_kver=$(tools/kernel.sh latest 7.x) || series_kver=""
# 32-bit x86 (Debian's i386 686-pae flavour of the 6.1 kernel): a 64-bit
# division written with "/" does not link there (__udivdi3, __divdi3)
kver32=""
for kver in "${kvers[@]}"; do
	[[ $kver != 6.1.0-*-amd64 ]] || kver32=${kver%-amd64}-686-pae
done
(
	renice -n 19 -p $BASHPID >/dev/null
	ionice -c 3 -p $BASHPID 2>/dev/null
	# first what a lane waits for
	bg_step "$LOGDIR/series.log" tools/series.sh --check "$ROOT/build/series/kernel"
	[[ ! -e build/series/bonding.ko ]] || cp build/series/bonding.ko "$LOGDIR/bonding-series.ko"
	touch "$LOGDIR/series.done"
	# install, KSRC and build errors: once is enough
	[[ -z $first_kver ]] || bg_step "$LOGDIR/test-build.log" tools/test-build.sh "$first_kver"
	[[ -z $kver32 ]] || bg_step "$LOGDIR/build-32.log" make -s module KVER="$kver32"
	for kver in "${kvers[@]}"; do
		bg_step "$LOGDIR/lint-$kver.log" tools/lint.sh "$kver"
	done
	bg_step "$LOGDIR/series-iproute2.log" tools/series-iproute2.sh "$ROOT/build/series/iproute2"
	# the kernels of the host's own release; test-dkms installs the
	# headers that test-deb's apt install builds for
	SLB_SERIES=$host_series bg_step "$LOGDIR/test-dkms.log" tools/test-dkms.sh
	SLB_SERIES=$host_series bg_step "$LOGDIR/test-deb.log" tools/test-deb.sh
	bg_step "$LOGDIR/test-fresh-root.log" tools/test-fresh-root.sh
) &
bg_pid=$!
bg_report() {	# LOG NAME
	echo "# $2: $(cat "$1.time" 2>/dev/null) s (beside the VM lanes)"
	if [[ -e $1.rc ]]; then
		tap_log "$1" "$(cat "$1.rc")" "$2"
	else
		result fail "$2 (did not run)"
	fi
}

# --- the VM runs: two lanes at once -----------------------------------------------
# Each run is one TCG thread and mostly waits (about a third of a core):
# two at once fit 2 cores and halve the wall time.  Jobs go to the lane
# with less estimated work, largest first; each lane has its own TMPDIR,
# so run.sh's one-QEMU-at-a-time lock is per lane.
jobs=()
for kver in "${kvers[@]}"; do
	if [[ " $SERIES_FULL " == *" ${series_of[$kver]} "* ]]; then
		jobs+=("720 vm-full $kver")
		# the tests that wait out minutes of guest time (MAC ageing),
		# in a boot whose clock skips the guest's idle time: ~40 s
		jobs+=("40 vm-warp $kver")
	else
		jobs+=("150 vm-core $kver")
	fi
	if [[ " $SERIES_UPSTREAM " == *" ${series_of[$kver]} "* ]]; then
		# ours, and Debian's for what fails with ours: ~1 min on
		# 6.1, ~8 on 7.3 (more tests; bond_passive_lacp.sh alone
		# takes 3.5 min)
		case $kver in 6.1.*) jobs+=("80 upstream $kver") ;; *) jobs+=("500 upstream $kver") ;; esac
	fi
done
run_job() {	# KIND KVER
	local kind=$1 kver=$2 t0=$SECONDS
	case $kind in
	vm-full|vm-core)
		local only=() limit=${SLB_VM_LIMIT:-1200}
		[[ $kind == vm-core ]] && only=(--only "$CORE_TESTS") limit=600
		# a guest that hangs must not eat CI's hour (the default limit
		# adds up every test's 300 s timeout); its console and logs go
		# under build/check, not build/KVER, which a rebuild beside the
		# lanes (test-build, lint) may make anew
		tools/vm/run.sh --kver "$kver" --image-root "$(tools/kernel.sh image "$kver")" \
			--extra-bin "$ROOT/build/tools/slbgen" "${IP_SLB[@]}" \
			--module "$LOGDIR/bonding-$kver.ko" --tests "$ROOT/selftests" \
			--limit "$limit" "${only[@]}" \
			--out "$LOGDIR/vm-$kver" >"$LOGDIR/vm-$kver.ktap" 2>"$LOGDIR/vm-$kver.err"
		;;
	vm-warp)
		# one vCPU: with sleep=off a second one never comes up
		tools/vm/run.sh --kver "$kver" --image-root "$(tools/kernel.sh image "$kver")" \
			--extra-bin "$ROOT/build/tools/slbgen" \
			--module "$LOGDIR/bonding-$kver.ko" --tests "$ROOT/selftests" \
			--only "$WARP_TESTS" --tcg-thread warp --smp 1 --timeout 1800 --limit 600 \
			--out "$LOGDIR/vm-warp-$kver" >"$LOGDIR/vm-warp-$kver.ktap" 2>"$LOGDIR/vm-warp-$kver.err"
		;;
	upstream)
		# bond_options.sh alone would add about 2x13 min (30 of its
		# ~70 cases took 5.5 min; its settings allow 20), and 7.x's
		# bond_lacp_strict.sh (2 min) fails with Debian's own module
		# too: make upstream-selftests runs both, and so does this with
		# SLB_UPSTREAM_SKIP=.  Debian's module boots only for what
		# fails with ours.
		tools/upstream-selftests.sh "$kver" --module "$LOGDIR/bonding-$kver.ko" \
			--skip "${SLB_UPSTREAM_SKIP-bond_options.sh,bond_lacp_strict.sh}" --debian-if-needed \
			--why "too slow for make check (bond_options.sh), or fails with Debian's own module too (7.x's bond_lacp_strict.sh): make upstream-selftests runs them" \
			>"$LOGDIR/upstream-$kver.log" 2>&1
		echo $? >"$LOGDIR/upstream-$kver.rc"
		;;
	kselftest)
		# the series' kselftest, upstream's way, on the series' module
		while [[ ! -e $LOGDIR/series.done ]]; do sleep 5; done
		[[ -e $LOGDIR/bonding-series.ko ]] || return 0
		tools/upstream-selftests.sh "$kver" --module "$LOGDIR/bonding-series.ko" \
			--extra selftests/kselftest/bond_slb.sh --only bond_slb.sh \
			--out "$ROOT/build/upstream/series-$kver" >"$LOGDIR/kselftest-$kver.log" 2>&1
		echo $? >"$LOGDIR/kselftest-$kver.rc"
		;;
	esac
	echo "$((SECONDS - t0))" >"$LOGDIR/time-$kind-$kver"
}
[[ -z $series_kver ]] || jobs+=("120 kselftest $series_kver")
lane_load=(0 0) lane_jobs=("" "")
while read -r est kind kver; do
	[[ -n $kind ]] || continue
	l=0
	((lane_load[1] < lane_load[0])) && l=1
	lane_load[l]=$((lane_load[l] + est))
	lane_jobs[l]+="$kind:$kver "
done < <(printf '%s\n' "${jobs[@]}" | sort -rn)
echo "== VM runs in two lanes (estimated ${lane_load[0]} s and ${lane_load[1]} s)"
lane_pids=()
for l in 0 1; do
	echo "# lane $l: ${lane_jobs[l]}"
	mkdir -p "$LOGDIR/lane$l"
	(
		export TMPDIR=$LOGDIR/lane$l
		for j in ${lane_jobs[l]}; do run_job "${j%%:*}" "${j#*:}"; done
	) &
	lane_pids+=($!)
done
echo "# time: builds and downloads: $((SECONDS - t_part)) s"
t_part=$SECONDS
wait "${lane_pids[@]}"
echo "# time: the two VM lanes: $((SECONDS - t_part)) s"

# --- their results, in kernel order --------------------------------------------
# a failed test's own diagnostics, so a CI log alone says what broke
fail_context() {
	awk '/^# running /{n = 0} {buf[n++ % 40] = $0}
	     /^not ok /{print "# --- last lines before: " $0
			for (i = (n > 40 ? n - 40 : 0); i < n - 1; i++) print buf[i % 40]}' "$1"
}
for kver in "${kvers[@]}"; do
	[[ -e $LOGDIR/vm-$kver.ktap ]] || continue
	k=$(sed -n 's/^1\.\.//p' "$LOGDIR/vm-$kver.ktap" | head -1)
	echo "== VM selftests on $kver (${k:-no} results, $(cat "$LOGDIR/time-vm-full-$kver" "$LOGDIR/time-vm-core-$kver" 2>/dev/null) s)"
	grep -v '^ok ' "$LOGDIR/vm-$kver.ktap" | grep -v '^# ' || true
	fail_context "$LOGDIR/vm-$kver.ktap"
	if ! grep -q '^1\.\.' "$LOGDIR/vm-$kver.ktap"; then
		tail -20 "$LOGDIR/vm-$kver.err"
		result fail "vm $kver (no results)"
	fi
	count_ktap "$kver: " "$LOGDIR/vm-$kver.ktap"
	vm_digest "$kver" "$LOGDIR/vm-$kver.ktap"
	if [[ -e $LOGDIR/vm-warp-$kver.ktap ]]; then
		echo "== VM selftests in guest time on $kver ($(cat "$LOGDIR/time-vm-warp-$kver" 2>/dev/null) s)"
		grep -v '^ok ' "$LOGDIR/vm-warp-$kver.ktap" | grep -v '^# ' || true
		fail_context "$LOGDIR/vm-warp-$kver.ktap"
		grep -q '^1\.\.' "$LOGDIR/vm-warp-$kver.ktap" ||
			result fail "vm in guest time $kver (no results)"
		count_ktap "$kver (guest time): " "$LOGDIR/vm-warp-$kver.ktap"
	fi
	if [[ -e $LOGDIR/upstream-$kver.log ]]; then
		echo "== upstream bonding selftests on $kver ($(cat "$LOGDIR/time-upstream-$kver" 2>/dev/null) s)"
		tap_log "$LOGDIR/upstream-$kver.log" "$(cat "$LOGDIR/upstream-$kver.rc" 2>/dev/null || echo 1)" \
			"upstream-selftests.sh $kver"
	fi
done

echo "== beside the lanes: the upstream series (make series), DKMS, the package, a fresh Debian 13 root"
t_part=$SECONDS
wait "$bg_pid"
echo "# time: waited for them after the lanes: $((SECONDS - t_part)) s"
echo "== tests of the build ($first_kver)"
bg_report "$LOGDIR/test-build.log" test-build.sh
if [[ -n $kver32 ]]; then
	echo "== 32-bit x86 build ($kver32, $(cat "$LOGDIR/build-32.log.time" 2>/dev/null) s, beside the lanes)"
	if [[ $(cat "$LOGDIR/build-32.log.rc" 2>/dev/null) == 0 ]]; then
		result ok "build $kver32 (32-bit x86: every 64-bit division through the kernel's helpers)"
	else
		tail -20 "$LOGDIR/build-32.log"
		result fail "build $kver32 (32-bit x86)"
	fi
fi
for kver in "${kvers[@]}"; do
	echo "== style checks, $kver ($(cat "$LOGDIR/lint-$kver.log.time" 2>/dev/null) s, beside the lanes)"
	if [[ ! -e $LOGDIR/lint-$kver.log.rc ]]; then
		result fail "checkpatch+sparse $kver (did not run)"
	elif [[ $(cat "$LOGDIR/lint-$kver.log.rc") == 0 ]]; then
		if skip=$(grep -m1 '^lint: sparse skipped: ' "$LOGDIR/lint-$kver.log"); then
			result ok "checkpatch $kver"
			result skip "sparse $kver (${skip#lint: sparse skipped: })"
		else
			result ok "checkpatch+sparse $kver"
		fi
	else
		tail -40 "$LOGDIR/lint-$kver.log"
		result fail "checkpatch+sparse $kver"
	fi
done
bg_report "$LOGDIR/series.log" series.sh
bg_report "$LOGDIR/series-iproute2.log" series-iproute2.sh
if [[ -n $series_kver && -e $LOGDIR/kselftest-$series_kver.log ]]; then
	echo "== the series' kselftest on $series_kver, series-built bonding.ko ($(cat "$LOGDIR/time-kselftest-$series_kver" 2>/dev/null) s)"
	tap_log "$LOGDIR/kselftest-$series_kver.log" \
		"$(cat "$LOGDIR/kselftest-$series_kver.rc" 2>/dev/null || echo 1)" "kselftest bond_slb.sh $series_kver"
else
	result fail "the series' kselftest (no series module build/series/bonding.ko, or no 7.x kernel)"
fi
echo "== Debian package and DKMS on this host ($host_series)"
bg_report "$LOGDIR/test-dkms.log" test-dkms.sh
bg_report "$LOGDIR/test-deb.log" test-deb.sh
echo "== a fresh Debian 13 root: the README's commands, DKMS, a kernel upgrade"
bg_report "$LOGDIR/test-fresh-root.log" test-fresh-root.sh

echo "# time: all of make check: $SECONDS s"
finish
exit
}
