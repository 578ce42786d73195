#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Render the gnuplot scripts the simulator wrote (plot-*.gp) into PNGs.
# gnuplot is optional: without it the CSVs are still there.
set -euo pipefail

dir=${1:?usage: plot.sh DIR}
if ! command -v gnuplot >/dev/null; then
	echo "bench-sim: gnuplot not installed, skipping plots (apt-get install gnuplot-nox; CSVs are in $dir)"
	exit 0
fi
# plain (libgd) png keeps the files small: a palette, no anti-aliasing
term="png size 1000,1100"
gnuplot -e "set terminal png" </dev/null 2>/dev/null || term="pngcairo size 1000,1100"
cd "$dir"
for gp in plot-*.gp; do
	[[ -e $gp ]] || continue
	gnuplot -e "set terminal $term" "$gp"
	name=${gp#plot-}
	echo "bench-sim: wrote $dir/util-${name%.gp}.png"
done
