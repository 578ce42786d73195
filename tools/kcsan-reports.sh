#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The KCSAN reports of a console log (make check-kcsan), each distinct race
# once, its frames turned into file:line: first those in balance-slb (a
# frame of either stack is bond_slb_* or one of our static slb_* helpers)
# with both stacks in full, then those in upstream code only with the top
# of each stack.  Under each racing access, the source line it is on: that
# line names the variable.
#
#   kcsan-reports.sh CONSOLE VMLINUX BONDING_KO KSRC [COPY] >reports.txt
#
# VMLINUX and BONDING_KO with line tables (tools/debug-kernel/config-kcsan
# has CONFIG_DEBUG_INFO_REDUCED); KSRC the kernel tree they were built from
# (its scripts/faddr2line, the upstream sources); COPY a copy of this
# repository's src/ and include/ as the module was built from them
# (check-debug.sh makes one): the source lines of our files are read there,
# as src/ may have been edited during the run.  Two reports are the same
# race when both accesses are at the same places: the key is the pair of
# innermost frames, as for KCSAN's own rate limit.  The judging is
# run.sh --kcsan's (kcsan_slb); this only explains.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "kcsan-reports.sh: $*" >&2; exit 2; }
(($# == 4 || $# == 5)) || die "usage: kcsan-reports.sh CONSOLE VMLINUX BONDING_KO KSRC [COPY]"
console=$1 vmlinux=$2 ko=$3 ksrc=$4 copy=${5:-$ROOT}
for f in "$console" "$vmlinux" "$ko" "$ksrc/scripts/faddr2line"; do
	[[ -e $f ]] || die "no $f"
done
# as the line tables have it: absolute
ksrc=$(readlink -f "$ksrc")
# upstream reports: this many frames of each stack
TOP=4

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sed -e 's/\r$//' "$console" | awk -f "$ROOT/tools/vm/kcsan.awk" >"$tmp/records"

# Distinct races in order of first sight: a "race" line (ours|caller|
# upstream, how often, the tests) and the first report's own lines; frames
# to decode are marked "frame+ ", the others "frame ".  "caller": ours
# only as a caller, both racing accesses (innermost frames) upstream's.
awk -v top="$TOP" '
function flush(   k, i, t) {
	k = ((a1 < a2) ? a1 "|" a2 : a2 "|" a1) "|" ours
	if (!(k in count)) {
		order[++n] = k
		kind[k] = !ours ? "upstream" : direct ? "ours" : "caller"
		body[k] = ""
		for (i = 1; i <= nl; i++) {
			t = ln[i]
			if (t ~ /^frame / && (ours || depth[i] <= top))
				sub(/^frame /, "frame+ ", t)
			body[k] = body[k] t "\n"
		}
	}
	count[k]++
	if (index("," tests[k] ",", "," test ",") == 0)
		tests[k] = tests[k] (tests[k] == "" ? "" : ",") test
}
/^report / { test = substr($0, 8); nl = 0; ours = direct = 0; na = 0; a1 = a2 = ""; next }
/^end$/ { flush(); next }
/^access / { na++; d = 0 }
/^frame / {
	d++
	f = substr($0, 7)
	if (d == 1) { if (na <= 1) a1 = f; else a2 = f }
	if (f ~ /^(bond_)?slb_[A-Za-z0-9_]+\+0x/) {
		ours = 1
		if (d == 1) direct = 1
	}
}
{ ln[++nl] = $0; depth[nl] = d }
END {
	split("ours caller upstream", kinds, " ")
	for (c = 1; c <= 3; c++)
		for (i = 1; i <= n; i++) {
			k = order[i]
			if (kind[k] != kinds[c]) continue
			printf "race %s %d %s\n", kind[k], count[k], tests[k]
			printf "%s", body[k]
		}
}' "$tmp/records" >"$tmp/races"

# file:line of the marked frames: where[func+0xoff]="func at file:line"
# lines, innermost (inlined) first
declare -A where=()
# the module: faddr2line (a relocatable object, sections to tell apart)
decode_ko() {	# OBJECT FRAME...
	local obj=$1 line key=""
	shift
	(($#)) || return 0
	"$ksrc/scripts/faddr2line" "$obj" "$@" >"$tmp/dec" 2>>"$tmp/dec.err" || true
	while IFS= read -r line; do
		if [[ $line =~ ^([A-Za-z0-9_.]+\+0x[0-9a-f]+)/0x[0-9a-f]+:$ ]]; then
			key=${BASH_REMATCH[1]}
		elif [[ -n $line && -n $key ]]; then
			where[$key]+=$line$'\n'
		elif [[ -z $line ]]; then
			key=""
		fi
	done <"$tmp/dec"
}
# vmlinux: System.map's address + the offset, one addr2line for all
# (faddr2line reads vmlinux's 140000 symbols again for each frame: ~20 s);
# of two symbols of one name, the one of the frame's size (kallsyms' size:
# up to the next symbol), else the first
decode_vmlinux() {	# FRAME...
	local f name off size a next pick line key="" addrs=()
	local -A cand=() at=()
	(($#)) || return 0
	while read -r name a next; do
		cand[$name]+=" $a:$next"
	done < <(printf '%s\n' "$@" | sed 's/+.*//' | sort -u |
		awk 'FILENAME == "-" { ok[$1] = 1; next }
		     prev != "" { print prev, $1; prev = "" }
		     ($3 in ok) { prev = $3 " " $1 }' - "$(dirname "$vmlinux")/System.map")
	for f; do
		name=${f%%+*} off=${f#*+} size=${off#*/} off=${off%/*} pick=""
		for a in ${cand[$name]:-}; do
			next=${a#*:} a=${a%:*}
			[[ -n $pick ]] || pick=$a
			if (($((0x$next - 0x$a)) == size)); then pick=$a; break; fi
		done
		[[ -n $pick ]] || continue
		a=$(printf '0x%x' $((0x$pick + off)))
		at[$a]=${f%/*}
		addrs+=("$a")
	done
	((${#addrs[@]})) || return 0
	addr2line -a -f -i -e "$vmlinux" "${addrs[@]}" >"$tmp/dec" 2>>"$tmp/dec.err" || true
	# "0xADDR", then a function line and a file:line per inlining level
	while IFS= read -r line; do
		if [[ $line =~ ^0x0*([0-9a-f]+)$ ]]; then
			key=${at[0x${BASH_REMATCH[1]}]:-}
			name=""
		elif [[ -z $name ]]; then
			name=$line
		else
			[[ -z $key ]] ||
				where[$key]+="${where[$key]:+(inlined by) }$name at $line"$'\n'
			name=""
		fi
	done <"$tmp/dec"
}
mapfile -t kframes < <(sed -n 's/^frame+ \([^ ]*\)$/\1/p' "$tmp/races" | sort -u)
mapfile -t bframes < <(sed -n 's/^frame+ \([^ ]*\) \[bonding\]$/\1/p' "$tmp/races" | sort -u)
decode_vmlinux "${kframes[@]}"
decode_ko "$ko" "${bframes[@]}"

# a path as faddr2line prints it -> the file to read, and how to show it:
# the kernel's relative to KSRC, the module's by their place in this
# repository (our files are links from build/<release>/ into src/)
realpath_of() {
	local p=$1
	[[ $p == /* ]] || p=$ksrc/$p
	p=$(readlink -f "$p" 2>/dev/null || echo "$p")
	case $p in
	"$ROOT"/src/*|"$ROOT"/include/*) p=$copy/${p#"$ROOT"/} ;;
	esac
	echo "$p"
}
shown_path() {
	local p=$1 r
	[[ $p == /* ]] || { echo "$p"; return; }
	r=$(readlink -f "$p" 2>/dev/null || echo "$p")
	case $r in
	"$ksrc"/*) echo "${r#"$ksrc"/}" ;;
	*) echo "${r#"$ROOT"/}" ;;
	esac
}

# print, the marked frames followed by where they are; the first frame of
# each stack also by its source line
first=0
nours=$(grep -c -E '^race (ours|caller) ' "$tmp/races" || true)
nup=$(grep -c '^race upstream ' "$tmp/races" || true)
echo "KCSAN reports in $console"
echo "$(grep -c '^report ' "$tmp/records" || true) reports printed (a race is printed at most once a minute), $((nours + nup)) distinct races: $nours in balance-slb, $nup in upstream code only"
section=""
k=0
while IFS= read -r l; do
	case $l in
	"race "*)
		read -r _ cls cnt tests <<<"$l"
		if [[ ${cls/caller/ours} != "$section" ]]; then
			section=${cls/caller/ours}
			echo
			if [[ $section == ours ]]; then
				echo "======== races in balance-slb (a frame bond_slb_* or slb_*; those marked \"ours only as a caller\" do not fail kcsan_slb): $nours"
			else
				echo "======== races in upstream code only (listed, not failed): $nup"
			fi
		fi
		k=$((k + 1))
		echo
		echo "--- [$k] printed $cnt time(s), during: ${tests//,/, }"
		[[ $cls != caller ]] ||
			echo "(ours only as a caller: both racing accesses are in upstream code)" ;;
	"title "*) echo "BUG: KCSAN: ${l#title }" ;;
	"access "*) echo; echo "${l#access }"; first=1 ;;
	"info "*) echo "  ${l#info }" ;;
	"frame "*) echo "  ${l#frame }"; first=0 ;;
	"frame+ "*)
		f=${l#frame+ }
		echo "  $f"
		key=${f%% *}
		key=${key%/*}
		if [[ -n ${where[$key]:-} ]]; then
			n=0
			while IFS= read -r w; do
				n=$((n + 1))
				# "func at path:line (discriminator N)", " (inlined by) ..."
				if [[ $w =~ ^(.*\ at\ )([^:]+):([0-9]+)(.*)$ ]]; then
					echo "      ${BASH_REMATCH[1]}$(shown_path "${BASH_REMATCH[2]}"):${BASH_REMATCH[3]}${BASH_REMATCH[4]}"
					if ((first && n == 1)); then
						src=$(realpath_of "${BASH_REMATCH[2]}")
						[[ ! -r $src ]] ||
							echo "          | $(sed -n "${BASH_REMATCH[3]}{s/^[[:space:]]*//;p}" "$src")"
					fi
				else
					echo "      $w"
				fi
			done <<<"${where[$key]%$'\n'}"
		fi
		first=0 ;;
	esac
done <"$tmp/races"
if [[ -s $tmp/dec.err ]]; then
	echo
	echo "(faddr2line: $(sort -u "$tmp/dec.err" | head -5 | tr '\n' ' '))"
fi
