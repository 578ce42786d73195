// SPDX-License-Identifier: GPL-2.0-only
/*
 * slbgen: raw Ethernet traffic for the balance-slb selftests.
 *
 *   slbgen send IFACE [options]   frames from many source MACs
 *     (SIGTERM or SIGINT stop send and recv early; they print their
 *     counts all the same)
 *     -s MAC     first source MAC (default 02:10:00:00:00:00); the i-th
 *                MAC adds i to the last three bytes
 *     -n N       number of source MACs (default 1)
 *     -c COUNT   frames in all (default 100), 0 = until -t runs out
 *     -r PPS     frames per second in all (default 1000), 0 = flat out;
 *                after a stall (a busy emulator) it catches up with at
 *                most 20 ms of frames at once, not with one burst of all
 *                it owes, which would overflow the input backlogs
 *     -t SECS    stop after this long (default: when COUNT is sent)
 *     -d MAC     destination (default ff:ff:ff:ff:ff:ff)
 *     -v VID     802.1Q tag
 *     -l LEN     frame length without FCS (default 60, max 1514)
 *     -e TYPE    ethertype (default 0x88b5, local experimental)
 *     -p ON,OFF  talkspurts: send for ON ms, pause OFF ms, and again
 *     -x HEX     payload: these bytes after the ethertype instead of the
 *                numbered one (zero-padded to -l), e.g. an IP header
 *
 *   slbgen announce IFACE MAC [IPV4]
 *     one RARP for MAC (like a hypervisor after a live migration), or a
 *     gratuitous ARP when IPV4 is given
 *
 *   slbgen recv IFACE[,IFACE...] -t SECS [-e TYPE] [-b]
 *     counts frames of TYPE (any if -e 0) per interface, source MAC and
 *     VLAN; checks the sequence numbers slbgen put in them and prints one
 *     line per stream: "IFACE MAC VID frames reordered lost duplicates"
 *     and a last line "total frames reordered".  On stderr, the first five
 *     duplicates and the first five gaps of each stream, with the time
 *     (CLOCK_MONOTONIC), for tests to match with their own log.
 *     -b  bind the sockets to TYPE instead of ETH_P_ALL: they then see
 *         only what the stack delivers to that protocol on IFACE (after
 *         rx handlers such as bonding's), not every frame the link got
 *
 *   slbgen bondattr BOND TYPE:LEN:VALUE...
 *     one RTM_NEWLINK "change" for bond BOND whose IFLA_INFO_DATA holds
 *     exactly these attributes (LEN 1, 2, 4 or 8 bytes), as a netlink
 *     client that knows other attribute numbers than ours would send;
 *     prints the kernel's answer and its extended ack message, exits 0
 *     if the kernel accepted it
 *
 * Payload: 4-byte magic, 4-byte source index, 8-byte sequence number of
 * that source (so a receiver can tell reordering and loss per MAC).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAGIC		0x534c4247u	/* "SLBG" */
#define MAX_IFS		16
#define MAX_STREAMS	8192
#define SEND_CATCH_UP	0.02	/* s of frames sent at once after a stall */

struct stream {
	int ifidx;
	uint8_t mac[6];
	uint16_t vid;
	uint64_t frames, reordered, next_seq, lost, dups, gaps;
	uint8_t *seen;		/* bitmap of sequence numbers received */
	uint64_t seen_bits;
};

#define MAX_SEEN	(1ull << 24)	/* per stream; later ones are not checked */

/* true if s was received before on this stream */
static int seen_before(struct stream *st, uint64_t s)
{
	if (s >= MAX_SEEN)
		return 0;
	if (s >= st->seen_bits) {
		uint64_t bits = st->seen_bits ? st->seen_bits : 4096;
		uint8_t *p;

		while (bits <= s)
			bits *= 2;
		p = realloc(st->seen, bits / 8);
		if (!p)
			return 0;
		memset(p + st->seen_bits / 8, 0, (bits - st->seen_bits) / 8);
		st->seen = p;
		st->seen_bits = bits;
	}
	if (st->seen[s / 8] & (1u << (s % 8)))
		return 1;
	st->seen[s / 8] |= 1u << (s % 8);
	return 0;
}

