# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Sourced: pristine upstream tarballs out of Debian's archive, verified.
# A private deb-src list with its own apt lists and cache (APTDIR; the
# system's apt configuration and state are not changed) names the newest
# suites and the host's own release; apt checks their signed Release files
# and the Sources indexes against them, and a tarball counts only with the
# SHA256 an index gives for it.  A version whose tarball the archive does
# not serve (an index can name a file the pool does not have yet) is
# skipped for the next older one.
#
#   fetch_orig PKG [VERSION]   the verified .orig tarball's path; next to
#                              it PATH.origin: "upstream-version
#                              debian-version suite sha256 file"
#
# The caller sets APTDIR, ORIGDIR, CACHE and die/note.  SLB_DEBIAN_MIRROR
# and SLB_DEBIAN_SUITE="<suite>..." override the mirror and the suites.

APT_HELPER=/usr/lib/apt/apt-helper

apt_private() {	# apt-get/apt-helper with only our deb-src list and state
	local tool=$1; shift
	"$tool" -q -o Dir::Etc::SourceList="$APTDIR/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$APTDIR/lists" \
		-o Dir::Cache="$APTDIR/cache" \
		-o APT::Sandbox::User="$(id -un)" "$@"
}

# the Debian archive the system's apt uses (not its security archive)
debian_mirror() {
	local uri suite
	if [[ -n ${SLB_DEBIAN_MIRROR:-} ]]; then
		echo "${SLB_DEBIAN_MIRROR%/}"
		return
	fi
	# shellcheck disable=SC2016 # apt's own $(FIELD) syntax
	while read -r uri suite; do
		[[ $suite == *-security ]] && continue
		echo "${uri%/}"
		return
	done < <(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' \
			'Origin: Debian' 'Identifier: Packages' 2>/dev/null | sort -u)
	echo http://deb.debian.org/debian
}

# deb-src lines: the newest suites first, and the host's own release
write_sources() {
	local list=$APTDIR/sources.list.new key=/usr/share/keyrings/debian-archive-keyring.gpg
	local opt="" mirror suite suites own=""
	[[ -r $key ]] && opt="[signed-by=$key] "
	mirror=$(debian_mirror)
	# shellcheck disable=SC1091
	[[ -r /etc/os-release ]] && own=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	suites=${SLB_DEBIAN_SUITE:-unstable testing stable-backports $own}
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
	: >"$list"
	for suite in $suites; do
		echo "deb-src $opt$mirror $suite main" >>"$list"
	done
	[[ -s $list ]] || die "no Debian suite to search (SLB_DEBIAN_SUITE is empty)"
	mv "$list" "$APTDIR/sources.list"
}

update_lists() {
	write_sources
	# the lists are refreshed once a day, or when the sources change
	if [[ -e $APTDIR/lists/.done ]] &&
	   cmp -s "$APTDIR/sources.list" "$APTDIR/lists/.done" &&
	   [[ -z $(find "$APTDIR/lists/.done" -mmin +1440) ]]; then
		return
	fi
	# any index that fails counts: apt would use an old one silently
	if apt_private apt-get --error-on=any update >&2; then
		cp "$APTDIR/sources.list" "$APTDIR/lists/.done"
	elif [[ -e $APTDIR/lists/.done ]] &&
	     cmp -s "$APTDIR/sources.list" "$APTDIR/lists/.done"; then
		note "apt-get update failed: using the lists of $(date -r "$APTDIR/lists/.done" +%F)"
	else
		die "apt-get update of the private deb-src list failed ($APTDIR/sources.list)"
	fi
}

# One line per PKG source package in the verified Sources indexes:
# "upstream-version debian-version suite directory/file sha256 size".
# Newest upstream version first.
list_origs() {	# PKG
	local pkg=$1 f suite code trusted
	# parsed once per update of the lists
	if [[ $APTDIR/origs.$pkg -nt $APTDIR/lists/.done ]]; then
		cat "$APTDIR/origs.$pkg"
		return
	fi
	# the Sources files of our list that apt verified, nothing stale
	# shellcheck disable=SC2016 # apt's own $(FIELD) syntax
	while read -r f suite code trusted; do
		[[ $trusted == yes && -e $f ]] || continue
		[[ -z $code || $code == "$suite" ]] || suite+="($code)"
		"$APT_HELPER" cat-file "$f" | awk -v suite="$suite" -v want="$pkg" '
		function flush() {
			if (pkg == want && file != "") {
				up = ver; sub(/^[0-9]+:/, "", up); sub(/-[^-]*$/, "", up)
				print up, ver, suite, dir "/" file, sum, size
			}
			pkg = ver = dir = file = sum = size = ""; insum = 0
		}
		/^$/ { flush(); next }
		/^Package:/ { pkg = $2 }
		/^Version:/ { ver = $2 }
		/^Directory:/ { dir = $2 }
		/^[^ ]/ { insum = ($1 == "Checksums-Sha256:") ; next }
		insum && $3 ~ /\.orig\.tar\.[a-z0-9]+$/ { sum = $1; size = $2; file = $3 }
		END { flush() }'
	done < <(apt_private apt-get indextargets \
			--format '$(FILENAME) $(SUITE) $(CODENAME) $(TRUSTED)' \
			'Identifier: Sources') | sort -k1,1Vr -k2,2Vr >"$APTDIR/origs.$pkg.new"
	mv "$APTDIR/origs.$pkg.new" "$APTDIR/origs.$pkg"
	cat "$APTDIR/origs.$pkg"
}

# the verified orig tarball, downloaded once; its path on stdout
fetch_orig() {	# PKG [VERSION]
	local pkg=$1 want=${2:-} mirror cands up ver suite path sum size
	local file tried=() seen=" "
	update_lists
	mirror=$(debian_mirror)
	cands=$(list_origs "$pkg")
	[[ -n $cands ]] || die "no $pkg source package in the Sources indexes of $APTDIR/sources.list"
	if [[ -n $want ]]; then
		cands=$(awk -v w="$want" '$1 == w || $2 == w' <<<"$cands")
		[[ -n $cands ]] || die "$pkg $want is in no Sources index of $APTDIR/sources.list (they have: $(list_origs "$pkg" | awk '{print $2}' | sort -uV | tr '\n' ' '))"
	fi
	mkdir -p "$ORIGDIR"
	while read -r up ver suite path sum size; do
		[[ $seen == *" $up "* ]] && continue
		file=${path##*/}
		# a cached tarball counts only with the checksum an index gives
		if [[ -e $ORIGDIR/$file ]] &&
		   [[ $(sha256sum "$ORIGDIR/$file" | cut -d' ' -f1) == "$sum" ]]; then
			echo "$up $ver $suite $sum $file" >"$ORIGDIR/$file.origin"
			echo "$ORIGDIR/$file"
			return
		fi
		note "fetching $file ($size bytes, listed by $suite's Sources as $pkg $ver)"
		rm -f "$ORIGDIR/$file.tmp"
		if apt_private "$APT_HELPER" download-file "$mirror/$path" \
				"$ORIGDIR/$file.tmp" "SHA256:$sum" >"$ORIGDIR/err" 2>&1 &&
		   [[ $(sha256sum "$ORIGDIR/$file.tmp" | cut -d' ' -f1) == "$sum" ]]; then
			mv "$ORIGDIR/$file.tmp" "$ORIGDIR/$file"
			rm -f "$ORIGDIR/err"
			echo "$up $ver $suite $sum $file" >"$ORIGDIR/$file.origin"
			echo "$ORIGDIR/$file"
			return
		fi
		note "$pkg $up: not downloadable or not matching, skipped: $(grep -m1 '^E:' "$ORIGDIR/err" || echo "$mirror/$path: checksum mismatch")"
		rm -f "$ORIGDIR/$file.tmp" "$ORIGDIR/err"
		# all packages of one upstream version share the one tarball
		seen+="$up "
		tried+=("$up")
	done <<<"$cands"
	[[ -z $want ]] || die "$pkg $want: the archive does not serve its tarball"
	die "no $pkg upstream tarball could be fetched (tried ${tried[*]})"
}
