#!/bin/bash
# Boot a Debian kernel under QEMU (TCG, no KVM) with our bonding.ko and run
# the VM selftests in it; print KTAP on stdout; exit 0 only if all passed.
#
#   run.sh --image-root DIR --kver REL --module PATH/bonding.ko --tests DIR
#          --out DIR [--only a.sh,b.sh] [--timeout S] [--smp N] [--mem M]
#          [--append "kernel args"] [--extra-ko PATH.ko]... [--limit S]
#          [--extra-bin PROGRAM]... [--extra-tree DIR]... [--kmemleak]
#          [--extra-modules "mod1 mod2"] [--kcsan]
#          [--tcg-thread single|multi|icount|warp]
#
#   --append   more kernel parameters (later ones win, e.g. panic_on_warn=0)
#   --extra-ko another module for updates/ (e.g. a test helper)
#   --extra-bin a host program to put in the guest's /usr/bin (with its libs)
#   --extra-tree a file tree for the guest's root (tools/vm/guest-debs.sh)
#   --extra-modules more of the image's modules (with their dependencies)
#   --limit    overall wall-clock limit for QEMU in seconds (default: sum of
#              per-test timeouts + 15 s per test + 180 s for the boot)
#   --kmemleak after the last test, have the guest scan for leaks (debug
#              kernels with CONFIG_DEBUG_KMEMLEAK) and add the result
#              kmemleak_bonding: fails if a suspected leak involves bonding
#              (a backtrace frame in bonding, a bond_* function, or an
#              unresolved module address: the module was unloaded before
#              the scan; in the debug kernel bonding is the only module),
#              other suspects are listed, not failed
#   --kcsan    the kernel has KCSAN (make check-kcsan): its data-race
#              reports are judged by kcsan_slb instead of kernel_log_clean:
#              fails if one of a report's racing accesses is in our code
#              (the innermost frame of its stack is bond_slb_* or one of our
#              static slb_* helpers), lists the others (races in upstream
#              code, ours only a caller further out, such as 6.12's
#              unannotated timekeeping latch under ktime_get_mono_fast_ns),
#              and fails if the log shows no KCSAN at all
#              (tools/vm/kcsan.awk parses the reports)
#   --tcg-thread  QEMU's TCG threading (default single, or $SLB_VM_TCG_THREAD).
#              With multi, one host thread per vCPU, a vCPU can run stale
#              translated code while the other patches kernel text (static
#              keys flip whenever a test enables RPS, a qdisc, timestamps...)
#              and the guest dies on an "Oops: int3" in the network core:
#              seen on 6.12 in CI and under the debug kernel.  single runs
#              the vCPUs in turns and costs the suite no measurable time
#              (it mostly sleeps); the datapath benchmark, which measures
#              2-CPU throughput, asks for multi.  icount is single with
#              -icount shift=0: the guest's clock advances 1 ns per guest
#              instruction, so a rate the guest measures is a count of
#              instructions, free of host timing noise (the benchmark's
#              instruction-count run).  warp is icount with sleep=off:
#              while the guest idles its clock jumps to its next timer, so
#              a test that waits out minutes of guest time (MAC ageing)
#              takes seconds; the guest sees slb.timewarp=1
#   --judge-only  build and boot nothing; judge console.log/ktap.log already
#              in --out (re-checking old logs, testing the log check itself)
#
# Layout:
#   tools/vm/mkinitramfs.sh  builds the initramfs (host userland + image modules)
#   tools/vm/init            guest PID 1: runs the tests, KTAP on ttyS1
#   tools/vm/run.sh          this script: build, boot, collect, judge
#   selftests/lib.sh         helpers sourced by every test ("../lib.sh"); other
#                            top-level files of selftests/ go along too
#   selftests/vm/*.sh        the tests (kselftest exit codes: 0 pass, 1 fail, 4 skip)
#   --tests takes selftests/ (lib.sh + vm/) or selftests/vm.
#   In the guest: /selftests/{lib.sh,...} and /selftests/vm/*.sh, tests run
#   with cwd /selftests/vm.
#
# Output files in --out:
#   initramfs.cpio.{zst,gz}  console.log (ttyS0, kernel console)  ktap.log (ttyS1,
#   raw test output)  qemu.log (QEMU's own stdout/stderr)
#
# The KTAP printed here is re-numbered and has two more results of its own:
# vm_completed (the guest reached its end marker) and kernel_log_clean
# (console.log has no WARNING/BUG/Oops/... lines).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "run.sh: $*" >&2; exit 2; }