static struct stream streams[MAX_STREAMS];
static int nstreams;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (b[i] > 255)
			return -1;
		mac[i] = b[i];
	}
	return 0;
}

static int open_sock(const char *ifname, int proto, int *ifindex)
{
	struct sockaddr_ll sll = { 0 };
	int fd;

	fd = socket(AF_PACKET, SOCK_RAW, htons(proto));
	if (fd < 0) {
		perror("socket");
		exit(2);
	}
	*ifindex = if_nametoindex(ifname);
	if (!*ifindex) {
		fprintf(stderr, "slbgen: no interface %s\n", ifname);
		exit(2);
	}
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(proto);
	sll.sll_ifindex = *ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("bind");
		exit(2);
	}
	/* room for bursts while a slow guest CPU runs something else */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &(int){ 8 << 20 }, sizeof(int)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){ 8 << 20 }, sizeof(int));
	/* receivers learn a VLAN tag the kernel stripped from auxdata */
	setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &(int){ 1 }, sizeof(int));
	return fd;
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

/* SIGTERM/SIGINT end a send or recv early; it still prints its counts */
static volatile sig_atomic_t recv_stop;

static void on_stop(int sig)
{
	(void)sig;
	recv_stop = 1;
}

static int do_send(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_stop };
	uint8_t src[6] = { 0x02, 0x10, 0, 0, 0, 0 }, dst[6];
	long nmacs = 1, count = 100, rate = 1000, len = 60, vid = -1;
	long type = 0x88b5;
	double secs = 0, start, next, spurt_on = 0, spurt_off = 0, spurt;
	uint64_t *seq;
	uint8_t frame[1514], raw[1500];
	int fd, ifindex, opt;
	long sent = 0, nraw = -1;

	memset(dst, 0xff, 6);
	optind = 2;
	while ((opt = getopt(argc, argv, "s:n:c:r:t:d:v:l:e:p:x:")) != -1) {
		switch (opt) {
		case 's': if (parse_mac(optarg, src)) return 2; break;
		case 'd': if (parse_mac(optarg, dst)) return 2; break;
		case 'n': nmacs = strtol(optarg, NULL, 0); break;
		case 'c': count = strtol(optarg, NULL, 0); break;
		case 'r': rate = strtol(optarg, NULL, 0); break;
		case 't': secs = strtod(optarg, NULL); break;
		case 'v': vid = strtol(optarg, NULL, 0); break;
		case 'l': len = strtol(optarg, NULL, 0); break;
		case 'e': type = strtol(optarg, NULL, 0); break;
		case 'p':
			if (sscanf(optarg, "%lf,%lf", &spurt_on, &spurt_off) != 2)
				return 2;
			spurt_on /= 1000;
			spurt_off /= 1000;
			break;
		case 'x':
			for (nraw = 0; optarg[2 * nraw] && nraw < (long)sizeof(raw); nraw++) {
				unsigned int b;

				if (sscanf(optarg + 2 * nraw, "%2x", &b) != 1)
					return 2;
				raw[nraw] = b;
			}
			if (optarg[2 * nraw])
				return 2;
			break;
		default: return 2;
		}
	}
	if (optind != argc - 1 || nmacs < 1 || nmacs > 1 << 20 ||
	    len < 60 || len > 1514 || vid > 4094) {
		fprintf(stderr, "slbgen send: bad arguments\n");
		return 2;
	}
	fd = open_sock(argv[optind], ETH_P_ALL, &ifindex);
	seq = calloc(nmacs, sizeof(*seq));
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	start = now_s();
	next = start;
	spurt = start;
	while (!recv_stop && (count == 0 || sent < count) &&
	       (secs == 0 || now_s() - start < secs)) {
		uint32_t idx = sent % nmacs, m = ((uint32_t)src[3] << 16 |
						  src[4] << 8 | src[5]) + idx;
		uint8_t *p = frame;

		memcpy(p, dst, 6);
		memcpy(p + 6, src, 3);
		p[9] = m >> 16;
		p[10] = m >> 8;
		p[11] = m;
		p += 12;
		if (vid >= 0) {
			p[0] = 0x81;
			p[1] = 0x00;
			p[2] = vid >> 8;
			p[3] = vid;
			p += 4;
		}
		p[0] = type >> 8;
		p[1] = type;
		p += 2;
		memset(p, 0, frame + len - p);
		if (nraw >= 0) {
			memcpy(p, raw, nraw < frame + len - p ? nraw : frame + len - p);
		} else {
			put32(p, MAGIC);
			put32(p + 4, idx);
			put32(p + 8, seq[idx] >> 32);
			put32(p + 12, seq[idx]);
		}
		if (send(fd, frame, len, 0) < 0) {
			if (errno == ENOBUFS || errno == EAGAIN) {
				usleep(100);
				continue;
			}
			if (errno != ENETDOWN && errno != ENXIO) {
				perror("send");
				return 1;
			}
		}
		seq[idx]++;
		sent++;
		if (spurt_on > 0 && now_s() - spurt >= spurt_on) {
			usleep(spurt_off * 1e6);
			spurt = now_s();
			next = spurt;
			continue;
		}
		if (rate > 0) {
			double d;

			next += 1.0 / rate;
			d = next - now_s();
			if (d > 0)
				usleep(d * 1e6);
			else if (d < -SEND_CATCH_UP)
				next -= d + SEND_CATCH_UP;
		}
	}
	printf("sent %ld\n", sent);
	return 0;
}

