#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build a debug kernel (KASAN, lockdep, kmemleak, ...) from the same Debian
# linux-source-<series> package as the Debian kernel of that series, for
# make check-debug (and its KCSAN variant for make check-kcsan).  Nothing
# is installed: the full source tree and the build live under the cache.
#
#   debug-kernel.sh source SERIES   unpack the whole linux-source tree,
#                                   print its directory
#   debug-kernel.sh build SERIES [VARIANT]
#                                   configure and build (cached), print
#                                   KVER= KSRC= KDIR= IMAGE= lines
#
# VARIANT: debug (default) is x86_64_defconfig + tools/debug-kernel/config;
# kcsan adds tools/debug-kernel/config-kcsan on top (KCSAN instead of KASAN
# and kmemleak, with line numbers).  Fragments are merged in that order,
# then olddefconfig; every line of them must survive, the last fragment's
# line where two name the same symbol.  The build is cached in
# $SLB_CACHE/debug-kernel/<debian version>-[<variant>-]<config hash>/:
#   obj/    the O= build tree (KDIR for external modules)
#   image/  boot/vmlinuz-<release>, boot/config-<release>, lib/modules/
#           (the layout tools/vm/run.sh --image-root wants)
#   build.log, build-seconds
# Changing the fragment, the compiler or the Debian version is a new key.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${SLB_CACHE:-$ROOT/.cache}
DCACHE=$CACHE/debug-kernel
FRAGS=("$ROOT/tools/debug-kernel/config")
JOBS=${SLB_JOBS:-$(nproc)}

die() { echo "debug-kernel.sh: error: $*" >&2; exit 1; }
note() { echo "debug-kernel.sh: $*" >&2; }

# the Debian release and package version of a series' newest kernel
release_of() { "$ROOT/tools/kernel.sh" latest "$1"; }

source_tree() {
	local s=$1 kver v dir
	kver=$(release_of "$s")
	v=$("$ROOT/tools/kernel.sh" version "$kver")
	dir=$DCACHE/src/$s-$v
	if [[ ! -e $dir/.done ]]; then
		rm -rf "$dir" "$dir.tmp"
		mkdir -p "$dir.tmp"
		"$ROOT/tools/kernel.sh" tarball "$kver" |
			tar -x -C "$dir.tmp" --strip-components=1 ||
			die "cannot unpack linux-source-$s $v"
		[[ -e $dir.tmp/Makefile && -e $dir.tmp/arch/x86/configs/x86_64_defconfig ]] ||
			die "linux-source-$s $v: no kernel tree in the package"
		mv "$dir.tmp" "$dir"
		touch "$dir/.done"
	fi
	echo "$dir"
}

# make_config SRC OUT: x86_64_defconfig + the fragments into OUT/.config
make_config() {
	local src=$1 o=$2 line sym bad=0
	local -A want=()
	mkdir -p "$o"
	make -s -C "$src" O="$o" x86_64_defconfig >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$o" "$o/.config" "${FRAGS[@]}" >"$o/merge.log" 2>&1 ||
		{ cat "$o/merge.log" >&2; die "merge_config failed"; }
	make -s -C "$src" O="$o" olddefconfig >/dev/null
	# what the fragments ask for, a later fragment's line winning (as in
	# merge_config)
	while IFS= read -r line; do
		if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
			want[${BASH_REMATCH[1]}]=$line
		elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			want[${BASH_REMATCH[1]}]=$line
		fi
	done < <(cat "${FRAGS[@]}")
	# every one of them must be in the result
	for sym in "${!want[@]}"; do
		line=${want[$sym]}
		if [[ $line == CONFIG_* ]]; then
			grep -qxF "$line" "$o/.config" ||
				{ note "config: wanted $line, got: $(grep -E "^(# )?${sym}[= ]" "$o/.config" || echo nothing)"; bad=1; }
		elif grep -qE "^$sym=" "$o/.config"; then
			note "config: wanted $sym off, got: $(grep -E "^$sym=" "$o/.config")"; bad=1
		fi
	done
	((bad == 0)) || die "config fragments ${FRAGS[*]} do not apply (see above)"
}

build() {
	local s=$1 variant=$2 src v kver key dir o tmp t0 krel
	case $variant in
	debug) ;;
	kcsan) FRAGS+=("$ROOT/tools/debug-kernel/config-kcsan") ;;
	*) die "unknown variant $variant (debug or kcsan)" ;;
	esac
	src=$(source_tree "$s")
	kver=$(release_of "$s")
	v=$("$ROOT/tools/kernel.sh" version "$kver")
	mkdir -p "$DCACHE"
	exec 8>"$DCACHE/.lock"
	flock 8
	tmp=$DCACHE/config.tmp
	rm -rf "$tmp"
	make_config "$src" "$tmp"
	# the default keeps its old key: caches made before variants stay valid
	key=$v-$(sha256sum "$tmp/.config" | cut -c1-12)
	[[ $variant == debug ]] || key=$v-$variant-${key#"$v-"}
	dir=$DCACHE/$key
	o=$dir/obj
	if [[ ! -e $dir/.done ]]; then
		# a half-built tree of the same key is resumed, not redone
		mkdir -p "$o"
		if ! cmp -s "$tmp/.config" "$o/.config"; then
			rm -rf "$o"; mkdir -p "$o"
			cp "$tmp/.config" "$o/.config"
		fi
		note "building debug kernel $key in $o ($JOBS jobs, log $dir/build.log)"
		t0=$SECONDS
		# lowest CPU and I/O priority: the VM tests running beside it keep
		# their timing
		if ! nice -n 19 ionice -c3 make -C "$src" O="$o" -j"$JOBS" bzImage modules \
			>"$dir/build.log" 2>&1; then
			tail -40 "$dir/build.log" >&2
			die "debug kernel build failed (log $dir/build.log)"
		fi
		krel=$(make -s -C "$src" O="$o" kernelrelease)
		rm -rf "$dir/image"
		mkdir -p "$dir/image/boot"
		make -s -C "$src" O="$o" INSTALL_MOD_PATH="$dir/image" modules_install \
			>>"$dir/build.log" 2>&1 || die "modules_install failed"
		cp "$o/arch/x86/boot/bzImage" "$dir/image/boot/vmlinuz-$krel"
		cp "$o/.config" "$dir/image/boot/config-$krel"
		cp "$o/System.map" "$dir/image/boot/System.map-$krel"
		echo "$krel" >"$dir/kver"
		echo $((SECONDS - t0)) >"$dir/build-seconds"
		touch "$dir/.done"
		note "debug kernel $krel built in $(cat "$dir/build-seconds") s"
	fi
	rm -rf "$tmp"
	echo "KVER=$(cat "$dir/kver")"
	echo "KSRC=$src"
	echo "KDIR=$o"
	echo "IMAGE=$dir/image"
	echo "BUILD_SECONDS=$(cat "$dir/build-seconds")"
}

cmd=${1:-}
shift || true
case $cmd in
source) source_tree "${1:-6.12}" ;;
build) build "${1:-6.12}" "${2:-debug}" ;;
*) die "usage: debug-kernel.sh source SERIES | build SERIES [debug|kcsan]" ;;
esac
