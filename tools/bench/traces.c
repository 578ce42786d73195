// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Deterministic load traces for the rebalancer simulator: per-MAC rate
 * processes, hashed into the 256 buckets and stored per second.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"

/* fixed seed of the MAC -> bucket hash (the kernel uses a random key) */
#define SIM_HASH_SEED		0x5eed5eed0badcafeULL
#define SIM_PKT_BYTES		1000.0	/* mean frame size, for first frames */
#define SIM_LOGN_SIGMA		1.0	/* spread of rates: churn, failover */
#define SIM_VOIP_SIGMA		0.5
#define SIM_VOIP_ON_S		30.0
#define SIM_VOIP_OFF_S		60.0
#define SIM_CHURN_LIFE_S	600.0
#define SIM_ELEPH_SHARE		0.8	/* of the bytes, on few MACs */
#define SIM_ZIPF_S		1.0
/* "peers": bench-peers' churn run (tools/bench/vm/peers.sh, fig_churn), frames/s */
#define SIM_PEERS_STEP_S	30
static const double sim_peers_rates[] = {
	300, 200, 150, 100, 80, 60, 50, 40, 30, 20, 20, 10,
};
#define SIM_PEERS_SLOTS	(sizeof(sim_peers_rates) / sizeof(sim_peers_rates[0]))

u64 sim_mix64(u64 x)
{
	/* the module's key hash, unseeded: every input bit reaches every output */
	return slb_key_hash(x, 0);
}