static struct stream *find_stream(int ifidx, const uint8_t *mac, uint16_t vid)
{
	int i;

	for (i = 0; i < nstreams; i++)
		if (streams[i].ifidx == ifidx && streams[i].vid == vid &&
		    !memcmp(streams[i].mac, mac, 6))
			return &streams[i];
	if (nstreams == MAX_STREAMS)
		return NULL;
	streams[nstreams].ifidx = ifidx;
	streams[nstreams].vid = vid;
	memcpy(streams[nstreams].mac, mac, 6);
	return &streams[nstreams++];
}

static int do_recv(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_stop };
	char *names[MAX_IFS], *list, *tok;
	struct pollfd pfd[MAX_IFS];
	long type = 0x88b5;
	double secs = 1, end;
	uint64_t total = 0, reordered = 0;
	int nifs = 0, opt, i, bind_type = 0;

	optind = 2;
	while ((opt = getopt(argc, argv, "t:e:b")) != -1) {
		switch (opt) {
		case 't': secs = strtod(optarg, NULL); break;
		case 'e': type = strtol(optarg, NULL, 0); break;
		case 'b': bind_type = 1; break;
		default: return 2;
		}
	}
	if (optind != argc - 1)
		return 2;
	list = strdup(argv[optind]);
	for (tok = strtok(list, ","); tok && nifs < MAX_IFS; tok = strtok(NULL, ",")) {
		int ifindex;

		names[nifs] = tok;
		pfd[nifs].fd = open_sock(tok, bind_type && type ? type : ETH_P_ALL,
					 &ifindex);
		pfd[nifs].events = POLLIN;
		nifs++;
	}
	/* tell the caller we listen: it may start its senders now */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fprintf(stderr, "slbgen: listening\n");
	end = now_s() + secs;
	while (!recv_stop && now_s() < end) {
		int left = (end - now_s()) * 1000;

		if (poll(pfd, nifs, left > 0 ? left : 0) <= 0)
			continue;
		for (i = 0; i < nifs; i++) {
			uint8_t buf[2048], cbuf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
			struct iovec iov = { buf, sizeof(buf) };
			struct msghdr msg = { 0 };
			struct sockaddr_ll from;
			uint16_t vid = 0, etype;
			const uint8_t *pl;
			struct cmsghdr *c;
			struct stream *st;
			ssize_t n;

			if (!(pfd[i].revents & POLLIN))
				continue;
			msg.msg_name = &from;
			msg.msg_namelen = sizeof(from);
			msg.msg_iov = &iov;
			msg.msg_iovlen = 1;
			msg.msg_control = cbuf;
			msg.msg_controllen = sizeof(cbuf);
			n = recvmsg(pfd[i].fd, &msg, MSG_DONTWAIT);
			if (n < 14 || from.sll_pkttype == PACKET_OUTGOING)
				continue;
			/* a stripped tag comes as auxdata */
			for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
				struct tpacket_auxdata *aux = (void *)CMSG_DATA(c);

				if (c->cmsg_level == SOL_PACKET &&
				    c->cmsg_type == PACKET_AUXDATA &&
				    (aux->tp_status & TP_STATUS_VLAN_VALID))
					vid = aux->tp_vlan_tci & 0xfff;
			}
			etype = buf[12] << 8 | buf[13];
			pl = buf + 14;
			if (etype == 0x8100 && n >= 18) {
				vid = (buf[14] << 8 | buf[15]) & 0xfff;
				etype = buf[16] << 8 | buf[17];
				pl += 4;
			}
			if (type && etype != type)
				continue;
			st = find_stream(i, buf + 6, vid);
			if (!st)
				continue;
			st->frames++;
			total++;
			if (pl + 16 <= buf + n && get32(pl) == MAGIC) {
				uint64_t s = (uint64_t)get32(pl + 8) << 32 | get32(pl + 12);

				if (seen_before(st, s)) {
					/* when: tests match it with their own log */
					if (++st->dups <= 5)
						fprintf(stderr, "slbgen: %s: duplicate %llu at %.3f s\n",
							names[i], (unsigned long long)s, now_s());
				} else if (s < st->next_seq) {
					st->reordered++;
					reordered++;
				} else {
					if (s > st->next_seq && ++st->gaps <= 5)
						fprintf(stderr, "slbgen: %s: gap %llu before %llu at %.3f s\n",
							names[i],
							(unsigned long long)(s - st->next_seq),
							(unsigned long long)s, now_s());
					st->lost += s - st->next_seq;
					st->next_seq = s + 1;
				}
			}
		}
	}
	for (i = 0; i < nstreams; i++) {
		const uint8_t *m = streams[i].mac;

		printf("%s %02x:%02x:%02x:%02x:%02x:%02x %u %llu %llu %llu %llu\n",
		       names[streams[i].ifidx], m[0], m[1], m[2], m[3], m[4], m[5],
		       streams[i].vid, (unsigned long long)streams[i].frames,
		       (unsigned long long)streams[i].reordered,
		       (unsigned long long)streams[i].lost,
		       (unsigned long long)streams[i].dups);
	}
	printf("total %llu %llu\n", (unsigned long long)total,
	       (unsigned long long)reordered);
	/* frames the kernel had for us but our socket had no room for */
	for (i = 0; i < nifs; i++) {
		struct tpacket_stats st;
		socklen_t len = sizeof(st);

		if (!getsockopt(pfd[i].fd, SOL_PACKET, PACKET_STATISTICS, &st, &len))
			fprintf(stderr, "slbgen: %s: socket drops %u\n", names[i],
				st.tp_drops);
	}
	return 0;
}

