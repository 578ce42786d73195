// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sim - deterministic simulator of the balance-slb rebalancer
 * ===========================================================
 *
 * Drives the real placement and rebalancing code, src/bond_slb_core.c
 * (compiled into this binary exactly as selftests/unit does), the way the
 * kernel glue src/bond_slb_move.c does (see slb.c), over generated load traces,
 * side by side with models of the alternatives (models.c), and compares
 * every one with the best possible placement (opt.c).
 *
 *   make bench-sim          build, run, write build/bench/sim/
 *   sim [--out DIR] [--rev STRING] [--only NAME] [--noise CV] [--seed N]
 *   make bench-sweep        the same over SEEDS variants of every trace
 *
 * Everything is deterministic: fixed PRNG seeds, fixed MAC->bucket hash
 * seed; the same binary prints the same table on every run.
 *
 * Traffic.  Every trace is an hour (3600 s) of per-MAC rate processes on
 * 2, 4 or 8 slaves, equal (all 10G, or all 1G for VoIP) or mixed speeds
 * (half 10G, half 1G), 10 to 4096 MACs, offered load 40 % of the total
 * capacity (but peers).  MAC+VLAN keys (slb_mac_vlan_key()) hash into the 256 buckets
 * with the MurmurHash3 finaliser and a fixed seed.
 *   uniform   all MACs send the same rate
 *   zipf      rate of the k-th MAC ~ 1/k (ranks dealt at random)
 *   eleph     4 (<= 100 MACs) or 16 elephants carry 80 % of the bytes
 *   voip      on/off sources: exponential on (mean 30 s) and off (60 s)
 *             periods, lognormal on-rates; a gateway VM's calls
 *   churn     MACs arrive (Poisson) and leave (exp. lifetime, mean
 *             600 s), lognormal rates (sigma 1)
 *   fail      lognormal rates; one slave fails at 1200 s, returns at 2400 s
 *   peers     make bench-peers' churn run, at its own byte rates: 12 VMs
 *             sending 300, 200, 150, 100, 80, 60, 50, 40, 30, 20, 20 and
 *             10 frames/s of 1000 bytes; every 30 s two of them leave and
 *             two new ones (new MACs, a rate from the list) take their
 *             places (Open vSwitch's thresholds are absolute bytes)
 * "True" load is a MAC's offered rate in that second.  The byte counters
 * the algorithms read add per-second burstiness (uniform, coefficient of
 * variation 10 % per MAC), so a rebalancer that chases noise shows up as
 * moves in steady state.  A bucket's first frame in a second arrives after
 * an exponential time with the bucket's packet rate (1000 B frames); that
 * orders placements within a second.
 *
 * Algorithms.
 *   balance-slb  the real core, driven as the kernel does (slb.c)
 *   ovs-slb      MODEL of Open vSwitch 3.x SLB bonding (models.c)
 *   ovs-old      MODEL of older Open vSwitch (the load-ratio rule)
 *   tlb          MODEL of Linux balance-tlb (models.c)
 *   teamd        MODEL of teamd's basic tx balancer (models.c)
 * The models are written from the projects' documentation (no code taken
 * from them); where it is silent, models.c says what was assumed.
 *
 * Metrics (per trace and algorithm).
 *   util/opt  each second: highest link utilisation (true loads / speed)
 *             divided by the optimum for that second's true bucket loads;
 *             mean, 95th percentile and max over the trace after a 60 s
 *             warm-up.  The optimum is bucket-granular (whole buckets, not
 *             MACs, are placed: that is all any of these algorithms can
 *             do) and exact when branch and bound proves it ("exact");
 *             otherwise the denominator is the proven lower bound
 *             max(total / sum of speeds, heaviest bucket / fastest speed)
 *             ("lb"), and the column shows by how much the best placement
 *             found exceeded it at worst ("lb+0.4%"): the true ratio lies
 *             between the printed one and the printed one / (1 + that).
 *   moves     buckets whose traffic changed slave while at least one MAC
 *             was in them (failover moves included).
 *   /run      moves per rebalancing run (OVS, balance-slb: one run each
 *             interval or failback second; tlb: a clear; teamd: a pass),
 *             mean and maximum.
 *   MACmv/h   MAC moves (a moved bucket moves all its MACs) per MAC present
 *             per hour.
 *   conv      static traces: seconds from the start of a phase (start,
 *             failure, return) to its last move, worst phase; "never" if
 *             moves go on in the second half of a phase.
 *   settle    seconds from the start of a phase until util/opt stays
 *             <= 1.05 for the rest of it, worst phase; "never" if not.
 *   steady    moves in the second half of each phase of a static trace.
 *   /60s      the most moves any one MAC made within 60 s (what a switch's
 *             MAC-flap detection counts; failover moves included).
 *   goal      balance-slb only, from the issue: util/opt mean <= 1.05,
 *             fewer moves than the OVS model, no steady-state moves (the
 *             last only where a steady state exists: not voip or churn).
 */
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "sim.h"

