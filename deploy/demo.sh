#!/bin/sh
# socmesh demo: a small network of SOCs on this machine, played through the
# real CLI.  Three SOCs trust each other as members, in a line (soc-a and
# soc-c have no link of their own, so what one shares reaches the other
# through soc-b), and soc-a has an external partner.  Every step is
# checked; the script exits non-zero if anything differs.
#
#   DEMO_QUIET=1  print only failures (make check runs it that way)
#   KEEP=1        leave the network running and say how to use and stop it
set -eu
B=${B:-build}
SM="$(pwd)/$B/socmesh"
SMD="$(pwd)/$B/socmeshd"
[ -x "$SM" ] && [ -x "$SMD" ] || { echo "demo: $B/socmesh and socmeshd not built (run: make)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/socmesh-demo-XXXXXX)
NODES="soc-a soc-b soc-c partner"
export SOCMESH_DIR=

# stop_all: SIGTERM to every node, then each one's exit status; 0 when
# every node shut down cleanly (exit 0).
stop_all() {
	for n in $NODES; do
		[ -f "$WORK/$n.pid" ] && kill -TERM "$(cat "$WORK/$n.pid")" 2>/dev/null || true
	done
	unclean=""
	for n in $NODES; do
		[ -f "$WORK/$n.pid" ] || continue
		wait "$(cat "$WORK/$n.pid")" || unclean="$unclean $n"
		rm -f "$WORK/$n.pid"
	done
	[ -z "$unclean" ]
}
cleanup() { stop_all || true; rm -rf "$WORK"; }
[ -n "${KEEP:-}" ] || trap cleanup EXIT

say() { [ -n "${DEMO_QUIET:-}" ] || printf '%s\n' "$*"; }
section() { say ""; say "== $* =="; }
show() { if [ -n "${DEMO_QUIET:-}" ]; then "$@" >/dev/null; else "$@" | sed 's/^/   /'; fi; }
fail() { echo "demo: FAILED: $*" >&2; for n in $NODES; do tail -n 5 "$WORK/$n.log" >&2 2>/dev/null; done; exit 1; }
sm() { node=$1; shift; "$SM" --dir "$WORK/$node" "$@"; }
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
# within SECONDS COMMAND...: poll until it succeeds; SECONDS times
# TIME_SCALE, which make check sets under the sanitizers (tests/run)
within() {
	t=$(($1 * 20 * ${TIME_SCALE:-1})); shift
	while [ $t -gt 0 ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.05; t=$((t - 1)); done
	return 1
}
has() { sm "$1" show "$2" >/dev/null 2>&1; }
# recons NODE PEER: reconciliations NODE completed with PEER
recons() { sm "$1" stats --prometheus | sed -n "s/^socmesh_reconciliations_total{peer=\"$2\"} //p"; }

section "Four nodes on 127.0.0.1: soc-a - soc-b - soc-c, and soc-a's external partner"
for n in $NODES; do
	p=$(port)
	sm $n init --name $n --listen "tcp://127.0.0.1:$p" >/dev/null
	# anti-entropy every second instead of every minute, for a short demo
	sed -i 's/^sync_interval = .*/sync_interval = 1s/' "$WORK/$n/socmesh.conf"
	echo "$p" >"$WORK/$n.port"
done
ep() { echo "tcp://127.0.0.1:$(cat "$WORK/$1.port")"; }
key() { sm "$1" id; }
# members of each other; links soc-a -> soc-b -> soc-c; the partner dials soc-a
sm soc-a trust add --name soc-b --key "$(key soc-b)" --endpoint "$(ep soc-b)"
sm soc-a trust add --name soc-c --key "$(key soc-c)"
sm soc-a trust add --name partner --key "$(key partner)" --level external
sm soc-b trust add --name soc-a --key "$(key soc-a)"
sm soc-b trust add --name soc-c --key "$(key soc-c)" --endpoint "$(ep soc-c)"
sm soc-c trust add --name soc-a --key "$(key soc-a)"
sm soc-c trust add --name soc-b --key "$(key soc-b)"
sm partner trust add --name soc-a --key "$(key soc-a)" --endpoint "$(ep soc-a)"
# a node accepts messages only from origins it knows: the partner knows all
sm partner trust add --name soc-b --key "$(key soc-b)"
sm partner trust add --name soc-c --key "$(key soc-c)"
for n in $NODES; do
	"$SMD" --dir "$WORK/$n" 2>"$WORK/$n.log" &
	echo $! >"$WORK/$n.pid"
done
for n in $NODES; do within 10 sm $n peers || fail "$n did not start"; done
within 5 sh -c "$SM peers --dir $WORK/soc-b --json | grep -c '\"connected\":true' | grep -q 2" ||
	fail "soc-b is not connected to both neighbours"
show sm soc-b peers

section "soc-a publishes a TLP:GREEN phishing campaign with its indicators"
INC=$(sm soc-a publish --tlp green --title "Phishing campaign impersonating a national energy supplier" \
	--category fraud --type phishing --severity high --sector energy \
	--summary "Fake overdue invoices; credential portal behind a look-alike domain." \
	--indicator domain:Invoice-Portal.Example. --indicator 198.51.100.23 \
	--indicator url:https://invoice-portal.example/login --attack T1566.002 \
	--action "Block the domain and the address at mail gateway and proxy" | tail -n 1)
say "message id $INC"
within 3 has soc-c "$INC" || fail "the incident did not reach soc-c (through soc-b) within 3 s"
say "soc-c has it within 3 s, relayed by soc-b; the external partner does not (green is for members)"
has partner "$INC" && fail "green reached the external partner"

section "soc-b saw it too: a sighting, and its own report of the same address"
SIGHT=$(sm soc-b sight "$INC" --note "Same sender infrastructure seen at two constituents" | tail -n 1)
OWN=$(sm soc-b publish --tlp green --title "Credential portal hosted on 198.51.100.23" \
	--category fraud --type phishing --severity medium --indicator 198.51.100.23 \
	--indicator domain:billing-check.example | tail -n 1)
within 3 has soc-a "$OWN" || fail "soc-b's report did not reach soc-a"
within 3 has soc-a "$SIGHT" || fail "the sighting did not reach soc-a"
say "soc-c asks the network: has anyone seen 198.51.100.23?"
within 3 sh -c "[ \$($SM query --dir $WORK/soc-c --indicator 198.51.100.23 --json | wc -l) -eq 2 ]" ||
	fail "soc-c does not find both reports"
show sm soc-c query --indicator 198.51.100.23

section "soc-a raises the severity: an update of the case"
UPD=$(sm soc-a publish --kind update --ref "$INC" --title "Campaign now delivers a loader" \
	--category malicious-code --severity critical --status open --indicator sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 | tail -n 1)
within 3 has soc-c "$UPD" || fail "the update did not reach soc-c"
say "soc-a's view of the case: the thread, and how many SOCs reported each indicator"
show sm soc-a show "$INC"
sm soc-a show "$INC" --json | grep -q '"value":"198.51.100.23","socs":2' || fail "soc-a does not see two SOCs on 198.51.100.23"

section "soc-a tells soc-b something TLP:AMBER, for soc-b only"
AMB=$(sm soc-a publish --tlp amber --to soc-b --title "Our mail server was compromised" \
	--category intrusions --severity critical --indicator 203.0.113.77 | tail -n 1)
within 3 has soc-b "$AMB" || fail "the amber message did not reach soc-b"
sm soc-b show "$AMB" | grep -q "Our mail server was compromised" || fail "soc-b cannot read its amber message"
# A full reconciliation round on both links after it: nothing leaks through
# anti-entropy either.
rb=$(recons soc-c soc-b) ra=$(recons partner soc-a)
within 5 sh -c "[ \$($SM stats --prometheus --dir $WORK/soc-c | sed -n 's/^socmesh_reconciliations_total{peer=\"soc-b\"} //p') -gt $rb ]" ||
	fail "no reconciliation between soc-b and soc-c"
within 5 sh -c "[ \$($SM stats --prometheus --dir $WORK/partner | sed -n 's/^socmesh_reconciliations_total{peer=\"soc-a\"} //p') -gt $ra ]" ||
	fail "no reconciliation between soc-a and the partner"
has soc-c "$AMB" && fail "amber reached soc-c"
has partner "$AMB" && fail "amber reached the partner"
say "why did soc-c and the partner not get it? soc-a explains:"
show sm soc-a explain "$AMB"

section "soc-c publishes a TLP:CLEAR advisory, which the partner may see too"
ADV=$(sm soc-c publish --tlp clear --title "Advisory: patch the VPN appliances (CVE-2024-3400)" \
	--category vulnerable --severity high --indicator cve:CVE-2024-3400 | tail -n 1)
within 3 has partner "$ADV" || fail "the clear advisory did not reach the partner"
show sm partner query

section "soc-b's report was a false positive: soc-b retracts it"
RET=$(sm soc-b publish --kind retract --ref "$OWN" --note "False positive: a sinkhole we run" | tail -n 1)
within 3 has soc-c "$RET" || fail "the retraction did not reach soc-c"
within 3 sh -c "! $SM query --dir $WORK/soc-c --indicator 198.51.100.23 --json | grep -q $OWN" ||
	fail "the retracted report is still listed at soc-c"
say "soc-c no longer lists it; it stays stored for audit (query --all)"
show sm soc-c query --indicator 198.51.100.23 --all
within 3 sh -c "$SM show $INC --dir $WORK/soc-a --json | grep -q '\"value\":\"198.51.100.23\",\"socs\":1,'" ||
	fail "soc-a still counts the retracted report"
say "and soc-a's case counts 198.51.100.23 as reported by 1 SOC again:"
if [ -z "${DEMO_QUIET:-}" ]; then sm soc-a show "$INC" | grep "198.51.100.23" | sed 's/^ */   /'; fi

section "Each node's view: what it holds"
for n in $NODES; do
	say "-- $n: $(sm $n stats | head -n 1 | sed 's/^node [^:]*: //')"
	show sm $n query --all
done
[ "$(sm partner query --all --json | wc -l)" -eq 1 ] || fail "the partner holds more than the clear advisory"
sm soc-c query --all --json | grep -q "$AMB" && fail "soc-c holds the amber message"

if [ -n "${KEEP:-}" ]; then
	say ""
	say "The network keeps running in $WORK. Try:"
	say "  $SM query --dir $WORK/soc-c"
	say "  $SM show $INC --dir $WORK/soc-a"
	say "  $SM explain $AMB --dir $WORK/soc-a"
	say "  $SM peers --dir $WORK/soc-b"
	say "  $SM stats --prometheus --dir $WORK/soc-b"
	say "Stop it with:"
	say "  kill \$(cat $WORK/*.pid); rm -rf $WORK"
	exit 0
fi
stop_all || fail "a node did not shut down cleanly:$unclean"
say ""
say "demo complete: 4 nodes stopped cleanly, every check passed"