static int do_announce(int argc, char **argv)
{
	uint8_t f[60] = { 0 }, mac[6];
	struct in_addr ip = { 0 };
	int fd, ifindex;

	if (argc < 4 || argc > 5 || parse_mac(argv[3], mac) ||
	    (argc == 5 && !inet_aton(argv[4], &ip)))
		return 2;
	fd = open_sock(argv[2], ETH_P_ALL, &ifindex);
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = argc == 5 ? 0x08 : 0x80;	/* ARP or RARP */
	f[13] = argc == 5 ? 0x06 : 0x35;
	f[15] = 1;				/* Ethernet */
	f[16] = 0x08;				/* IPv4 */
	f[18] = 6;
	f[19] = 4;
	f[21] = argc == 5 ? 1 : 3;		/* request / reverse request */
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, &ip, 4);
	if (argc == 4)
		memcpy(f + 32, mac, 6);
	memcpy(f + 38, &ip, 4);
	if (send(fd, f, sizeof(f), 0) < 0) {
		perror("send");
		return 1;
	}
	return 0;
}

static struct nlattr *nla_put(uint8_t *buf, size_t *off, uint16_t type,
			      const void *data, uint16_t len)
{
	struct nlattr *a = (struct nlattr *)(buf + *off);

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy(buf + *off + NLA_HDRLEN, data, len);
	*off += NLA_ALIGN(a->nla_len);
	return a;
}