#define SIM_SECS		3600
#define SIM_WARMUP_S		60
#define SIM_LOAD		0.40
#define SIM_NOISE_CV		0.10
#define SIM_GOAL_RATIO		1.05
#define OPT_BUDGET_STATIC	4000000L
#define OPT_BUDGET_DYNAMIC	20000L
#define NALGOS			5

static const struct algo *algos[NALGOS] = {
	&algo_slb, &algo_ovs, &algo_ovs_old, &algo_tlb, &algo_team,
};

#define EQ2	.nslaves = 2, .speed = { 10000, 10000 }
#define EQ4	.nslaves = 4, .speed = { 10000, 10000, 10000, 10000 }
#define EQ8	.nslaves = 8, .speed = { 10000, 10000, 10000, 10000, 10000, \
					 10000, 10000, 10000 }
#define G4	.nslaves = 4, .speed = { 1000, 1000, 1000, 1000 }
#define MIX2	.nslaves = 2, .speed = { 10000, 1000 }
#define MIX4	.nslaves = 4, .speed = { 10000, 10000, 1000, 1000 }
#define MIX8	.nslaves = 8, .speed = { 10000, 10000, 10000, 10000, 1000, \
					 1000, 1000, 1000 }
#define TR(n, k, sp, m)	.name = n, .kind = k, sp, .nmacs = m
#define DYN	.dynamic = true
/* slave s fails at 1200 s and comes back at 2400 s */
#define FAIL(s)	.nevents = 2, .ev = { { 1200, s, false }, { 2400, s, true } }

