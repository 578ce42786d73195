#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make demo: build bonding.ko, boot a Debian kernel in QEMU and show
# balance-slb at work (tools/demo/demo-vm.sh) as readable text.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
tools/deps.sh
KVER=${1:-$(tools/kernel.sh latest host)}
echo "building bonding.ko for $KVER ..."
make -s module KVER="$KVER" >build.log.tmp 2>&1 || { cat build.log.tmp; exit 1; }
rm -f build.log.tmp
make -s slbgen >/dev/null
img=$(tools/kernel.sh image "$KVER")
demo=$ROOT/build/demo
rm -rf "$demo"
mkdir -p "$demo/vm"
cp selftests/*.sh "$demo/"
cp tools/demo/demo-vm.sh "$demo/vm/demo.sh"
echo "booting $KVER under QEMU (about a minute) ..."
rc=0
tools/vm/run.sh --kver "$KVER" --image-root "$img" --module "build/$KVER/bonding.ko" \
	--tests "$demo" --out "$ROOT/build/demo/out" --extra-bin build/tools/slbgen \
	>"$demo/ktap.txt" 2>"$demo/run.err" || rc=$?
# the guest's output, without the KTAP framing
sed -n 's/^# \{0,1\}//p' "$demo/ktap.txt" |
	sed -n '/^=== Topology/,/^result:/p' | grep -v '^result:'
if [ $rc -ne 0 ]; then
	echo "demo: the VM run failed (see $demo/ktap.txt and $demo/out/console.log)" >&2
	exit $rc
fi
