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
SERIES=${SLB_SERIES:-"6.1 6.12"}
LOGDIR=$ROOT/build/check
mkdir -p "$LOGDIR"
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

for s in $SERIES; do
	echo "== kernel series $s"
	if ! kver=$(tools/kernel.sh latest "$s"); then
		result fail "find newest $s kernel"
		continue
	fi
	log=$LOGDIR/build-$kver.log
	if make -s module KVER="$kver" >"$log" 2>&1; then
		result ok "build $kver"
	else
		tail -30 "$log"
		result fail "build $kver"
		continue
	fi
	if [[ $s == "${SERIES%% *}" ]]; then
		# install, KSRC and build errors: once is enough
		tools/test-build.sh "$kver" >"$LOGDIR/test-build.log" 2>&1
		while IFS= read -r line; do
			case $line in
			"ok - "*) result ok "${line#ok - }" ;;
			"not ok - "*) result fail "${line#not ok - }" ;;
			*) echo "$line" ;;
			esac
		done <"$LOGDIR/test-build.log"
	fi
	if tools/lint.sh "$kver" >"$LOGDIR/lint-$kver.log" 2>&1; then
		result ok "checkpatch+sparse $kver"
	else
		tail -40 "$LOGDIR/lint-$kver.log"
		result fail "checkpatch+sparse $kver"
	fi
	if ! img=$(tools/kernel.sh image "$kver"); then
		result fail "fetch image $kver"
		continue
	fi
	out=$ROOT/build/$kver/vm
	# the suite takes about 10 min; a guest that hangs must not eat CI's
	# hour (the default limit adds up every test's 300 s timeout)
	tools/vm/run.sh --kver "$kver" --image-root "$img" \
		--extra-bin "$ROOT/build/tools/slbgen" "${IP_SLB[@]}" \
		--module "build/$kver/bonding.ko" --tests "$ROOT/selftests" \
		--limit "${SLB_VM_LIMIT:-1200}" \
		--out "$out" >"$LOGDIR/vm-$kver.ktap" 2>"$LOGDIR/vm-$kver.err"
	grep -v '^ok ' "$LOGDIR/vm-$kver.ktap" | grep -v '^# ' || true
	# a failed test's own diagnostics, so a CI log alone says what broke
	awk '/^# running /{n = 0} {buf[n++ % 40] = $0}
	     /^not ok /{print "# --- last lines before: " $0
			for (i = (n > 40 ? n - 40 : 0); i < n - 1; i++) print buf[i % 40]}' \
		"$LOGDIR/vm-$kver.ktap"
	if ! grep -q '^1\.\.' "$LOGDIR/vm-$kver.ktap"; then
		tail -20 "$LOGDIR/vm-$kver.err"
		result fail "vm $kver (no results)"
	fi
	count_ktap "$kver: " "$LOGDIR/vm-$kver.ktap"
	vm_digest "$kver" "$LOGDIR/vm-$kver.ktap"
	# the kernel's own bonding selftests: what passes with Debian's
	# bonding.ko must pass with ours (two more VM boots: ~4 min on 6.1,
	# ~7.5 on 6.12).  6.12's bond_options.sh alone would add about
	# 2x13 min (30 of its ~70 cases took 5.5 min; its settings allow 20):
	# make upstream-selftests runs it, and so does this with
	# SLB_UPSTREAM_SKIP=
	run_tap "$LOGDIR/upstream-$kver.log" tools/upstream-selftests.sh "$kver" \
		--skip "${SLB_UPSTREAM_SKIP-bond_options.sh}" \
		--why "too slow for make check: make upstream-selftests runs it"
done

echo "== Debian package and DKMS"
# test-dkms installs the headers that test-deb's apt install builds for
run_tap "$LOGDIR/test-dkms.log" tools/test-dkms.sh
run_tap "$LOGDIR/test-deb.log" tools/test-deb.sh

finish
exit
}