static struct trace traces[] = {
	{ TR("uniform-2x10G-10",   "uniform", EQ2,  10) },
	{ TR("uniform-4x10G-64",   "uniform", EQ4,  64) },
	{ TR("uniform-4mix-1024",  "uniform", MIX4, 1024) },
	{ TR("uniform-8x10G-4096", "uniform", EQ8,  4096) },
	{ TR("zipf-2x10G-10",      "zipf",    EQ2,  10) },
	{ TR("zipf-2mix-256",      "zipf",    MIX2, 256) },
	{ TR("zipf-8x10G-4096",    "zipf",    EQ8,  4096) },
	{ TR("eleph-2x10G-100",    "eleph",   EQ2,  100) },
	{ TR("eleph-4mix-1000",    "eleph",   MIX4, 1000) },
	{ TR("eleph-8x10G-4096",   "eleph",   EQ8,  4096) },
	{ TR("voip-4x1G-512",      "voip",    G4,   512), DYN },
	{ TR("voip-8mix-4096",     "voip",    MIX8, 4096), DYN },
	{ TR("churn-2x10G-32",     "churn",   EQ2,  32), DYN },
	{ TR("churn-4x10G-256",    "churn",   EQ4,  256), DYN, .plot = true },
	{ TR("churn-8mix-2048",    "churn",   MIX8, 2048), DYN },
	{ TR("fail-2x10G-64",      "fail",    EQ2,  64), FAIL(1) },
	{ TR("fail-4mix-512",      "fail",    MIX4, 512), FAIL(0), .plot = true },
	{ TR("fail-8x10G-1024",    "fail",    EQ8,  1024), FAIL(3) },
	/*
	 * shaped like make bench-peers' churn run: 12 VMs, 2 replaced every
	 * 30 s (last, so that the traces before keep their seeds)
	 */
	{ TR("peers-2x10G-12",     "peers",   EQ2,  12), DYN },
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NTRACES		ARRAY_SIZE(traces)

/* per-second optimum of one trace, shared by all algorithms */
struct trace_opt {
	double *opt;		/* denominator */
	bool all_exact;
	unsigned int nexact;
	double max_gap;		/* max (ub / lb - 1) where not exact */
};

/* a MAC's moves within this long, as switches count MAC flapping */
#define SIM_FLAP_WINDOW_S	60
#define SIM_FLAP_RING		8

struct result {
	double mean, p95, max;
	u64 moves, run_moves, fail_moves, runs, max_run, steady;
	unsigned int flap;	/* most moves of one MAC in SIM_FLAP_WINDOW_S */
	double mac_moves_h;
	int conv, settle;	/* s; -1 never; -2 not applicable */
	float *util;		/* [secs][nslaves], plot traces only */
	double *ratio;		/* [secs] */
};

static const char *outdir = "build/bench/sim";
static const char *rev = "unknown";
static double noise = SIM_NOISE_CV;
static unsigned int variant;	/* --seed: 0 is the published table */
static bool skip_algo[NALGOS];	/* --algo */

static int phase_of(const struct trace *tr, unsigned int t, unsigned int *start,
		    unsigned int *end)
{
	unsigned int i, s = 0, e = tr->secs;
	int p = 0;

	for (i = 0; i < tr->nevents; i++) {
		if (tr->ev[i].t <= t) {
			s = tr->ev[i].t;
			p = i + 1;
		} else if (tr->ev[i].t < e) {
			e = tr->ev[i].t;
			break;
		}
	}
	*start = s;
	*end = e;
	return p;
}

static void compute_opt(struct trace *tr, struct trace_opt *o)
{
	bool usable[SIM_MAX_SLAVES];
	double speed[SIM_MAX_SLAVES];
	struct opt_result r = { 0 };
	unsigned int t, i, m;
	bool have = false;

	o->opt = calloc(tr->secs, sizeof(*o->opt));
	if (!o->opt)
		abort();
	o->all_exact = true;
	o->nexact = 0;
	o->max_gap = 0;
	for (i = 0; i < tr->nslaves; i++)
		usable[i] = true;
	for (t = 0; t < tr->secs; t++) {
		bool changed = !have;

		for (i = 0; i < tr->nevents; i++) {
			if (tr->ev[i].t == t) {
				usable[tr->ev[i].slave] = tr->ev[i].up;
				changed = true;
			}
		}
		if (!changed)
			changed = memcmp(&tr->rate[TR_IDX(t, 0)],
					 &tr->rate[TR_IDX(t - 1, 0)],
					 SLB_BUCKETS * sizeof(double));
		if (changed) {
			for (i = 0, m = 0; i < tr->nslaves; i++)
				if (usable[i])
					speed[m++] = tr->speed[i] * 125000.0;
			opt_solve(&tr->rate[TR_IDX(t, 0)], speed, m,
				  tr->dynamic ? OPT_BUDGET_DYNAMIC :
				  OPT_BUDGET_STATIC, &r);
			have = true;
		}
		o->opt[t] = r.opt;
		if (r.exact) {
			o->nexact++;
		} else {
			o->all_exact = false;
			if (r.lb > 0)
				o->max_gap = fmax(o->max_gap, r.ub / r.lb - 1);
		}
	}
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void run_algo(const struct trace *tr, const struct trace_opt *o,
		     const struct algo *al, struct result *res)
{
	unsigned int ns = tr->nslaves, t, b, i;
	u16 used[SLB_BUCKETS];
	unsigned int last_move[SIM_MAX_PHASES] = { 0 };
	bool late_move[SIM_MAX_PHASES] = { false };
	int last_bad[SIM_MAX_PHASES];
	u64 cur_run = 0;
	/* each bucket's last moves, 1 + the second (0: none) */
	static unsigned int ring[SLB_BUCKETS][SIM_FLAP_RING];
	double mac_moves = 0, *sorted;
	unsigned int nr = 0;
	void *st;

	memset(res, 0, sizeof(*res));
	res->ratio = calloc(tr->secs, sizeof(*res->ratio));
	sorted = calloc(tr->secs, sizeof(*sorted));
	if (!res->ratio || !sorted)
		abort();
	if (tr->plot) {
		res->util = calloc((size_t)tr->secs * ns, sizeof(*res->util));
		if (!res->util)
			abort();
	}
	for (i = 0; i < SIM_MAX_PHASES; i++)
		last_bad[i] = -1;
	for (b = 0; b < SLB_BUCKETS; b++)
		used[b] = SLB_NO_SLAVE;
	memset(ring, 0, sizeof(ring));

	st = al->init(tr);
	for (t = 0; t < tr->secs; t++) {
		double util[SIM_MAX_SLAVES] = { 0 }, mx = 0;
		unsigned int ps, pe, moves = 0;
		int ph = phase_of(tr, t, &ps, &pe);
		bool failover = false;

		for (i = 0; i < tr->nevents; i++) {
			if (tr->ev[i].t != t)
				continue;
			if (al->link(st, tr->ev[i].slave, tr->ev[i].up, t)) {
				/* a rebalance right away (failback) */
				if (res->runs && cur_run > res->max_run)
					res->max_run = cur_run;
				res->runs++;
				cur_run = 0;
			}
			if (!tr->ev[i].up)
				failover = true;
		}
		al->traffic(st, t);
		for (b = 0; b < SLB_BUCKETS; b++) {
			size_t k = TR_IDX(t, b);
			u16 s = al->slave_of(st, b);

			if (s == SLB_NO_SLAVE)
				continue;
			if (used[b] != SLB_NO_SLAVE && s != used[b] &&
			    tr->nmac[k]) {
				unsigned int n = 1, j;

				moves++;
				mac_moves += tr->nmac[k];
				/* every MAC of the bucket moved: count its window */
				for (j = 0; j < SIM_FLAP_RING; j++)
					if (ring[b][j] && t + 1 - ring[b][j] < SIM_FLAP_WINDOW_S)
						n++;
				memmove(&ring[b][1], &ring[b][0],
					(SIM_FLAP_RING - 1) * sizeof(ring[b][0]));
				ring[b][0] = t + 1;
				if (n > res->flap)
					res->flap = n;
			}
			used[b] = s;
			util[s] += tr->rate[k] / (tr->speed[s] * 125000.0);
		}
		res->moves += moves;
		if (failover) {
			res->fail_moves += moves;
		} else {
			cur_run += moves;
			res->run_moves += moves;
		}
		if (moves) {
			last_move[ph] = t + 1 - ps;
			if (2 * (t - ps) >= pe - ps)
				late_move[ph] = true;
			if (!tr->dynamic && 2 * (t - ps) >= pe - ps)
				res->steady += moves;
		}
		for (i = 0; i < ns; i++) {
			mx = fmax(mx, util[i]);
			if (res->util)
				res->util[(size_t)t * ns + i] = (float)util[i];
		}
		res->ratio[t] = o->opt[t] > 0 ? mx / o->opt[t] : 1;
		if (res->ratio[t] > SIM_GOAL_RATIO)
			last_bad[ph] = t + 1 - ps;
		if (t >= SIM_WARMUP_S)
			sorted[nr++] = res->ratio[t];

		if (al->tick(st, t)) {
			/* moves show up in the next seconds: credit this run */
			if (res->runs && cur_run > res->max_run)
				res->max_run = cur_run;
			res->runs++;
			cur_run = 0;
		}
	}
	if (cur_run > res->max_run)
		res->max_run = cur_run;
	al->fini(st);

	qsort(sorted, nr, sizeof(*sorted), dcmp);
	for (i = 0; i < nr; i++)
		res->mean += sorted[i];
	res->mean /= nr;
	res->p95 = sorted[(nr * 95) / 100];
	res->max = sorted[nr - 1];
	free(sorted);
	res->mac_moves_h = mac_moves / (tr->mac_seconds / tr->secs) /
		(tr->secs / 3600.0);

	res->conv = res->settle = tr->dynamic ? -2 : 0;
	if (tr->dynamic)
		return;
	for (i = 0; i <= tr->nevents; i++) {
		int bad = last_bad[i];
		unsigned int ps = i ? tr->ev[i - 1].t : 0;
		unsigned int pe = i < tr->nevents ? tr->ev[i].t : tr->secs;

		if (res->conv >= 0)
			res->conv = late_move[i] ? -1 :
				(int)fmax(res->conv, last_move[i]);
		if (res->settle >= 0)
			res->settle = bad == (int)(pe - ps) ? -1 :
				(int)fmax(res->settle, bad < 0 ? 0 : bad);
	}
}

/* --------------------------------------------------------------- output */

static FILE *tab, *csv;

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	vfprintf(tab, fmt, ap);
	va_end(ap);
}

/* a file in the output directory, named printf-style; exits on failure */
static FILE *out_open(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static FILE *out_open(const char *fmt, ...)
{
	char name[256], path[4096];
	va_list ap;
	FILE *f;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(name) ||
	    snprintf(path, sizeof(path), "%s/%s", outdir, name) >= (int)sizeof(path)) {
		fprintf(stderr, "sim: output path too long\n");
		exit(1);
	}
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	return f;
}

static const char *secs_str(int v, char *buf, size_t n)
{
	if (v == -2)
		return "n/a";
	if (v == -1)
		return "never";
	snprintf(buf, n, "%d", v);
	return buf;
}

static void write_plot(const struct trace *tr, const struct trace_opt *o,
		       const struct result *res)
{
	unsigned int t, a, j, ns = tr->nslaves;
	FILE *f;

	f = out_open("ts-%s.csv", tr->name);
	fprintf(f, "t,opt");
	for (a = 0; a < NALGOS; a++)
		for (j = 0; j < ns; j++)
			fprintf(f, ",%s_s%u", algos[a]->name, j);
	fprintf(f, "\n");
	for (t = 0; t < tr->secs; t++) {
		fprintf(f, "%u,%.4f", t, o->opt[t] * 100);
		for (a = 0; a < NALGOS; a++)
			for (j = 0; j < ns; j++)
				fprintf(f, ",%.3f",
					res[a].util[(size_t)t * ns + j] * 100);
		fprintf(f, "\n");
	}
	fclose(f);

	f = out_open("plot-%s.gp", tr->name);
	fprintf(f, "# gnuplot script written by tools/bench/sim\n"
		"set datafile separator ','\n"
		"set output 'util-%s.png'\n"
		"set multiplot layout %d,1 title \"%s: utilisation per slave "
		"(%%); black: the optimum's highest\"\n"
		"set xlabel 'minutes'\nset ylabel '%%'\nset key outside right\n"
		"set yrange [0:*]\nset grid\n", tr->name, NALGOS, tr->name);
	for (a = 0; a < NALGOS; a++) {
		fprintf(f, "set title '%s%s'\nplot ", algos[a]->name,
			a ? " (model)" : " (real core)");
		for (j = 0; j < ns; j++)
			fprintf(f, "'ts-%s.csv' every 10 using ($1/60):%u with "
				"lines lw 1 title 'slave %u (%uG)', ", tr->name,
				3 + a * ns + j, j, tr->speed[j] / 1000);
		fprintf(f, "'ts-%s.csv' every 10 using ($1/60):2 with lines "
			"lw 2 lc rgb 'black' title 'optimum'\n", tr->name);
	}
	fprintf(f, "unset multiplot\n");
	fclose(f);
}

static void print_header(void)
{
	unsigned int a;

	out("balance-slb rebalancer simulation (tools/bench/sim.c), core %s, "
	    "trace variant %u\n", rev, variant);
	out("%u traces x 3600 s, offered load %.0f %% of capacity, counter noise "
	    "CV %.0f %% per MAC-second; util/opt after %d s warm-up\n",
	    (unsigned int)NTRACES, SIM_LOAD * 100, noise * 100, SIM_WARMUP_S);
	for (a = 0; a < NALGOS; a++)
		out("  %-12s %s\n", algos[a]->name, algos[a]->label);
	out("opt: 'exact' = bucket-granular optimum proven by branch and bound;"
	    " 'lb+G%%' = proven lower bound\n     (a placement within G%% of it"
	    " was found, so util/opt is overstated by at most G%%)\n\n");
	out("%-19s %-8s %-12s %6s %6s %6s %6s %5s %4s %7s %5s %6s %6s %4s %s\n",
	    "trace", "opt", "algorithm", "u/opt", "p95", "max", "moves",
	    "/run", "max", "MACmv/h", "conv", "settle", "steady", "/60s", "goal");
	fprintf(csv, "trace,kind,slaves,speeds_mbps,macs,macs_ever,buckets,"
		"opt_kind,opt_exact_pct,opt_max_gap_pct,algorithm,util_opt_mean,"
		"util_opt_p95,util_opt_max,moves,failover_moves,runs,moves_per_run,"
		"max_moves_per_run,mac_moves_per_mac_hour,conv_s,settle_s,"
		"steady_moves,goal,max_moves_per_mac_60s\n");
}

static void print_trace(const struct trace *tr, const struct trace_opt *o,
			const struct result *res)
{
	char optk[16], c1[16], c2[16], st[16], speeds[64] = "";
	unsigned int a, j;

	if (o->all_exact)
		snprintf(optk, sizeof(optk), "exact");
	else
		snprintf(optk, sizeof(optk), "lb+%.1f%%", o->max_gap * 100);
	for (j = 0; j < tr->nslaves; j++)
		snprintf(speeds + strlen(speeds), sizeof(speeds) - strlen(speeds),
			 "%s%u", j ? "/" : "", tr->speed[j]);
	for (a = 0; a < NALGOS; a++) {
		const struct result *r = &res[a];
		char goal[48] = "";

		if (skip_algo[a])
			continue;

		if (a == 0) {
			bool ok_r = r->mean <= SIM_GOAL_RATIO;
			/* "fewer moves": a tie at zero counts as met */
			bool ok_m = r->moves < res[1].moves || !r->moves;
			bool ok_s = tr->dynamic || !r->steady;

			if (ok_r && ok_m && ok_s)
				snprintf(goal, sizeof(goal), "met");
			else
				snprintf(goal, sizeof(goal), "MISSED:%s%s%s",
					 ok_r ? "" : " util",
					 ok_m ? "" : " moves",
					 ok_s ? "" : " steady");
		}
		if (tr->dynamic)
			snprintf(st, sizeof(st), "n/a");
		else
			snprintf(st, sizeof(st), "%llu",
				 (unsigned long long)r->steady);
		out("%-19s %-8s %-12s %6.3f %6.3f %6.3f %6llu %5.1f %4llu %7.2f "
		    "%5s %6s %6s %4u%s%s\n",
		    a ? "" : tr->name, a ? "" : optk, algos[a]->name,
		    r->mean, r->p95, r->max, (unsigned long long)r->moves,
		    r->runs ? (double)r->run_moves / r->runs : 0,
		    (unsigned long long)r->max_run, r->mac_moves_h,
		    secs_str(r->conv, c1, sizeof(c1)),
		    secs_str(r->settle, c2, sizeof(c2)), st, r->flap,
		    *goal ? " " : "", goal);
		fprintf(csv, "%s,%s,%u,%s,%u,%u,%u,%s,%.1f,%.3f,%s,%.4f,%.4f,"
			"%.4f,%llu,%llu,%llu,%.3f,%llu,%.3f,%s,%s,%s,%s,%u\n",
			tr->name, tr->kind, tr->nslaves, speeds, tr->nmacs,
			tr->macs_ever, tr->buckets_used,
			o->all_exact ? "exact" : "lower_bound",
			100.0 * o->nexact / tr->secs, o->max_gap * 100,
			algos[a]->name, r->mean, r->p95, r->max,
			(unsigned long long)r->moves,
			(unsigned long long)r->fail_moves,
			(unsigned long long)r->runs,
			r->runs ? (double)r->run_moves / r->runs : 0,
			(unsigned long long)r->max_run, r->mac_moves_h,
			secs_str(r->conv, c1, sizeof(c1)),
			secs_str(r->settle, c2, sizeof(c2)), st,
			a ? "" : goal, r->flap);
	}
}

/*
 * --algo: only these (quicker runs while tuning); the others keep their
 * place in the tables, with no results
 */
static void sim_pick_algos(const char *list)
{
	unsigned int a, kept = 0;

	for (a = 0; a < NALGOS; a++) {
		const char *p = strstr(list, algos[a]->name);
		size_t n = strlen(algos[a]->name);

		if (p && (p == list || p[-1] == ',') && (!p[n] || p[n] == ','))
			kept++;
		else
			skip_algo[a] = true;
	}
	if (!kept) {
		fprintf(stderr, "sim: --algo '%s' names no algorithm\n", list);
		exit(2);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: sim [--out DIR] [--rev STRING] [--only TRACE] [--noise CV] [--seed N]\n"
		"           [--algo NAME[,NAME...]]\n");
	exit(2);
}

/* a number in [lo, hi] (whole if asked), or exit naming the option */
static double parse_num(const char *arg, double lo, double hi, bool whole,
			const char *opt)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || v < lo || v > hi ||
	    (whole && v != (long)v)) {
		fprintf(stderr, "sim: %s '%s': want a%s number from %.10g to %.10g\n",
			opt, arg, whole ? " whole" : "", lo, hi);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	const char *only = NULL, *pick = NULL;
	unsigned int i, a;
	int arg;

	for (arg = 1; arg < argc; arg++) {
		if (!strcmp(argv[arg], "--out") && arg + 1 < argc)
			outdir = argv[++arg];
		else if (!strcmp(argv[arg], "--rev") && arg + 1 < argc)
			rev = argv[++arg];
		else if (!strcmp(argv[arg], "--only") && arg + 1 < argc)
			only = argv[++arg];
		else if (!strcmp(argv[arg], "--algo") && arg + 1 < argc)
			pick = argv[++arg];
		else if (!strcmp(argv[arg], "--noise") && arg + 1 < argc)
			noise = parse_num(argv[++arg], 0, 1, false, "--noise");
		else if (!strcmp(argv[arg], "--seed") && arg + 1 < argc)
			variant = (unsigned int)parse_num(argv[++arg], 0, 1 << 20,
							  true, "--seed");
		else
			usage();
	}
	if (pick)
		sim_pick_algos(pick);
	if (mkdir(outdir, 0755) && errno != EEXIST) {
		perror(outdir);
		return 1;
	}
	tab = out_open("table.txt");
	csv = out_open("summary.csv");
	print_header();
	for (i = 0; i < NTRACES; i++) {
		struct trace *tr = &traces[i];
		struct result res[NALGOS];
		struct trace_opt o;

		if (only && strcmp(only, tr->name))
			continue;
		tr->secs = SIM_SECS;
		tr->load = SIM_LOAD;
		tr->noise = noise;
		/* another variant: other MACs, rates and timings, same shape */
		tr->seed = 0x51b0000 + i + ((u64)variant << 8);
		if (trace_generate(tr)) {
			fprintf(stderr, "sim: out of memory\n");
			return 1;
		}
		compute_opt(tr, &o);
		for (a = 0; a < NALGOS; a++) {
			if (!skip_algo[a]) {
				run_algo(tr, &o, algos[a], &res[a]);
				continue;
			}
			memset(&res[a], 0, sizeof(res[a]));
			res[a].ratio = calloc(tr->secs, sizeof(*res[a].ratio));
			res[a].util = calloc((size_t)tr->secs * tr->nslaves,
					     sizeof(*res[a].util));
		}
		print_trace(tr, &o, res);
		if (tr->plot)
			write_plot(tr, &o, res);
		for (a = 0; a < NALGOS; a++) {
			free(res[a].util);
			free(res[a].ratio);
		}
		free(o.opt);
		trace_free(tr);
		fflush(stdout);
	}
	fclose(tab);
	fclose(csv);
	return 0;
}
