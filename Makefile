# SPDX-License-Identifier: GPL-2.0-only
#
# bonding.ko with balance-slb, built out of tree from the pristine bonding
# sources of the target Debian kernel + patches/ + src/ + include/.
#
#   make [KVER=<release>] [KSRC=<kernel tree>] [KDIR=<kernel build dir>]
#                                                build build/<release>/bonding.ko
#        (a kernel of another Debian release than the host's is built in
#        a root of that release, made once under .cache/roots/)
#        (KDIR: a configured and built kernel tree, e.g. an O= dir, instead
#        of the Debian headers; make check-debug builds with it)
#   make install                                 install into updates/, depmod
#   make check                                   everything CI runs
#   make demo                                    balance-slb in a VM
#   make unit                                    userspace unit tests only
#   make vmtest [KVER=..] [TESTS=a.sh,b.sh]      VM selftests on one kernel
#   make upstream-selftests [KVER=..]            the kernel's own bonding selftests,
#                                                Debian's bonding.ko vs ours
#   make check-debug [TESTS=..]                  debug kernel (KASAN, lockdep,
#                                                kmemleak) + the VM selftests
#   make check-kcsan [TESTS=..]                  the same on a KCSAN kernel: fails on a
#                                                data race in balance-slb, lists
#                                                upstream's; build/check-kcsan/reports.txt
#                                                (kernel build 34 min, suite 55 min)
#   make lint                                    checkpatch --strict + sparse
#   make bench                                   benchmarks (simulator + VM datapath)
#   make bench-reorder [KVER=..]                 frames out of order at moves: traced
#   make iproute2                                build/iproute2/ip knowing balance-slb
#   make series [SERIES_CHECK=1]                 the upstream series: kernel (net-next)
#                                                and iproute2 (iproute2-next), in
#                                                build/series/; checked patch by patch
#   make dkms-src DEST=<dir>                     the DKMS source tree (no kernel sources)
#   make deb                                     build/deb/bonding-slb-dkms_<ver>_all.deb

ROOT := $(CURDIR)
KVER ?= $(shell $(ROOT)/tools/kernel.sh default-kver)
BUILD = $(ROOT)/build/$(KVER)
BONDDIR = $(BUILD)/drivers/net/bonding
INSTALL_MOD_DIR ?= updates
SLBGEN := $(ROOT)/build/tools/slbgen
KVER_PEERS = $(if $(filter command line,$(origin KVER)),$(KVER),$(shell $(ROOT)/tools/kernel.sh latest 7.x))
KVER_BENCH = $(if $(filter command line,$(origin KVER)),$(KVER),$(shell $(ROOT)/tools/kernel.sh latest 6.12))
# our ip (make iproute2), in the guest as ip-slb next to the usual ip
IP_SLB := $(ROOT)/build/iproute2/ip-slb
export KSRC KDIR

.PHONY: all module install unit vmtest check demo lint clean slbgen iproute2 dkms-src deb
.PHONY: upstream-selftests check-debug check-kcsan series

all: module

slbgen: $(SLBGEN)

module:
	@kd=$$($(ROOT)/tools/kernel.sh kdir $(KVER)) && \
	$(ROOT)/tools/kernel.sh prepare $(KVER) $(BUILD) >/dev/null && \
	$(ROOT)/tools/kernel.sh run $(KVER) \
		$(MAKE) -C $$kd M=$(BONDDIR) SLB_ROOT=$(ROOT) $(if $(C),C=$(C)) modules && \
	cp $(BONDDIR)/bonding.ko $(BUILD)/bonding.ko && \
	echo "built $(BUILD)/bonding.ko for $(KVER)"

install: module
	@kd=$$($(ROOT)/tools/kernel.sh kdir $(KVER)) && \
	$(ROOT)/tools/kernel.sh run $(KVER) \
		$(MAKE) -C $$kd M=$(BONDDIR) SLB_ROOT=$(ROOT) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) \
		$(if $(INSTALL_MOD_PATH),INSTALL_MOD_PATH=$(INSTALL_MOD_PATH)) \
		modules_install && \
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) -a $(KVER)

unit:
	@$(MAKE) -s -C $(ROOT)/selftests/unit run

# static, so it runs in the guest's minimal userland
$(SLBGEN): $(ROOT)/tools/slbgen.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -Werror -static -o $@ $<

vmtest: module $(SLBGEN)
	@$(ROOT)/tools/vm/run.sh --kver $(KVER) --extra-bin $(SLBGEN) \
		$(if $(wildcard $(IP_SLB)),--extra-bin $(IP_SLB)) \
		--extra-tree $$($(ROOT)/tools/vm/guest-debs.sh ifupdown ifenslave) \
		--image-root $$($(ROOT)/tools/kernel.sh image $(KVER)) \
		--module $(BUILD)/bonding.ko --tests $(ROOT)/selftests \
		--out $(BUILD)/vm $(if $(TESTS),--only $(TESTS))

check:
	@$(ROOT)/tools/check.sh

series:
	@$(ROOT)/tools/series.sh $(if $(SERIES_CHECK),--check) $(ROOT)/build/series/kernel && \
	$(ROOT)/tools/series-iproute2.sh $(ROOT)/build/series/iproute2

upstream-selftests: module
	@$(ROOT)/tools/upstream-selftests.sh $(KVER)

check-debug:
	@$(ROOT)/tools/check-debug.sh

# not in make check: a kernel of its own (its own cache key) and a suite
# run at KCSAN+TCG speed
check-kcsan:
	@$(ROOT)/tools/check-debug.sh --kcsan