u64 sim_rng_next(struct sim_rng *r)
{
	u64 z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double sim_rng_unit(struct sim_rng *r)
{
	return (sim_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

double sim_rng_exp(struct sim_rng *r, double mean)
{
	return -mean * log(1.0 - sim_rng_unit(r));
}

double sim_rng_normal(struct sim_rng *r)
{
	double u = sim_rng_unit(r), v = sim_rng_unit(r);

	return sqrt(-2.0 * log(1.0 - u)) * cos(2.0 * M_PI * v);
}

struct sim_mac {
	double rate;		/* bytes/s while sending */
	double until;		/* end of the on/off period or of its life */
	u16 bucket;
	bool present;
	bool on;
};

struct gen {
	struct trace *tr;
	struct sim_rng rng;
	struct sim_mac *mac;
	unsigned int nmac, cap;
	double unit;		/* bytes/s per unit of relative rate */
	unsigned int slot[SIM_PEERS_SLOTS];	/* "peers": each VM's MAC */
};

static u16 gen_bucket(struct gen *g)
{
	u8 mac[6];
	u64 r = sim_rng_next(&g->rng);
	u16 vid = (u16)((r >> 48) % 4) * 10;	/* a few VLANs */
	int i;

	for (i = 0; i < 6; i++)
		mac[i] = (u8)(r >> (8 * i));
	mac[0] = (mac[0] & 0xfc) | 0x02;	/* locally administered unicast */
	return slb_key_hash(slb_mac_vlan_key(mac, vid), SIM_HASH_SEED) &
		(SLB_BUCKETS - 1);
}

static struct sim_mac *gen_add(struct gen *g, double rate)
{
	struct sim_mac *m;

	if (g->nmac == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 256;
		g->mac = realloc(g->mac, g->cap * sizeof(*g->mac));
		if (!g->mac)
			abort();
	}
	m = &g->mac[g->nmac++];
	memset(m, 0, sizeof(*m));
	m->rate = rate;
	m->bucket = gen_bucket(g);
	m->present = true;
	m->on = true;
	return m;
}

/* lognormal with mean 1 */
static double gen_logn(struct gen *g, double sigma)
{
	return exp(sigma * sim_rng_normal(&g->rng) - sigma * sigma / 2);
}

static void gen_population(struct gen *g)
{
	struct trace *tr = g->tr;
	unsigned int n = tr->nmacs, i, *perm;
	double sum = 0;

	if (!strcmp(tr->kind, "uniform")) {
		for (i = 0; i < n; i++)
			gen_add(g, 1.0);
	} else if (!strcmp(tr->kind, "zipf")) {
		/* rank k gets 1/k^s; ranks are dealt to MACs at random */
		perm = malloc(n * sizeof(*perm));
		if (!perm)
			abort();
		for (i = 0; i < n; i++)
			perm[i] = i;
		for (i = n - 1; i > 0; i--) {
			unsigned int j = sim_rng_next(&g->rng) % (i + 1), x = perm[i];

			perm[i] = perm[j];
			perm[j] = x;
		}
		for (i = 0; i < n; i++)
			gen_add(g, 1.0 / pow(perm[i] + 1, SIM_ZIPF_S));
		free(perm);
	} else if (!strcmp(tr->kind, "eleph")) {
		/* a few elephants carry most bytes, the rest are mice */
		unsigned int ne = n <= 100 ? 4 : 16;

		for (i = 0; i < n; i++)
			gen_add(g, i < ne ? SIM_ELEPH_SHARE / ne :
				(1 - SIM_ELEPH_SHARE) / (n - ne));
	} else if (!strcmp(tr->kind, "voip")) {
		double duty = SIM_VOIP_ON_S / (SIM_VOIP_ON_S + SIM_VOIP_OFF_S);

		for (i = 0; i < n; i++) {
			struct sim_mac *m = gen_add(g, gen_logn(g, SIM_VOIP_SIGMA) / duty);

			/* start in the stationary state */
			m->on = sim_rng_unit(&g->rng) < duty;
			m->until = sim_rng_exp(&g->rng, m->on ? SIM_VOIP_ON_S :
					       SIM_VOIP_OFF_S);
		}
	} else if (!strcmp(tr->kind, "peers")) {
		/* the same VMs as bench-peers' churn run, at its rates */
		for (i = 0; i < SIM_PEERS_SLOTS; i++) {
			g->slot[i] = g->nmac;
			gen_add(g, sim_peers_rates[i]);
		}
	} else {	/* churn, failover: lognormal rates */
		for (i = 0; i < n; i++) {
			struct sim_mac *m = gen_add(g, gen_logn(g, SIM_LOGN_SIGMA));

			if (!strcmp(tr->kind, "churn"))
				m->until = sim_rng_exp(&g->rng, SIM_CHURN_LIFE_S);
		}
	}
	/*
	 * "peers": the bench's own bytes, frames/s of SIM_PKT_BYTES (about
	 * 1 MB/s, not tr->load of the links): Open vSwitch's rebalancer
	 * works on absolute byte counts (a 100000-byte floor; a hash's count
	 * is halved every run and forgotten when it reaches 0, log2 of its
	 * bytes runs after its MAC left)
	 */
	if (!strcmp(tr->kind, "peers")) {
		g->unit = SIM_PKT_BYTES;
		return;
	}
	/* the expected total is tr->load of the capacity */
	if (!strcmp(tr->kind, "churn") || !strcmp(tr->kind, "voip")) {
		sum = n;	/* rates have mean 1 (voip: 1 / duty while on) */
	} else {
		for (i = 0; i < g->nmac; i++)
			sum += g->mac[i].rate;
	}
	for (i = 0; i < tr->nslaves; i++)
		g->unit += tr->speed[i] * 125000.0;
	g->unit *= tr->load / sum;
}

int trace_generate(struct trace *tr)
{
	size_t cells = (size_t)tr->secs * SLB_BUCKETS;
	double next_arrival = 0;
	struct gen g = { .tr = tr };
	unsigned int t, i, b;
	bool used[SLB_BUCKETS] = { false };

	g.rng.s = tr->seed;
	tr->rate = calloc(cells, sizeof(*tr->rate));
	tr->bytes = calloc(cells, sizeof(*tr->bytes));
	tr->nmac = calloc(cells, sizeof(*tr->nmac));
	tr->first = calloc(cells, sizeof(*tr->first));
	if (!tr->rate || !tr->bytes || !tr->nmac || !tr->first)
		return -1;
	gen_population(&g);
	if (!strcmp(tr->kind, "churn"))
		next_arrival = sim_rng_exp(&g.rng, SIM_CHURN_LIFE_S / tr->nmacs);

	tr->mac_seconds = 0;
	for (t = 0; t < tr->secs; t++) {
		/* state changes at the start of second t */
		for (i = 0; i < g.nmac; i++) {
			struct sim_mac *m = &g.mac[i];

			if (!m->present || !m->until)
				continue;
			while (m->until <= t) {
				if (!strcmp(tr->kind, "churn")) {
					m->present = false;
					break;
				}
				m->on = !m->on;
				m->until += sim_rng_exp(&g.rng, m->on ? SIM_VOIP_ON_S :
							SIM_VOIP_OFF_S);
			}
		}
		/* "peers": every step two VMs leave and two others come */
		if (!strcmp(tr->kind, "peers") && t && t % SIM_PEERS_STEP_S == 0) {
			for (i = 0; i < 2; i++) {
				unsigned int k = sim_rng_next(&g.rng) % SIM_PEERS_SLOTS;
				double r = sim_peers_rates[sim_rng_next(&g.rng) %
							   SIM_PEERS_SLOTS];

				g.mac[g.slot[k]].present = false;
				g.slot[k] = g.nmac;
				gen_add(&g, r);
			}
		}
		while (next_arrival && next_arrival <= t) {
			struct sim_mac *m = gen_add(&g, gen_logn(&g, SIM_LOGN_SIGMA));

			m->until = next_arrival + sim_rng_exp(&g.rng, SIM_CHURN_LIFE_S);
			next_arrival += sim_rng_exp(&g.rng, SIM_CHURN_LIFE_S / tr->nmacs);
		}
		for (i = 0; i < g.nmac; i++) {
			struct sim_mac *m = &g.mac[i];
			size_t k = TR_IDX(t, m->bucket);
			double r, noise;

			if (!m->present)
				continue;
			tr->nmac[k]++;
			tr->mac_seconds++;
			used[m->bucket] = true;
			if (!m->on)
				continue;
			r = m->rate * g.unit;
			/* uniform noise with the chosen coefficient of variation */
			noise = tr->noise * sqrt(3.0) * (2 * sim_rng_unit(&g.rng) - 1);
			tr->rate[k] += r;
			tr->bytes[k] += (u64)llround(r * (1 + noise));
		}
		for (b = 0; b < SLB_BUCKETS; b++) {
			size_t k = TR_IDX(t, b);
			struct sim_rng fr = { tr->seed ^ sim_mix64(k + 1) };
			double pkts = tr->bytes[k] / SIM_PKT_BYTES;

			if (!tr->bytes[k])
				continue;
			tr->first[k] = (float)fmin(0.999,
						   sim_rng_exp(&fr, 1.0) / fmax(pkts, 1));
		}
	}
	tr->macs_ever = g.nmac;
	tr->buckets_used = 0;
	for (b = 0; b < SLB_BUCKETS; b++)
		tr->buckets_used += used[b];
	free(g.mac);
	return 0;
}

void trace_free(struct trace *tr)
{
	free(tr->rate);
	free(tr->bytes);
	free(tr->nmac);
	free(tr->first);
	tr->rate = NULL;
	tr->bytes = NULL;
	tr->nmac = NULL;
	tr->first = NULL;
}

static const struct trace *arr_tr;
static unsigned int arr_t;

static int arr_cmp(const void *a, const void *b)
{
	u16 x = *(const u16 *)a, y = *(const u16 *)b;
	float fx = arr_tr->first[TR_IDX(arr_t, x)];
	float fy = arr_tr->first[TR_IDX(arr_t, y)];

	if (fx != fy)
		return fx < fy ? -1 : 1;
	return (int)x - (int)y;
}

unsigned int sim_arrivals(const struct trace *tr, unsigned int t,
			  const bool *need, u16 *order)
{
	unsigned int b, n = 0;

	for (b = 0; b < SLB_BUCKETS; b++)
		if (need[b] && tr->bytes[TR_IDX(t, b)])
			order[n++] = b;
	arr_tr = tr;
	arr_t = t;
	qsort(order, n, sizeof(*order), arr_cmp);
	return n;
}
