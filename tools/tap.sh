# SPDX-License-Identifier: GPL-2.0-or-later
#
# Result counting shared by tools/check.sh and tools/check-debug.sh (sourced):
# "ok - NAME", "ok - NAME # SKIP", "not ok - NAME" lines and a last line
# "N passed, N failed, N skipped".

passed=0 failed=0 skipped=0
failures=()

result() {	# ok|fail|skip name
	case $1 in
	ok) passed=$((passed + 1)); echo "ok - $2" ;;
	skip) skipped=$((skipped + 1)); echo "ok - $2 # SKIP" ;;
	*) failed=$((failed + 1)); failures+=("$2"); echo "not ok - $2" ;;
	esac
}

# Count a KTAP stream's results (lines "ok N name" / "not ok N name").
count_ktap() {	# prefix file
	local line name
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
	local log=$1 line rc t0=$SECONDS
	shift
	"$@" >"$log" 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok - "*" # SKIP"*) line=${line#ok - }; result skip "${line%% # SKIP*}" ;;
		"ok - "*) result ok "${line#ok - }" ;;
		"not ok - "*) result fail "${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done <"$log"
	if ((rc != 0)) && ! grep -q '^not ok - ' "$log"; then
		result fail "${*##*/} (exit $rc, no result)"
	fi
	echo "# ${1##*/}: $((SECONDS - t0)) s"
}

finish() {
	((${#failures[@]})) && printf 'failed: %s\n' "${failures[@]}"
	echo "$passed passed, $failed failed, $skipped skipped"
	((failed == 0))
	exit
}