demo:
	@$(ROOT)/tools/demo.sh $(if $(filter command line,$(origin KVER)),$(KVER))

lint:
	@$(ROOT)/tools/lint.sh $(KVER)

iproute2:
	@$(ROOT)/tools/iproute2.sh

# What DKMS needs to run `make module`, and nothing else: no kernel
# sources (fetched at build time), no tests.  bonding-slb-dkms installs
# this in /usr/src/bonding-slb-<version>.
DKMS_FILES = dkms.conf Makefile Kbuild LICENSE README.md tools/kernel.sh \
	$(patsubst $(ROOT)/%,%,$(wildcard $(addprefix $(ROOT)/,src/*.[ch] \
		src/oot/*.[ch] include/*.h include/*/*.h patches/common/*.patch \
		patches/oot/*.patch \
		patches/[0-9]*/*.patch)))

dkms-src:
	@test -n "$(DEST)" || { echo "usage: make dkms-src DEST=<dir>" >&2; exit 1; }
	@mkdir -p "$(DEST)" && cd $(ROOT) && cp --parents $(DKMS_FILES) "$(DEST)/"

deb:
	@$(ROOT)/tools/deb.sh

clean:
	rm -rf $(ROOT)/build
	@$(MAKE) -s -C $(ROOT)/selftests/unit clean

# Rebalancer quality: the real src/bond_slb_core.c against models of the
# alternatives on generated traces (userspace, deterministic, ~30 s).
BENCH_SIM_DIR := $(ROOT)/build/bench/sim
BENCH_SIM_SRCS := $(wildcard $(ROOT)/tools/bench/*.c) $(ROOT)/src/bond_slb_core.c

$(BENCH_SIM_DIR)/sim: $(BENCH_SIM_SRCS) $(ROOT)/tools/bench/sim.h \
		$(ROOT)/include/bond_slb_core.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -Werror -I$(ROOT)/selftests/unit/shim \
		-I$(ROOT)/include -o $@ $(BENCH_SIM_SRCS) -lm

# the commit of the core the results come from, +changes if edited since
BENCH_SIM_REV = $$(cd $(ROOT) && \
	git log -1 --format=%h -- src/bond_slb_core.c include/bond_slb_core.h \
	2>/dev/null)$$(cd $(ROOT) && git diff --quiet HEAD -- \
	src/bond_slb_core.c include/bond_slb_core.h 2>/dev/null || echo +changes)

bench-sim: $(BENCH_SIM_DIR)/sim
	@$< --out $(BENCH_SIM_DIR) --rev "$(BENCH_SIM_REV)"
	@$(ROOT)/tools/bench/plot.sh $(BENCH_SIM_DIR)

.PHONY: bench-sim

# The simulator over SEEDS variants of every trace (other MACs, rates and
# timings): how often the goal is met, not whether it was once (~3 min).
SEEDS ?= 10
bench-sweep: $(BENCH_SIM_DIR)/sim
	@$(ROOT)/tools/bench/sweep.sh $< $(ROOT)/build/bench/sweep $(SEEDS) \
		--rev "$(BENCH_SIM_REV)"

.PHONY: bench-sweep

# Datapath: pktgen transmit cost (wall clock, and instructions and spin locks
# per frame under -icount) and failover loss per mode: two VM boots.
bench-datapath:
	@KVER=$(KVER_BENCH) $(ROOT)/tools/bench/datapath.sh

# balance-slb beside Open vSwitch's balance-slb, NetworkManager's nftables
# recipe, balance-tlb and active-backup in one boot of the newest kernel
# (or KVER=): failover, loops, duplicates, moves, churn (~80 min)
bench-peers:
	@KVER=$(KVER_PEERS) $(ROOT)/tools/bench/peers.sh

.PHONY: bench-peers

# balance-slb against Open vSwitch's balance-slb over BENCH_CHURN_RUNS (5)
# churn runs of BENCH_CHURN_SECS (600) s each, interleaved in one boot of
# the newest 7.x (or KVER=), a new hash seed and schedule per run: balance
# (util/opt) with its paired intervals, moves, most moves of one MAC in
# 60 s (~105 min)
bench-churn:
	@KVER=$(KVER_PEERS) $(ROOT)/tools/bench/churn.sh

.PHONY: bench-churn

# balance-slb at its stated limits (64 slaves, a full 65536-entry MAC table
# over 4094 VLANs), measured in the kernel (ftrace, kprobes) in one boot of
# the newest 7.x (or KVER=): memory per bond, the work item, a rebalance,
# the failover's announcement pass, /proc and debugfs reads (~12 min)
bench-scale:
	@KVER=$(KVER_PEERS) $(ROOT)/tools/bench/scale.sh

.PHONY: bench-scale

# where a moving talkspurt stream's frames get out of order: every frame
# traced at both slaves, with the test bed pinned to one CPU and not, in
# one boot of 6.1 (or KVER=), 5 rounds of 40 s each (~15 min)
bench-reorder:
	@KVER=$(if $(filter command line,$(origin KVER)),$(KVER),$(shell $(ROOT)/tools/kernel.sh latest 6.1)) \
		$(ROOT)/tools/bench/reorder.sh

.PHONY: bench-reorder

# Both benchmarks; results under build/bench/ (not a test: make check stays
# fast), then one table of both side by side (build/bench/summary.txt)
bench: bench-sim bench-datapath
	@$(ROOT)/tools/bench/summary.sh $(BENCH_SIM_DIR) $(ROOT)/build/bench/datapath \
		| tee $(ROOT)/build/bench/summary.txt

.PHONY: bench bench-datapath

