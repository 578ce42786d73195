// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * balance-slb state for humans: /proc/net/bonding/<bond> and the
 * slb_buckets file in the bond's debugfs directory.
 */

#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "bond_slb_priv.h"

/* Every counter summed over the CPUs, untorn on 32-bit hosts too. */
static void slb_counts(struct bond_slb *slb, u64 *sum)
{
	unsigned int i, start;
	int cpu;

	memset(sum, 0, SLB_CNT_MAX * sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct slb_pcpu *p = per_cpu_ptr(slb->pcpu, cpu);
		u64 v[SLB_CNT_MAX];

		do {
			start = u64_stats_fetch_begin(&p->syncp);
			for (i = 0; i < SLB_CNT_MAX; i++)
				v[i] = u64_stats_read(&p->cnt[i]);
		} while (u64_stats_fetch_retry(&p->syncp, start));
		for (i = 0; i < SLB_CNT_MAX; i++)
			sum[i] += v[i];
	}
}

/* Called under rcu_read_lock(). */
void bond_slb_info_show(struct seq_file *seq, struct bonding *bond)
{
	struct bond_slb *slb = rcu_dereference(bond->slb);
	u32 iv = bond->slb_params.rebalance_interval;
	unsigned long now = jiffies;
	u64 cnt[SLB_CNT_MAX];
	u8 mac[ETH_ALEN];
	struct slave *rx;
	unsigned int i, known = 0;

	seq_puts(seq, "\nSource load balancing (balance-slb) info:\n");
	seq_printf(seq, "Rebalance interval: %u ms\n", iv);
	seq_printf(seq, "Move gap: %u ms\n", bond->slb_params.move_gap);
	seq_printf(seq, "Move cooldown: %u ms\n", bond->slb_params.move_cooldown);
	if (!slb) {
		seq_puts(seq, "State: bond is down\n");
		return;
	}
	if (iv) {
		unsigned long next = slb->last_rebalance + msecs_to_jiffies(iv);

		seq_printf(seq, "Next rebalance in: %u ms\n",
			   time_after(next, now) ? jiffies_to_msecs(next - now) : 0);
	} else {
		seq_puts(seq, "Next rebalance in: never\n");
	}
	rx = rcu_dereference(slb->rx_slave);
	seq_printf(seq, "Broadcast/multicast receive slave: %s\n",
		   rx ? rx->dev->name : "none");
	for (i = 0; i < slb->nmacs; i++)
		known += slb_mac_fresh(&slb->macs[i], now);
	slb_counts(slb, cnt);
	seq_printf(seq, "Known MACs: %u (table size %u, at most %u from one port)\n",
		   known, slb->nmacs, slb->src_limit);
	seq_printf(seq, "Total moves: %lld\n", (s64)atomic64_read(&slb->moves));
	seq_printf(seq, "Moves waiting for a gap: %u\n", READ_ONCE(slb->moves_waiting));
	seq_printf(seq, "Announcements sent: %llu\n", READ_ONCE(slb->announces));
	seq_printf(seq, "Buckets waiting to be announced: %u\n",
		   bond_slb_announce_waiting(slb));
	seq_printf(seq, "Looped-back frames dropped: %llu\n",
		   cnt[SLB_CNT_LOOPED]);
	seq_printf(seq, "Broadcast/multicast dropped on other slaves: %llu\n",
		   cnt[SLB_CNT_MCAST_DROPPED]);
	seq_printf(seq, "Dropped for lack of a usable slave: %llu\n",
		   cnt[SLB_CNT_NOSLAVE]);
	seq_printf(seq, "MACs not learned (table full): %llu\n",
		   cnt[SLB_CNT_MAC_FULL]);
	seq_printf(seq, "MACs not learned (their port holds its share): %llu\n",
		   cnt[SLB_CNT_MAC_LIMITED]);
	seq_printf(seq, "VM migrations seen: %llu\n",
		   cnt[SLB_CNT_MIGRATIONS]);
	seq_printf(seq, "Unicast copies dropped on other slaves: %llu\n",
		   cnt[SLB_CNT_FLOOD_DROPPED]);
	seq_printf(seq, "Duplicate broadcast/multicast dropped at receive slave changes: %llu\n",
		   cnt[SLB_CNT_MCAST_DUPS]);
	seq_printf(seq, "MAC conflicts (our MACs used behind the switch): %llu\n",
		   cnt[SLB_CNT_CONFLICTS]);
	seq_printf(seq, "Multicast reports sent via receive slave: %llu\n",
		   cnt[SLB_CNT_REPORTS]);
	seq_printf(seq, "Multicast report load: %llu bytes/s\n",
		   READ_ONCE(slb->report_load));
	seq_printf(seq, "Multicast reports dropped (their sender's budget): %llu\n",
		   cnt[SLB_CNT_REPORTS_OVER]);
	seq_printf(seq, "General queries sent to VMs: %llu\n", READ_ONCE(slb->queries));
	u64_to_ether_addr(READ_ONCE(slb->report_mac), mac);
	seq_printf(seq, "Source MAC of multicast reports: %pM\n", mac);
}

