# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Result counting shared by tools/check.sh and tools/check-debug.sh (sourced):
# "ok - NAME", "ok - NAME # SKIP", "not ok - NAME" lines and a last line
# "N passed, N failed, N skipped".

passed=0 failed=0 skipped=0
failures=()
digest=()	# a few lines per broken VM run, repeated at the very end

result() {	# ok|fail|skip name
	case $1 in
	ok) passed=$((passed + 1)); echo "ok - $2" ;;
	skip) skipped=$((skipped + 1)); echo "ok - $2 # SKIP" ;;
	*) failed=$((failed + 1)); failures+=("$2"); echo "not ok - $2" ;;
	esac
}

# Count a KTAP stream's results (lines "ok N name" / "not ok N name").
count_ktap() {	# prefix file
	local line
	while IFS= read -r line; do
		if [[ $line =~ ^not\ ok\ [0-9]+\ (.*)$ ]]; then
			result fail "$1${BASH_REMATCH[1]}"
		elif [[ $line =~ ^ok\ [0-9]+\ (.*)\ \#\ SKIP ]]; then
			result skip "$1${BASH_REMATCH[1]}"
		elif [[ $line =~ ^ok\ [0-9]+\ (.*)$ ]]; then
			result ok "$1${BASH_REMATCH[1]}"
		fi
	done <"$2"
}

# run_tap LOG CMD...: run a test script, count its "ok - " / "not ok - "
# lines; a script that fails without a "not ok" line is a failure too
run_tap() {
	local log=$1 rc t0=$SECONDS
	shift
	"$@" >"$log" 2>&1
	rc=$?
	tap_log "$log" "$rc" "${*##*/}"
	echo "# ${1##*/}: $((SECONDS - t0)) s"
}

# tap_log LOG RC NAME: the counting half of run_tap, for a script that ran
# elsewhere (in the background) with exit code RC
tap_log() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok - "*" # SKIP"*) line=${line#ok - }; result skip "${line%% # SKIP*}" ;;
		"ok - "*) result ok "${line#ok - }" ;;
		"not ok - "*) result fail "${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done <"$1"
	if (($2 != 0)) && ! grep -q '^not ok - ' "$1"; then
		result fail "$3 (exit $2, no result)"
	fi
}

# vm_digest LABEL KTAP: when a VM run crashed or its kernel complained,
# keep the kernel's complaint (first report line, RIP, call trace) and
# the console's last lines for the end of the output, where a CI log cut
# in the middle still shows them
vm_digest() {
	local line
	grep -q -E '^not ok [0-9]+ (vm_completed|kernel_log_clean)$' "$2" || return 0
	digest+=("== $1: the VM's kernel log")
	while IFS= read -r line; do digest+=("$line"); done < <(awk '
		/^# (console.log from line|kernel log has problems:|no SLB-VM-DONE)/ { sec = $2; next }
		/^(not )?ok / { sec = "" }
		sec == "console.log" && nc < 14 &&
		    /WARNING|BUG|Oops|RIP:|Call Trace|\+0x|blocked for|stall|lockup|panic|waiting for/ { print; nc++ }
		sec == "no" { tail[nt++ % 8] = $0 }
		END { for (i = (nt > 8 ? nt - 8 : 0); i < nt; i++) print tail[i % 8] }' "$2")
}

finish() {
	((${#failures[@]})) && printf 'failed: %s\n' "${failures[@]}"
	((${#digest[@]})) && printf '%s\n' "${digest[@]}"
	echo "$passed passed, $failed failed, $skipped skipped"
	((failed == 0))
	exit
}