static int do_bondattr(int argc, char **argv)
{
	uint8_t buf[4096] = { 0 }, ans[4096];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct ifinfomsg *ifi = NLMSG_DATA(nh);
	struct nlattr *info, *data;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	size_t off = NLMSG_LENGTH(sizeof(*ifi));
	int fd, i, one = 1;
	ssize_t n;

	if (argc < 4)
		return 2;
	nh->nlmsg_type = RTM_NEWLINK;
	nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nh->nlmsg_seq = 1;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = if_nametoindex(argv[2]);
	if (!ifi->ifi_index) {
		fprintf(stderr, "slbgen: no interface %s\n", argv[2]);
		return 2;
	}
	info = nla_put(buf, &off, IFLA_LINKINFO | NLA_F_NESTED, NULL, 0);
	nla_put(buf, &off, IFLA_INFO_KIND, "bond", 5);
	data = nla_put(buf, &off, IFLA_INFO_DATA | NLA_F_NESTED, NULL, 0);
	for (i = 3; i < argc; i++) {
		unsigned long type, len;
		unsigned long long v;
		uint8_t val[8];

		if (sscanf(argv[i], "%lu:%lu:%llu", &type, &len, &v) != 3 ||
		    (len != 1 && len != 2 && len != 4 && len != 8))
			return 2;
		if (len == 1)
			val[0] = v;
		else if (len == 2)
			*(uint16_t *)val = v;
		else if (len == 4)
			*(uint32_t *)val = v;
		else
			*(uint64_t *)val = v;
		nla_put(buf, &off, type, val, len);
	}
	data->nla_len = buf + off - (uint8_t *)data;
	info->nla_len = buf + off - (uint8_t *)info;
	nh->nlmsg_len = off;

	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (fd < 0) {
		perror("socket");
		return 2;
	}
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (sendto(fd, buf, off, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("sendto");
		return 2;
	}
	n = recv(fd, ans, sizeof(ans), 0);
	nh = (struct nlmsghdr *)ans;
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) ||
	    nh->nlmsg_type != NLMSG_ERROR) {
		fprintf(stderr, "slbgen: no answer from the kernel\n");
		return 2;
	}
	{
		struct nlmsgerr *e = NLMSG_DATA(nh);
		const char *msg = "";
		size_t aoff = NLMSG_HDRLEN + sizeof(*e);

		/* the request is not echoed back (capped) with ext ack on */
		if (nh->nlmsg_flags & NLM_F_CAPPED)
			while (aoff + NLA_HDRLEN <= nh->nlmsg_len) {
				struct nlattr *a = (struct nlattr *)(ans + aoff);

				if (a->nla_len < NLA_HDRLEN)
					break;
				if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
					msg = (const char *)a + NLA_HDRLEN;
				aoff += NLA_ALIGN(a->nla_len);
			}
		printf("error %d%s%s\n", e->error, *msg ? " " : "", msg);
		return e->error ? 1 : 0;
	}
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "bondattr"))
		return do_bondattr(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "announce"))
		return do_announce(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "send"))
		return do_send(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "recv"))
		return do_recv(argc, argv);
	fprintf(stderr, "usage: slbgen send IFACE [opts] | slbgen recv IFACES -t SECS [-e TYPE]\n");
	return 2;
}