void bond_slb_slave_info_show(struct seq_file *seq,
			      const struct slave *slave)
{
	if (!rcu_access_pointer(slave->bond->slb))
		return;
	seq_printf(seq, "SLB buckets: %d\n", atomic_read(&slave->slb.nbuckets));
	seq_printf(seq, "SLB load: %llu bytes/s\n", READ_ONCE(slave->slb.load));
	seq_printf(seq, "SLB moves in: %lld\n",
		   (s64)atomic64_read(&slave->slb.moves_in));
	seq_printf(seq, "SLB moves out: %lld\n",
		   (s64)atomic64_read(&slave->slb.moves_out));
	seq_printf(seq, "SLB switch port in a LAG (LACPDUs received): %s\n",
		   test_bit(SLB_SLAVE_LACP, &slave->slb.flags) ?
		   "yes - remove it from the LAG/LACP group" : "no");
}

/* A MAC of the table as slb_buckets lists it. */
struct slb_listed {
	u64 key;
	u16 bucket;
};

/*
 * The live MACs in one pass over the table, grouped by bucket (a counting
 * sort): 'out' ends up in bucket order, first[b] is where bucket b's start
 * and first[b + 1] where they end.
 */
static void slb_macs_by_bucket(struct bond_slb *slb, unsigned long now,
			       struct slb_listed *tmp, u64 *out, u32 *first)
{
	unsigned int i, n = 0;

	memset(first, 0, (SLB_BUCKETS + 1) * sizeof(*first));
	for (i = 0; i < slb->nmacs; i++) {
		struct slb_mac_snap snap;

		if (!bond_slb_mac_read(&slb->macs[i], now, &snap))
			continue;
		tmp[n].key = snap.key;
		tmp[n].bucket = snap.bucket & (SLB_BUCKETS - 1);
		first[tmp[n].bucket + 1]++;
		n++;
	}
	for (i = 0; i < SLB_BUCKETS; i++)
		first[i + 1] += first[i];
	/* first[b] is used as bucket b's next free place, then put back */
	for (i = 0; i < n; i++)
		out[first[tmp[i].bucket]++] = tmp[i].key;
	for (i = SLB_BUCKETS; i > 0; i--)
		first[i] = first[i - 1];
	first[0] = 0;
}

static int slb_buckets_show(struct seq_file *seq, void *v)
{
	struct bonding *bond = seq->private;
	/* fixed while the bond is up; checked again below */
	unsigned int size = READ_ONCE(bond->slb_params.mac_table_size);
	unsigned long now = jiffies;
	struct slb_listed *tmp;
	struct bond_slb *slb;
	unsigned int b, i;
	u32 *first;
	u64 *keys;

	tmp = kvmalloc_array(size, sizeof(*tmp), GFP_KERNEL);
	keys = kvmalloc_array(size, sizeof(*keys), GFP_KERNEL);
	first = kmalloc_array(SLB_BUCKETS + 1, sizeof(*first), GFP_KERNEL);
	if (!tmp || !keys || !first)
		goto nomem;
	rcu_read_lock();
	slb = rcu_dereference(bond->slb);
	if (!slb || slb->nmacs > size) {
		seq_puts(seq, "# not an active balance-slb bond\n");
		goto out;
	}
	slb_macs_by_bucket(slb, now, tmp, keys, first);
	seq_puts(seq, "# bucket slave load_Bps since_move_ms moves next macs(mac/vlan)\n");
	for (b = 0; b < SLB_BUCKETS; b++) {
		struct slave *s = rcu_dereference(slb->tx[b].slave), *next;
		struct slb_bucket *bk = &slb->bucket[b];

		if (!s)
			continue;
		seq_printf(seq, "%u %s %llu ", b, s->dev->name, READ_ONCE(bk->load));
		if (bk->moved_ever)
			seq_printf(seq, "%llu", slb_age_ms(now, bk->moved));
		else
			seq_puts(seq, "never");
		next = rcu_dereference(slb->tx[b].planned);
		seq_printf(seq, " %u %s", READ_ONCE(bk->nmoves),
			   next ? next->dev->name : "-");
		for (i = first[b]; i < first[b + 1]; i++) {
			u8 mac[ETH_ALEN];

			slb_key_to_mac(keys[i], mac);
			seq_printf(seq, " %pM/%u", mac, (u16)(keys[i] >> 48));
		}
		seq_putc(seq, '\n');
	}
out:
	rcu_read_unlock();
	kfree(first);
	kvfree(keys);
	kvfree(tmp);
	return 0;
nomem:
	kfree(first);
	kvfree(keys);
	kvfree(tmp);
	return -ENOMEM;
}

/*
 * The buffer sized for a full table up front ("aa:bb:cc:dd:ee:ff/4094 " a
 * MAC, a line head a bucket): seq_file would otherwise call show() again
 * for every doubling of its buffer, walking the table each time.
 */
static int slb_buckets_open(struct inode *inode, struct file *file)
{
	struct bonding *bond = inode->i_private;
	size_t size = (size_t)READ_ONCE(bond->slb_params.mac_table_size) * 24 +
		SLB_BUCKETS * 64;

	return single_open_size(file, slb_buckets_show, bond, size);
}

static const struct file_operations slb_buckets_fops = {
	.owner = THIS_MODULE,
	.open = slb_buckets_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
};

/*
 * bond_debugfs.c: the bond's bucket table, for as long as the directory
 * lives (it shows nothing while the bond is not an active balance-slb one).
 */
void bond_slb_debugfs_register(struct bonding *bond, struct dentry *dir)
{
	debugfs_create_file("slb_buckets", 0400, dir, bond, &slb_buckets_fops);
}
