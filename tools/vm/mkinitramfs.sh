#!/bin/bash
# Build the test initramfs for one Debian kernel image.
#
#   mkinitramfs.sh OUT.cpio.{zst,gz} --image-root DIR --kver REL
#                  --module PATH/bonding.ko --tests DIR
#                  [--init FILE] [--extra-modules "m1 m2"] [--extra-ko PATH]...
#                  [--extra-bin PATH]... [--extra-tree DIR]...
#
# The userland is copied from the host (bash, busybox, iproute2, ethtool,
# tcpdump, kmod, ping, timeout + their shared libraries); the kernel modules
# come from the image.  The image's own bonding.ko is left out and the given
# one is installed as updates/bonding.ko, so only ours can ever be loaded.
#
# --tests is either the selftests dir (lib.sh + vm/*.sh) or the vm dir itself
# (the selftests dir is then its parent).  Guest layout: every top-level file
# of the selftests dir (lib.sh, other shared helpers) in /selftests/, the vm
# dir in /selftests/vm/, so a test's `source "$(dirname "$0")/../lib.sh"`
# works both in the repo and in the guest.
#
# --extra-bin copies a host program (e.g. a test traffic generator built by
# the Makefile) with its shared libraries into /usr/bin.
#
# --extra-tree copies a file tree (unpacked Debian packages: see
# guest-debs.sh) into the guest's root, /bin, /sbin and /lib into /usr as the
# guest is merged-/usr, without documentation; its ELF files get their
# shared libraries.  It goes in before busybox, whose applets never shadow
# a real program (ifupdown's ifup over busybox's).
#
# The compression follows the output name: .zst -> zstd, otherwise gzip -1.
# Both Debian kernels (6.1, 6.12) have CONFIG_RD_ZSTD=y and CONFIG_RD_GZIP=y;
# we check the image's config anyway and fall back to gzip.
set -euo pipefail

die() { echo "mkinitramfs: $*" >&2; exit 1; }

out="" image_root="" kver="" module="" tests="" init=""
extra_mods=() extra_kos=() extra_bins=() extra_trees=()
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

while [ $# -gt 0 ]; do
	case "$1" in
	--image-root) image_root=$2; shift 2 ;;
	--kver) kver=$2; shift 2 ;;
	--module) module=$2; shift 2 ;;
	--tests) tests=$2; shift 2 ;;
	--init) init=$2; shift 2 ;;
	--extra-modules) read -r -a em <<<"${2//,/ }"; extra_mods+=("${em[@]}"); shift 2 ;;
	--extra-ko) extra_kos+=("$2"); shift 2 ;;
	--extra-bin) extra_bins+=("$2"); shift 2 ;;
	--extra-tree) extra_trees+=("$2"); shift 2 ;;
	-h|--help) sed -n '2,20p' "$0"; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) [ -z "$out" ] || die "more than one output given"; out=$1; shift ;;
	esac
done
[ -n "$out" ] || die "no output file given"
if [ -z "$image_root" ] || [ -z "$kver" ] || [ -z "$module" ] || [ -z "$tests" ]; then
	die "need --image-root, --kver, --module and --tests"
fi
init=${init:-$here/init}
moddir=$image_root/lib/modules/$kver
[ -d "$moddir" ] || die "no $moddir"
[ -f "$module" ] || die "no module $module"
[ -d "$tests" ] || die "no test directory $tests"
[ -f "$init" ] || die "no init $init"
# --tests may name the selftests dir (lib.sh + vm/) or the vm/ dir itself
if [ -f "$tests/lib.sh" ] && [ -d "$tests/vm" ]; then top=$tests tests=$tests/vm
elif [ -f "$tests/../lib.sh" ]; then top=$tests/..
else die "no lib.sh in or above $tests"; fi
for b in "${extra_bins[@]}"; do [ -x "$b" ] || die "no program $b"; done
for t in "${extra_trees[@]}"; do [ -d "$t" ] || die "no directory $t"; done

# Modules the tests rely on (an error if the image lacks one); bonding's own
# dependencies are added below.
modules=(veth bridge 8021q sch_netem cls_flower act_gact act_mirred
	sch_ingress pktgen dummy tls "${extra_mods[@]}")
# cheap extras that bonding tests commonly want, taken if the image has them
optional_modules=(cls_matchall cls_u32 act_vlan act_skbedit act_pedit
	sch_prio sch_tbf sch_multiq macvlan ipvlan nlmon)

