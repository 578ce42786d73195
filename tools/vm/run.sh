#!/bin/bash
# Boot a Debian kernel under QEMU (TCG, no KVM) with our bonding.ko and run
# the VM selftests in it; print KTAP on stdout; exit 0 only if all passed.
#
#   run.sh --image-root DIR --kver REL --module PATH/bonding.ko --tests DIR
#          --out DIR [--only a.sh,b.sh] [--timeout S] [--smp N] [--mem M]
#          [--append "kernel args"]
#
# Layout:
#   tools/vm/mkinitramfs.sh  builds the initramfs (host userland + image modules)
#   tools/vm/init            guest PID 1: runs the tests, KTAP on ttyS1
#   tools/vm/run.sh          this script: build, boot, collect, judge
#   selftests/lib.sh         helpers sourced by every test ("../lib.sh")
#   selftests/vm/*.sh        the tests (kselftest exit codes: 0 pass, 1 fail, 4 skip)
#   In the guest: /selftests/lib.sh and /selftests/vm/*.sh, tests run with
#   cwd /selftests/vm.
#
# Output files in --out:
#   initramfs.cpio.zst  console.log (ttyS0, kernel console)  ktap.log (ttyS1,
#   raw test output)  qemu.log (QEMU's own stdout/stderr)
#
# The KTAP printed here is re-numbered and has two more results of its own:
# vm_completed (the guest reached its end marker) and kernel_log_clean
# (console.log has no WARNING/BUG/Oops/... lines).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "run.sh: $*" >&2; exit 2; }

image_root="" kver="" module="" tests="" out="" only="" append=""
per_test=120 smp=2 mem=1024
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
	-h|--help) sed -n '2,30p' "$0"; exit 0 ;;
	*) die "unknown argument $1" ;;
	esac
done
[ -n "$image_root" ] && [ -n "$kver" ] && [ -n "$module" ] && [ -n "$tests" ] && [ -n "$out" ] ||
	die "need --image-root, --kver, --module, --tests and --out"
[[ "$per_test" =~ ^[0-9]+$ ]] || die "--timeout wants seconds"
kernel=$image_root/boot/vmlinuz-$kver
[ -f "$kernel" ] || die "no kernel $kernel"

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/console.log "$out"/ktap.log "$out"/qemu.log

# The same list the guest will run, for the time limit and in case the
# guest dies before announcing its own.
tests_list=()
if [ -n "$only" ]; then
	IFS=, read -r -a tests_list <<<"$only"
else
	for t in "$tests"/*.sh; do
		[ -e "$t" ] && [ "${t##*/}" != lib.sh ] && tests_list+=("${t##*/}")
	done
	# same order as the guest's glob under LC_ALL=C
	mapfile -t tests_list < <(printf '%s\n' "${tests_list[@]}" | LC_ALL=C sort)
fi
n=${#tests_list[@]}

t0=$(date +%s.%N)
initrd=$out/initramfs.cpio.zst
"$here/mkinitramfs.sh" "$initrd" --image-root "$image_root" --kver "$kver" \
	--module "$module" --tests "$tests"
t1=$(date +%s.%N)

cmdline="console=ttyS0 panic_on_warn=1 panic=-1 oops=panic softlockup_panic=1 loglevel=7"
cmdline+=" slb.timeout=$per_test"
[ -z "$only" ] || cmdline+=" slb.tests=$only"
[ -z "$append" ] || cmdline+=" $append"

# TCG boot is ~10-20 s; each test may also need a little cleanup time.
limit=$((n * (per_test + 15) + 180))

# Only one QEMU at a time on this machine: they would starve each other
# (and the time limits) on 2 cores.
exec 9>"${TMPDIR:-/tmp}/slb-vm-qemu.lock"
flock 9

qemu_rc=0
timeout -k 10 "$limit" qemu-system-x86_64 \
	-accel tcg,thread=multi -smp "$smp" -m "$mem" \
	-nodefaults -nographic -no-reboot \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
	-serial "file:$out/console.log" -serial "file:$out/ktap.log" \
	</dev/null >"$out/qemu.log" 2>&1 || qemu_rc=$?
flock -u 9
t2=$(date +%s.%N)
printf 'run.sh: %s: initramfs %.1fs, qemu %.1fs (rc %d)\n' "$kver" \
	"$(awk "BEGIN{print $t1 - $t0}")" "$(awk "BEGIN{print $t2 - $t1}")" "$qemu_rc" >&2

# --- judge -----------------------------------------------------------------------
touch "$out/console.log" "$out/ktap.log"
lines=() names=() nfail=0 npass=0 nskip=0 done=0
announced=()
while IFS= read -r l; do
	l=${l%$'\r'}
	case "$l" in
	"TAP version 13") continue ;;
	SLB-VM-DONE) done=1; continue ;;
	"# slb-tests: "*) read -r -a announced <<<"${l#\# slb-tests: }" ;;
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
	lines+=("# ${announced[i]}: not run, the VM did not get that far")
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
	while IFS= read -r l; do lines+=("#   ${l%$'\r'}"); done < <(tail -n 40 "$out/console.log")
	if [ -s "$out/qemu.log" ]; then
		while IFS= read -r l; do lines+=("#   qemu: $l"); done < <(tail -n 10 "$out/qemu.log")
	fi
	lines+=("not ok @ vm_completed")
	nfail=$((nfail + 1))
fi

# Anything that means the kernel complained.  panic_on_warn turns most of
# these into a crash anyway; this catches the ones printed before the panic
# and those that do not panic (lockdep, hung tasks, leaks, RCU stalls).
bad_re='WARNING:|BUG:|Oops|Kernel panic|general protection fault|INFO: task|lockdep|possible circular locking|KASAN|UBSAN|kmemleak|unregister_netdevice: waiting|refcount_t:|RCU stall|rcu_[a-z]+ self-detected|detected stalls on CPU|hard LOCKUP|soft lockup'
if matches=$(tr -d '\r' <"$out/console.log" | grep -n -E "$bad_re"); then
	lines+=("# kernel log has problems:")
	while IFS= read -r l; do lines+=("#   $l"); done < <(echo "$matches" | head -n 50)
	first=$(echo "$matches" | head -n1 | cut -d: -f1)
	lines+=("# console.log from line $first:")
	while IFS= read -r l; do lines+=("#   $l"); done < <(tr -d '\r' <"$out/console.log" | sed -n "${first},$((first + 60))p")
	lines+=("not ok @ kernel_log_clean")
	nfail=$((nfail + 1))
else
	lines+=("ok @ kernel_log_clean")
	npass=$((npass + 1))
fi

# --- report ------------------------------------------------------------------------
echo "TAP version 13"
echo "# $kver: $(basename "$module") from $(cd "$(dirname "$module")" && pwd)"
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
# plain summary line (also understood by CI log readers)
echo "$npass passed, $nfail failed, $nskip skipped"
[ $nfail -eq 0 ]