image_root="" kver="" module="" tests="" out="" only="" append=""
per_test=300 smp=2 mem=1024 limit="" judge_only=0 kmemleak=0 kcsan=0
tcg_thread=${SLB_VM_TCG_THREAD:-single}
extra=()
while [ $# -gt 0 ]; do
	case "$1" in
	--image-root) image_root=$2; shift 2 ;;
	--kver) kver=$2; shift 2 ;;
	--module) module=$2; shift 2 ;;
	--tests) tests=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--timeout) per_test=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--extra-ko) extra+=(--extra-ko "$2"); shift 2 ;;
	--extra-bin) extra+=(--extra-bin "$2"); shift 2 ;;
	--extra-tree) extra+=(--extra-tree "$2"); shift 2 ;;
	--extra-modules) extra+=(--extra-modules "$2"); shift 2 ;;
	--limit) limit=$2; shift 2 ;;
	--judge-only) judge_only=1; shift ;;
	--kmemleak) kmemleak=1; shift ;;
	--kcsan) kcsan=1; shift ;;
	--tcg-thread) tcg_thread=$2; shift 2 ;;
	-h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0"; exit 0 ;;
	*) die "unknown argument $1" ;;
	esac
done
[[ "$per_test" =~ ^[0-9]+$ ]] || die "--timeout wants seconds"
[[ "$tcg_thread" =~ ^(single|multi|icount|warp)$ ]] || die "--tcg-thread wants single, multi, icount or warp"
if [ $judge_only -eq 0 ]; then
	if [ -z "$image_root" ] || [ -z "$kver" ] || [ -z "$module" ] || [ -z "$tests" ] || [ -z "$out" ]; then
		die "need --image-root, --kver, --module, --tests and --out"
	fi
	kernel=$image_root/boot/vmlinuz-$kver
	[ -f "$kernel" ] || die "no kernel $kernel"
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	rm -f "$out"/console.log "$out"/ktap.log "$out"/qemu.log
else
	[ -d "$out" ] || die "--judge-only needs an existing --out"
fi

# --tests may name the selftests dir (lib.sh + vm/) or the vm/ dir itself
testdir=$tests
[ -f "$tests/lib.sh" ] && [ -d "$tests/vm" ] && testdir=$tests/vm

# The same list the guest will run, for the time limit and in case the
# guest dies before announcing its own.
tests_list=()
if [ -n "$only" ]; then
	IFS=, read -r -a tests_list <<<"$only"
else
	# same order as the guest's glob under LC_ALL=C
	for t in $(cd "${testdir:-/nonexistent}" 2>/dev/null && LC_ALL=C ls -- *.sh 2>/dev/null); do
		if [ "$t" != lib.sh ]; then tests_list+=("$t"); fi
	done