stage=$(mktemp -d "${TMPDIR:-/tmp}/slb-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# Debian 12 is merged-/usr: keep the same shape so ldd's paths
# (/lib/x86_64-linux-gnu/..., /lib64/ld-linux...) land in the right place.
mkdir -p "$stage"/usr/{bin,sbin,lib,lib64} "$stage"/{dev,proc,sys,tmp,run,root,etc,selftests/vm}
ln -s usr/bin "$stage/bin"
ln -s usr/sbin "$stage/sbin"
ln -s usr/lib "$stage/lib"
ln -s usr/lib64 "$stage/lib64"
# /var/run is /run, as on Debian: an ip built with iproute2's default
# NETNS_RUN_DIR (/var/run/netns, make iproute2's) finds Debian's /run/netns
mkdir -p "$stage/var"
ln -s ../run "$stage/var/run"

# --- userland ---------------------------------------------------------------
declare -A libs=()
add_libs() { # collect the shared objects (and the loader) a binary needs
	local f
	for f in $(ldd "$1" 2>/dev/null | grep -o '/[^ )]*' || true); do
		libs[$f]=1
	done
}
add_bin() { # add_bin HOSTPATH [GUESTPATH]: copy one executable with its libs
	local src=$1 dst=${2:-$1}
	mkdir -p "$stage$(dirname "$dst")"
	cp -L "$src" "$stage$dst"
	add_libs "$src"
}
need_bin() {
	local p
	p=$(command -v "$1") || die "host lacks $1"
	add_bin "$(readlink -f "$p")" "$p"
}

for b in bash ip bridge tc ethtool tcpdump timeout ping kmod; do need_bin "$b"; done
# optional helpers: only if the host has them (readlink: the upstream
# selftests' libraries want coreutils' readlink -e, busybox has no -e;
# pgrep/pkill: busybox-static has neither; run-parts: ifupdown calls it
# with --verbose, which busybox's lacks)
for b in jq ss nstat socat readlink pgrep pkill run-parts; do
	if command -v "$b" >/dev/null; then need_bin "$b"; fi
done
for b in "${extra_bins[@]}"; do add_bin "$(readlink -f "$b")" "/usr/bin/${b##*/}"; done
for t in "${extra_trees[@]}"; do
	while IFS= read -r -d '' f; do
		rel=${f#./}
		case $rel in
		.done|usr/share/doc/*|usr/share/man/*|usr/share/lintian/*|usr/share/bug/*) continue ;;
		bin/*|sbin/*|lib/*) dst=/usr/$rel ;;
		*) dst=/$rel ;;
		esac
		mkdir -p "$stage$(dirname "$dst")"
		cp -P "$t/$rel" "$stage$dst"
		if [ -f "$t/$rel" ] && [ ! -L "$t/$rel" ] &&
		   [ "$(head -c 4 "$t/$rel" | tr -d '\0')" = "$(printf '\177ELF')" ]; then
			add_libs "$t/$rel"
		fi
	done < <(cd "$t" && find . \( -type f -o -type l \) -print0)
done
# iputils' ping is ping6 when called so (the upstream selftests call ping6;
# busybox's would not take their fractional -i)
for t in ping4 ping6; do ln -sf ping "$stage/usr/bin/$t"; done
for t in modprobe insmod rmmod lsmod modinfo depmod; do
	ln -sf ../bin/kmod "$stage/usr/sbin/$t"
done
ln -sf bash "$stage/usr/bin/sh"

# tc loads netem distribution tables (and q_/m_ plugins) from its lib dir.
for d in /usr/lib/x86_64-linux-gnu/tc /usr/lib/tc /usr/lib64/tc; do
	[ -d "$d" ] || continue
	mkdir -p "$stage$d"
	cp -aL "$d/." "$stage$d/"
	for so in "$d"/*.so; do [ -e "$so" ] && add_libs "$so"; done
done

# busybox fills in every other tool; never shadow a real host binary.
bb=$(command -v busybox) || die "host lacks busybox"
add_bin "$(readlink -f "$bb")" /usr/bin/busybox
for a in $("$bb" --list-full); do
	case "$a" in
	*/linuxrc|linuxrc|*/init|init) continue ;;
	esac
	base=${a##*/}
	# skip if a copied tool of that name exists in any bin dir
	if [ -e "$stage/usr/bin/$base" ] || [ -e "$stage/usr/sbin/$base" ] || [ -L "$stage/usr/bin/$base" ] || [ -L "$stage/usr/sbin/$base" ]; then
		continue
	fi
	case "$a" in
	sbin/*|usr/sbin/*) ln -s ../bin/busybox "$stage/usr/sbin/$base" ;;
	*) ln -s busybox "$stage/usr/bin/$base" ;;
	esac
done

for l in "${!libs[@]}"; do
	mkdir -p "$stage$(dirname "$l")"
	[ -e "$stage$l" ] || cp -L "$l" "$stage$l"
done

# tcpdump drops privileges to user "tcpdump" by default; give it one.
cat >"$stage/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/bash
tcpdump:x:104:104:tcpdump:/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$stage/etc/group" <<'EOF'
root:x:0:
tcpdump:x:104:
nogroup:x:65534:
EOF
echo "127.0.0.1 localhost" >"$stage/etc/hosts"
: >"$stage/etc/fstab"

# --- kernel modules ------------------------------------------------------------
smod=$stage/lib/modules/$kver
mkdir -p "$smod/kernel" "$smod/updates"

# name -> path (relative to moddir) for every module the image ships
declare -A modpath=()
while IFS= read -r f; do
	n=${f##*/}; n=${n%%.ko*}; n=${n//-/_}
	modpath[$n]=$f
done < <(cd "$moddir" && find kernel -name '*.ko*' -type f)

# dependencies: from the image's modules.dep if it has one, else modinfo
declare -A depmap=()
if [ -f "$moddir/modules.dep" ]; then
	while IFS= read -r line; do
		m=${line%%:*}; m=${m##*/}; m=${m%%.ko*}; m=${m//-/_}
		d=""
		for p in ${line#*:}; do p=${p##*/}; p=${p%%.ko*}; d+=" ${p//-/_}"; done
		depmap[$m]=$d
	done <"$moddir/modules.dep"
fi
mod_deps() { # mod_deps FILE NAME: hard dependencies
	if [ -n "${depmap[$2]+x}" ]; then
		echo "${depmap[$2]}"
	else
		modinfo -F depends "$1" 2>/dev/null | tr ',' ' '
	fi
}
mod_softdeps() { # softdep "pre: a b post: c" -> a b c
	modinfo -F softdep "$1" 2>/dev/null | tr ' ' '\n' | grep -v -e ':$' -e '^$' || true
}

declare -A want=()
resolve() { # resolve NAME [soft]: add a module and, recursively, its deps
	local n=${1//-/_} d
	[ -n "${want[$n]+x}" ] && return
	[ "$n" = bonding ] && return # only ours
	if [ -z "${modpath[$n]+x}" ]; then
		# built into the kernel is fine; a missing optional one too
		grep -Eq "/(${n}|${n//_/-})\.ko\$" "$moddir/modules.builtin" 2>/dev/null ||
			[ -n "${2:-}" ] || die "module $n not found in $moddir"
		return
	fi
	want[$n]=1
	for d in $(mod_deps "$moddir/${modpath[$n]}" "$n"); do resolve "$d"; done
	for d in $(mod_softdeps "$moddir/${modpath[$n]}"); do resolve "$d" soft; done
}
for m in "${modules[@]}"; do resolve "$m"; done
for m in "${optional_modules[@]}"; do resolve "$m" soft; done
for k in "$module" "${extra_kos[@]}"; do
	for d in $(mod_deps "$k" -); do resolve "$d"; done
	for d in $(mod_softdeps "$k"); do resolve "$d" soft; done
done

for n in "${!want[@]}"; do
	rel=${modpath[$n]}
	dst=$smod/${rel%.ko*}.ko
	mkdir -p "$(dirname "$dst")"
	case "$rel" in
	*.ko) cp "$moddir/$rel" "$dst" ;;
	*.ko.xz) xz -dc "$moddir/$rel" >"$dst" ;;
	*.ko.zst) zstd -qdc "$moddir/$rel" >"$dst" ;;
	*.ko.gz) gzip -dc "$moddir/$rel" >"$dst" ;;
	*) die "unknown module format $rel" ;;
	esac
