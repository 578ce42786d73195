// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The bucket-granular optimum: place whole buckets on slaves of given
 * speeds so that the highest utilisation is as low as possible (scheduling
 * on uniform machines, Q||Cmax; NP-hard, but small cases are easy).
 *
 * Lower bound: max(total / sum of speeds, heaviest bucket / fastest speed).
 * Upper bound: longest-first greedy, then single moves and swaps.
 * Exact: depth-first branch and bound, heaviest bucket first, pruned by a
 * water-filling bound, with a node budget; without a proof the caller
 * compares against the lower bound.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"

#define OPT_EPS		1e-9

struct bb {
	double p[SLB_BUCKETS];		/* loads, heaviest first */
	double suffix[SLB_BUCKETS + 1];	/* sum of p[i..] */
	double s[SIM_MAX_SLAVES];
	double l[SIM_MAX_SLAVES];
	unsigned int n, m;
	double best;
	long nodes, budget;
	bool aborted;
};

static int dcmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * Smallest T with sum_j max(0, T * s_j - l_j) >= rem: no placement of the
 * remaining load can end below it.
 */
static double waterfill(const double *l, const double *s, unsigned int m,
			double rem)
{
	double u[SIM_MAX_SLAVES], sl = rem, ss = 0, t = 0;
	unsigned int idx[SIM_MAX_SLAVES], i, j, k;

	for (i = 0; i < m; i++) {
		u[i] = l[i] / s[i];
		idx[i] = i;
	}
	for (i = 1; i < m; i++)
		for (j = i; j > 0 && u[idx[j]] < u[idx[j - 1]]; j--) {
			k = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = k;
		}
	/* fill the least utilised slaves up to a common level */
	for (k = 0; k < m; k++) {
		sl += l[idx[k]];
		ss += s[idx[k]];
		t = sl / ss;
		if (k + 1 == m || t <= u[idx[k + 1]])
			break;
	}
	return t;
}

static void bb_dfs(struct bb *bb, unsigned int i, double curmax)
{
	unsigned int j, k;

	if (i == bb->n) {
		if (curmax < bb->best)
			bb->best = curmax;
		return;
	}
	if (++bb->nodes > bb->budget) {
		bb->aborted = true;
		return;
	}
	if (waterfill(bb->l, bb->s, bb->m, bb->suffix[i]) >=
	    bb->best * (1 - OPT_EPS))
		return;
	for (j = 0; j < bb->m && !bb->aborted; j++) {
		double u = (bb->l[j] + bb->p[i]) / bb->s[j];
		bool twin = false;

		/* a slave equal to one already tried gives the same subtree */
		for (k = 0; k < j; k++)
			if (bb->s[k] == bb->s[j] && bb->l[k] == bb->l[j])
				twin = true;
		if (twin || fmax(u, curmax) >= bb->best * (1 - OPT_EPS))
			continue;
		bb->l[j] += bb->p[i];
		bb_dfs(bb, i + 1, fmax(u, curmax));
		bb->l[j] -= bb->p[i];
	}
}

/* longest first onto the slave that ends up least utilised, then polish */
static double greedy(const struct bb *bb)
{
	double l[SIM_MAX_SLAVES] = { 0 }, mx = 0;
	u8 at[SLB_BUCKETS];
	unsigned int i, j, k, best;
	bool better = true;
	int pass;

	for (i = 0; i < bb->n; i++) {
		best = 0;
		for (j = 1; j < bb->m; j++)
			if ((l[j] + bb->p[i]) / bb->s[j] <
			    (l[best] + bb->p[i]) / bb->s[best])
				best = j;
		l[best] += bb->p[i];
		at[i] = best;
	}
	for (pass = 0; pass < 50 && better; pass++) {
		unsigned int h = 0;

		better = false;
		for (j = 1; j < bb->m; j++)
			if (l[j] / bb->s[j] > l[h] / bb->s[h])
				h = j;
		mx = l[h] / bb->s[h];
		/* a move or a swap off the busiest slave that lowers the pair */
		for (i = 0; i < bb->n && !better; i++) {
			if (at[i] != h)
				continue;
			for (j = 0; j < bb->m && !better; j++) {
				if (j == h)
					continue;
				if (fmax((l[h] - bb->p[i]) / bb->s[h],
					 (l[j] + bb->p[i]) / bb->s[j]) < mx * (1 - OPT_EPS)) {
					l[h] -= bb->p[i];
					l[j] += bb->p[i];
					at[i] = j;
					better = true;
				}
				for (k = 0; k < bb->n && !better; k++) {
					double d = bb->p[i] - bb->p[k];

					if (at[k] != j || d <= 0)
						continue;
					if (fmax((l[h] - d) / bb->s[h],
						 (l[j] + d) / bb->s[j]) < mx * (1 - OPT_EPS)) {
						l[h] -= d;
						l[j] += d;
						at[i] = j;
						at[k] = h;
						better = true;
					}
				}
			}
		}
	}
	mx = 0;
	for (j = 0; j < bb->m; j++)
		mx = fmax(mx, l[j] / bb->s[j]);
	return mx;
}

void opt_solve(const double *load, const double *speed, unsigned int m,
	       long budget, struct opt_result *r)
{
	static struct bb bb;
	double total = 0, stot = 0, smax = 0;
	unsigned int i;

	memset(&bb, 0, sizeof(bb));
	bb.m = m;
	for (i = 0; i < m; i++) {
		bb.s[i] = speed[i];
		stot += speed[i];
		smax = fmax(smax, speed[i]);
	}
	for (i = 0; i < SLB_BUCKETS; i++)
		if (load[i] > 0)
			bb.p[bb.n++] = load[i];
	qsort(bb.p, bb.n, sizeof(double), dcmp_desc);
	bb.suffix[bb.n] = 0;
	for (i = bb.n; i-- > 0;)
		bb.suffix[i] = bb.suffix[i + 1] + bb.p[i];
	total = bb.suffix[0];
	memset(r, 0, sizeof(*r));
	if (!bb.n || !m)
		return;
	r->lb = fmax(total / stot, bb.p[0] / smax);
	r->ub = greedy(&bb);
	if (r->ub <= r->lb * (1 + OPT_EPS)) {
		r->opt = r->ub;
		r->exact = true;
		return;
	}
	bb.best = r->ub;
	bb.budget = budget;
	bb_dfs(&bb, 0, 0);
	r->ub = bb.best;
	r->exact = !bb.aborted;
	r->opt = r->exact ? r->ub : r->lb;
}