fi
n=${#tests_list[@]}

qemu_rc=0
if [ $judge_only -eq 0 ]; then
	t0=$(date +%s.%N)
	# zstd when the host has it (both kernels have RD_ZSTD), else gzip
	initrd=$out/initramfs.cpio.gz
	command -v zstd >/dev/null && initrd=$out/initramfs.cpio.zst
	rm -f "$out"/initramfs.cpio.*
	"$here/mkinitramfs.sh" "$initrd" --image-root "$image_root" --kver "$kver" \
		--module "$module" --tests "$tests" "${extra[@]}"
	t1=$(date +%s.%N)

	cmdline="console=ttyS0 panic_on_warn=1 panic=-1 oops=panic softlockup_panic=1 loglevel=7"
	cmdline+=" slb.timeout=$per_test"
	[ -z "$only" ] || cmdline+=" slb.tests=$only"
	[ $kmemleak -eq 0 ] || cmdline+=" slb.kmemleak=1"
	[ "$tcg_thread" != warp ] || cmdline+=" slb.timewarp=1"
	[ -z "$append" ] || cmdline+=" $append"

	# TCG boot is ~10-20 s; each test may also need a little cleanup time.
	[ -n "$limit" ] || limit=$((n * (per_test + 15) + 180))

	# Only one QEMU at a time on this machine: they would starve each other
	# (and the time limits) on 2 cores.
	exec 9>"${TMPDIR:-/tmp}/slb-vm-qemu.lock"
	flock 9

	accel=(-accel "tcg,thread=$tcg_thread")
	# QEMU 7.2's cmpxchg16b under -icount now and then corrupts EFLAGS
	# (SLUB's per-CPU freelist: a #DB or double fault in
	# kmem_cache_alloc, whatever the test); without CX16 SLUB does not use it
	[ "$tcg_thread" != icount ] ||
		accel=(-accel "tcg,thread=single" -icount "shift=0,sleep=on" -cpu "qemu64,-cx16")
	[ "$tcg_thread" != warp ] ||
		accel=(-accel "tcg,thread=single" -icount "shift=0,sleep=off" -cpu "qemu64,-cx16")
	timeout -k 10 "$limit" qemu-system-x86_64 \
		"${accel[@]}" -smp "$smp" -m "$mem" \
		-nodefaults -nographic -no-reboot \
		-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
		-serial "file:$out/console.log" -serial "file:$out/ktap.log" \
		</dev/null >"$out/qemu.log" 2>&1 || qemu_rc=$?
	flock -u 9
	t2=$(date +%s.%N)
	printf 'run.sh: %s: initramfs %.1fs, qemu %.1fs (rc %d)\n' "$kver" \
		"$(awk "BEGIN{print $t1 - $t0}")" "$(awk "BEGIN{print $t2 - $t1}")" "$qemu_rc" >&2
fi

# --- judge -----------------------------------------------------------------------
# console.log as plain text: no CRs, no terminal escapes (SeaBIOS sends some)
plain_console() { sed -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' -e 's/\x1b[a-zA-Z]//g' "$out/console.log"; }
touch "$out/console.log" "$out/ktap.log"
lines=() names=() nfail=0 npass=0 nskip=0 done=0 running=""
announced=() leak=() leak_seen=0
while IFS= read -r l; do
	l=${l%$'\r'}
	case "$l" in
	"# kmemleak-begin"|"# kmemleak-end") leak_seen=1; continue ;;
	"# kmemleak: "*) leak+=("${l#\# kmemleak: }"); continue ;;
	"TAP version 13") continue ;;
	SLB-VM-DONE) done=1; continue ;;
	"# slb-tests: "*) read -r -a announced <<<"${l#\# slb-tests: }" ;;
	"# running "*) running=${l#\# running * } ;;
	esac
	[[ "$l" =~ ^1\.\.[0-9]+$ ]] && continue
	if [[ "$l" =~ ^(not\ )?ok\ [0-9]+\ (.*)$ ]]; then
		rest=${BASH_REMATCH[2]}
		names+=("${rest%% # *}")
		if [ -n "${BASH_REMATCH[1]}" ]; then
			nfail=$((nfail + 1)); lines+=("not ok @ $rest")
		else
			if [[ "$rest" == *" # SKIP"* ]]; then nskip=$((nskip + 1)); else npass=$((npass + 1)); fi
			lines+=("ok @ $rest")
		fi
	elif [[ "$l" == "#"* ]]; then
		lines+=("$l")
	else
		lines+=("# $l")
	fi
done <"$out/ktap.log"

# tests the guest never reported (it crashed or hung)
[ ${#announced[@]} -gt 0 ] || announced=("${tests_list[@]}")
for ((i = ${#names[@]}; i < ${#announced[@]}; i++)); do
	if [ "${announced[i]}" = "$running" ] && [ $i -eq ${#names[@]} ]; then
		lines+=("# ${announced[i]}: did not finish, the VM died or hung while it ran")
	else
		lines+=("# ${announced[i]}: not run, the VM did not get that far")
	fi
	lines+=("not ok @ ${announced[i]}")
	nfail=$((nfail + 1))
done

if [ $done -eq 1 ]; then
	lines+=("ok @ vm_completed")
	npass=$((npass + 1))
else
	if [ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ]; then
		lines+=("# QEMU killed after the overall limit of ${limit}s")
	fi
	lines+=("# no SLB-VM-DONE marker; last lines of console.log:")
	while IFS= read -r l; do lines+=("#   ${l%$'\r'}"); done < <(plain_console | tail -n 40)
	if [ -s "$out/qemu.log" ]; then
		while IFS= read -r l; do lines+=("#   qemu: $l"); done < <(tail -n 10 "$out/qemu.log")
	fi
	lines+=("not ok @ vm_completed")
	nfail=$((nfail + 1))
fi

# Anything that means the kernel complained.  panic_on_warn turns most of
# these into a crash anyway; this catches the ones printed before the panic
# and those that do not panic (lockdep, hung tasks, leaks, RCU stalls).
# (BUG: KASAN, WARNING: possible circular locking dependency, WARNING:
# suspicious RCU usage, BUG: sleeping function called from invalid context,
# ODEBUG: free active object, ...).  kmemleak's own status lines are not
# problems; its findings are judged by kmemleak_bonding (--kmemleak).  Nor
# are the kernel's echo of its command line, the guest's own "slb: " marks
# and a debug kernel's boot banner "RCU lockdep checking is enabled".
bad_re='WARNING:|BUG:|Oops|Kernel panic|general protection fault|INFO: task|INFO: trying to register non-static key|lockdep|possible circular locking|KASAN|UBSAN|ODEBUG:|kmemleak|unregister_netdevice: waiting|refcount_t:|RCU stall|rcu_[a-z]+ self-detected|detected stalls on CPU|hard LOCKUP|soft lockup'
benign_re='kmemleak: (Kernel memory leak detector initialized|Automatic memory scanning thread (started|ended)|[0-9]+ new suspected memory leaks)|^[0-9]+:\[ *[0-9.]+\] (Kernel )?[Cc]ommand line: |^[0-9]+:\[ *[0-9.]+\] slb: |RCU lockdep checking is enabled\.$'
# the log as judged here: with --kcsan, the KCSAN reports' own lines are
# emptied (kcsan_slb judges them); the line numbers stay those of console.log
judged_console() {
	if [ $kcsan -eq 1 ]; then
		plain_console | awk -v blank=1 -f "$here/kcsan.awk"
	else
		plain_console
	fi
}
if matches=$(judged_console | grep -a -n -E "$bad_re" | grep -a -v -E "$benign_re"); then
	lines+=("# kernel log has problems:")
	while IFS= read -r l; do lines+=("#   $l"); done < <(echo "$matches" | head -n 50)
	first=${matches%%:*}
	lines+=("# console.log from line $first:")
	while IFS= read -r l; do lines+=("#   $l"); done < <(plain_console | sed -n "${first},$((first + 60))p")
	lines+=("not ok @ kernel_log_clean")
	nfail=$((nfail + 1))
else
	lines+=("ok @ kernel_log_clean")
	npass=$((npass + 1))
fi

# KCSAN: a report is ours when a frame of either stack is one of our
# functions (bond_slb_*, or the static slb_* helpers: no upstream x86 code
# has an slb_ function); those fail, the others are listed once each.  Ours
# only as a caller (both innermost frames upstream's) is said so: often an
# upstream race reached from our code, but it may be our data all the same
if [ $kcsan -eq 1 ]; then
	# (no grep -q: its early exit would fail the pipe, under pipefail)
	if ! plain_console | grep -a -E 'kcsan: (enabled early|selftest: [0-9]+/[0-9]+ tests passed|(non-)?strict mode)' >/dev/null; then
		lines+=("# kcsan: the log has no KCSAN boot message (is this a CONFIG_KCSAN kernel?)")
		lines+=("not ok @ kcsan_slb")
		nfail=$((nfail + 1))
	else
		ours=0 callers=0 total=0 theirs=()
		krec=() mine=0 direct=0 top=0
		while IFS= read -r l; do
			case $l in
			"report "*) krec=("$l") mine=0 direct=0 ;;
			"access "*) krec+=("$l") top=1 ;;
			"frame "*)
				krec+=("$l")
				if [[ "${l#frame }" =~ ^(bond_)?slb_[A-Za-z0-9_]+\+0x ]]; then
					mine=1
					[ $top -eq 0 ] || direct=1
				fi
				top=0 ;;
			end)
				total=$((total + 1))
				if [ $mine -eq 1 ]; then
					if [ $direct -eq 1 ]; then
						ours=$((ours + 1))
						lines+=("# kcsan: a data race in balance-slb:")
					else
						callers=$((callers + 1))
						lines+=("# kcsan: a data race in upstream code that balance-slb calls (both racing accesses in upstream functions; listed, not failed):")
					fi
					for r in "${krec[@]}"; do lines+=("#   $r"); done
				else
					theirs+=("${krec[1]#title }")
				fi ;;
			*) krec+=("$l") ;;
			esac
		done < <(plain_console | awk -f "$here/kcsan.awk")
		# upstream's: each title once, with how often it was printed
		while IFS= read -r l; do
			lines+=("# kcsan: upstream only: $l")
		done < <(if [ ${#theirs[@]} -gt 0 ]; then printf '%s\n' "${theirs[@]}" | sort | uniq -c | sort -rn | sed 's/^ *\([0-9]*\) \(.*\)/\2 (x\1)/'; fi)
		lines+=("# kcsan: $total reports, $ours in balance-slb, $callers in upstream code called by balance-slb, $((total - ours - callers)) in upstream code only")
		if [ $ours -eq 0 ]; then
			lines+=("ok @ kcsan_slb")
			npass=$((npass + 1))
		else
			lines+=("not ok @ kcsan_slb")
			nfail=$((nfail + 1))
		fi
	fi
fi

# kmemleak: one record per "unreferenced object", judged by its text
if [ $kmemleak -eq 1 ]; then
	if [ $leak_seen -eq 0 ]; then
		lines+=("# kmemleak: the guest printed no kmemleak report")
		lines+=("not ok @ kmemleak_bonding")
		nfail=$((nfail + 1))
	elif [[ "${leak[*]}" == unavailable:* ]]; then
		lines+=("# kmemleak: ${leak[*]} (is this a CONFIG_DEBUG_KMEMLEAK kernel?)")
		lines+=("not ok @ kmemleak_bonding")
		nfail=$((nfail + 1))
	else
		# bonding is in a frame as "[bonding]", by a bond_ name, or as a bare
		# module address (0xffffffffc...) once the module is unloaded
		bond_re='\[bonding\]|[^a-z_]bond_|slb_|^ *0xffffffff[c-f][0-9a-f]{7}$|^ *\[<[0-9a-f]+>\] 0xffffffff[c-f]'
		recs=() rec=""
		for l in "${leak[@]}"; do
			if [[ "$l" == "unreferenced object"* ]] && [ -n "$rec" ]; then recs+=("$rec"); rec=""; fi
			rec+="$l"$'\n'
		done
		[ -z "$rec" ] || recs+=("$rec")
		nb=0 no=0
		for r in "${recs[@]}"; do
			if grep -q -E "$bond_re" <<<"$r"; then
				nb=$((nb + 1))
				lines+=("# kmemleak: suspected leak involving bonding:")
				while IFS= read -r l; do lines+=("#   $l"); done <<<"${r%$'\n'}"
			else
				no=$((no + 1))
				if [ $no -le 20 ]; then
					lines+=("# kmemleak: other suspected leak (not bonding):")
					while IFS= read -r l; do lines+=("#   $l"); done < <(head -n 14 <<<"$r")
				fi
			fi
		done
		[ $no -le 20 ] || lines+=("# kmemleak: $((no - 20)) more suspected leaks not involving bonding")
		lines+=("# kmemleak: ${#recs[@]} suspected leaks, $nb involving bonding")
		if [ $nb -eq 0 ]; then
			lines+=("ok @ kmemleak_bonding")
			npass=$((npass + 1))
		else
			lines+=("not ok @ kmemleak_bonding")
			nfail=$((nfail + 1))
		fi
	fi
fi

# --- report ------------------------------------------------------------------------
echo "TAP version 13"
[ -z "$module" ] || echo "# ${kver:-?}: $(basename "$module") from $(cd "$(dirname "$module")" && pwd)"
k=0
for l in "${lines[@]}"; do [[ "$l" == "#"* ]] || k=$((k + 1)); done
echo "1..$k"
k=0
for l in "${lines[@]}"; do
	if [[ "$l" == "ok @ "* || "$l" == "not ok @ "* ]]; then
		k=$((k + 1))
		l=${l/ @ / $k }
	fi
	printf '%s\n' "$l"
done
echo "# $npass passed, $nfail failed, $nskip skipped"
[ $nfail -eq 0 ]