done
# Locally built modules carry DWARF (~6 MB for bonding); the guest only needs
# the symbol table for stack traces, so drop the debug sections if we can.
add_ko() {
	if command -v strip >/dev/null; then
		strip --strip-debug -o "$2" "$1"
	else
		cp "$1" "$2"
	fi
}
add_ko "$module" "$smod/updates/bonding.ko"
for k in "${extra_kos[@]}"; do add_ko "$k" "$smod/updates/${k##*/}"; done
for f in modules.builtin modules.builtin.modinfo modules.order; do
	[ -f "$moddir/$f" ] && cp "$moddir/$f" "$smod/"
done
# -b wants the root that holds lib/modules; it follows our lib -> usr/lib link
depmod -b "$stage" "$kver"
[ -f "$smod/modules.dep" ] || die "depmod produced no modules.dep"

# --- init and tests ------------------------------------------------------------
install -m 0755 "$init" "$stage/init"
for f in "$top"/*; do # shared helpers: lib.sh and friends, not subdirs
	[ -f "$f" ] && cp "$f" "$stage/selftests/"
done
cp -a "$tests/." "$stage/selftests/vm/"
chmod -R a+rX "$stage/selftests"

# --- archive -------------------------------------------------------------------
comp="gzip -1"
case "$out" in
*.zst|*.zstd)
	if grep -q '^CONFIG_RD_ZSTD=y' "$image_root/boot/config-$kver" 2>/dev/null &&
		command -v zstd >/dev/null; then
		comp="zstd -q -3 -T0"
	else
		echo "mkinitramfs: zstd not usable for this kernel, writing gzip" >&2
	fi
	;;
esac
mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0) | $comp >"$out.tmp"
mv "$out.tmp" "$out"
