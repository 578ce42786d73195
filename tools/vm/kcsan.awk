# SPDX-License-Identifier: GPL-2.0-or-later
#
# KCSAN reports in a kernel console log (plain text, timestamps allowed),
# for tools/vm/run.sh --kcsan and tools/kcsan-reports.sh.
#
#   awk -f kcsan.awk console.log            one record per report:
#       report TEST   the selftest that was running (the guest's "slb: test
#                     N NAME start/end" marks): NAME, "after NAME" between
#                     tests, "boot" before the first
#       title TEXT    what follows "BUG: KCSAN: ", e.g. "data-race in f / g"
#       access TEXT   "write to 0x... of 4 bytes by task 12 on cpu 1:",
#                     one per stack
#       frame F       "f+0x12/0x80 [bonding]": that access's stack,
#                     innermost first
#       info TEXT     held locks, irq events, the value that changed
#       end
#   awk -v blank=1 -f kcsan.awk console.log
#       the log itself with those lines of each report emptied (the line
#       count kept), for the generic check of the log: what else was
#       printed in the middle of a report still counts there
#
# A report's lines are taken by their form only: another CPU's message
# printed in the middle of one is not mistaken for a part of it.

function out(kind, text) {
	if (blank)
		emptied = 1
	else
		print kind (text == "" ? "" : " " text)
}

{
	line = $0
	sub(/\r$/, "", line)
	l = line
	sub(/^\[ *[0-9]+\.[0-9]+\] ?/, "", l)
	emptied = 0
}

l ~ /^slb: test [0-9]+ [^ ]+ start$/ {
	split(l, w, " ")
	test = w[4]
}
l ~ /^slb: test [0-9]+ [^ ]+ end / {
	split(l, w, " ")
	test = "after " w[4]
}

l ~ /^BUG: KCSAN: / {
	if (inr)
		out("end", "")
	inr = 1
	stack = 0
	out("report", test == "" ? "boot" : test)
	out("title", substr(l, 13))
}
inr && !emptied && l ~ /^Reported by Kernel Concurrency Sanitizer on:$/ {
	out("end", "")
	inr = 0
}
inr && !emptied && l ~ / to 0x[0-9a-f]+ of [0-9]+ bytes by / {
	out("access", l)
	stack = 1
}
inr && !emptied && stack && l ~ /^ *[A-Za-z0-9_.]+\+0x[0-9a-f]+\/0x[0-9a-f]+( \[[A-Za-z0-9_]+\])?$/ {
	sub(/^ +/, "", l)
	out("frame", l)
}
inr && !emptied && l == "" {
	stack = 0
}
inr && !emptied && l ~ /^value changed: |^ bits changed: |locks? held by |^ *#[0-9]+: |^irq event stamp: |irqs last +(en|dis)abled at / {
	sub(/^ +/, "", l)
	out("info", l)
}

blank {
	print emptied ? "" : line
}

END {
	if (inr && !blank)
		print "end"
}
