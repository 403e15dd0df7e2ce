#!/bin/sh
# socmesh demo: three SOCs share an incident end to end on this machine.
#
# Here the messages travel as files: `socmesh export` at one node,
# `socmesh import` at another, which applies exactly the checks a node
# applies to what a peer sends (decoder limits, trust and TLP rules,
# signature), so each step can be shown.  tests/integration/gossip.sh
# shows the same rules between running socmeshd nodes.
#
# Every step is checked; the script exits non-zero if anything differs.
# DEMO_QUIET=1 prints only failures (make check runs it that way).
set -eu
B=${B:-build}
SM="$(pwd)/$B/socmesh"
SMD="$(pwd)/$B/socmeshd"
[ -x "$SM" ] || { echo "demo: $SM not built (run: make)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/socmesh-demo-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export SOCMESH_DIR=

say() { [ -n "${DEMO_QUIET:-}" ] || printf '%s\n' "$*"; }
section() { say ""; say "== $* =="; }
show() { if [ -n "${DEMO_QUIET:-}" ]; then "$@" >/dev/null; else "$@" | sed 's/^/   /'; fi; }
fail() { echo "demo: FAILED: $*" >&2; exit 1; }
sm() { node=$1; shift; "$SM" --dir "$WORK/$node" "$@"; }

section "Three SOC nodes: soc-a, soc-b (members of each other) and soc-c"
port=17101
for n in soc-a soc-b soc-c; do
	sm $n init --name $n --listen tcp://127.0.0.1:$port >/dev/null
	port=$((port + 1))
done
A=$(sm soc-a id) B_=$(sm soc-b id) C=$(sm soc-c id)
say "soc-a $A"; say "soc-b $B_"; say "soc-c $C"
sm soc-a trust add --name soc-b --key "$B_" --level member
sm soc-a trust add --name soc-c --key "$C" --level member
sm soc-b trust add --name soc-a --key "$A" --level member
sm soc-b trust add --name soc-c --key "$C" --level member
sm soc-c trust add --name soc-a --key "$A" --level member
sm soc-c trust add --name soc-b --key "$B_" --level external
"$SMD" -n --dir "$WORK/soc-a" 2>/dev/null || fail "socmeshd -n rejects a fresh node"
show sm soc-b trust list

section "soc-a publishes a TLP:GREEN phishing incident"
INC=$(sm soc-a publish --tlp green --kind incident \
	--title "Phishing campaign impersonating a national energy supplier" \
	--category fraud --type phishing --severity high --sector energy \
	--summary "Fake overdue invoices; credential portal behind a look-alike domain." \
	--indicator domain:Invoice-Portal.Example. --indicator 198.51.100.23 \
	--indicator url:https://invoice-portal.example/login --attack T1566.002 \
	--action "Block the domain and the address at mail gateway and proxy" | tail -n 1)
say "message id $INC"
sm soc-a export "$INC" > "$WORK/incident.msg"
for n in soc-b soc-c; do
	sm $n import --from soc-a "$WORK/incident.msg" >/dev/null || fail "$n refused the incident"
done
sm soc-b import --from soc-a "$WORK/incident.msg" | grep -q '^duplicate' || fail "duplicate not detected"
say "soc-b and soc-c imported it; a second copy is recognized as a duplicate"

section "soc-b saw it too: a sighting, and its own incident with the same address"
SIGHT=$(sm soc-b sight "$INC" --note "Same sender infrastructure seen at two constituents" | tail -n 1)
OWN=$(sm soc-b publish --tlp green --title "Credential portal hosted on 198.51.100.23" \
	--category fraud --type phishing --severity medium --indicator 198.51.100.23 \
	--indicator domain:billing-check.example | tail -n 1)
for m in "$SIGHT" "$OWN"; do
	sm soc-b export "$m" > "$WORK/b.msg"
	sm soc-a import --from soc-b "$WORK/b.msg" >/dev/null || fail "soc-a refused soc-b's message"
	if sm soc-c import --from soc-b "$WORK/b.msg" 2>"$WORK/err"; then
		fail "soc-c took TLP:GREEN from soc-b, which it trusts as external only"
	fi
	sm soc-c import --from soc-a "$WORK/b.msg" >/dev/null || fail "soc-c refused the relay by soc-a"
done
say "soc-c trusts soc-b as external: $(sed 's/.*rejected: //' "$WORK/err")"
say "so soc-c takes soc-b's reports relayed by its member peer soc-a"
say "soc-c asks: has anyone seen 198.51.100.23?"
show sm soc-c query --indicator 198.51.100.23
[ "$(sm soc-c query --indicator 198.51.100.23 --json | wc -l)" -eq 2 ] ||
	fail "soc-c does not find both reports of 198.51.100.23"
sm soc-c query --indicator 198.51.100.23 --json | grep -q "\"id\": *\"$INC\"\|\"id\":\"$INC\"" ||
	fail "query by indicator at soc-c did not find the incident"
say "soc-a shows the incident, its thread, and who reported each indicator:"
show sm soc-a show "$INC"
sm soc-a show "$INC" --json | grep -q '"kind":"sighting"' || fail "the sighting is not in the thread"
sm soc-a show "$INC" --json | grep -q '"value":"198.51.100.23","socs":2' ||
	fail "soc-a does not see two SOCs reporting 198.51.100.23"

section "soc-a sends TLP:AMBER details to soc-b only"
AMB=$(sm soc-a publish --tlp amber --to soc-b --title "Internal mail server compromised" \
	--category intrusions --severity critical --indicator 203.0.113.77 | tail -n 1)
sm soc-a export "$AMB" > "$WORK/amber.msg"
sm soc-b import --from soc-a "$WORK/amber.msg" >/dev/null || fail "soc-b refused amber addressed to it"
sm soc-b show "$AMB" | grep -q "Internal mail server compromised" || fail "soc-b cannot read its amber"
say "soc-b reads it:"
show sm soc-b query --tlp amber
if sm soc-c import --from soc-a "$WORK/amber.msg" 2>"$WORK/err"; then fail "soc-c stored amber not meant for it"; fi
say "soc-c refuses it: $(cat "$WORK/err")"
grep -q "Internal mail server" "$WORK/amber.msg" && fail "the amber body travels in clear"
say "the amber body is sealed: its title appears nowhere in the bytes"

section "A relay cannot change a bit (external peers: clear only)"
# the envelope's "tlp" comes before the body: the first "green" is the TLP
perl -0777 -pe 's/green/clear/' <"$WORK/incident.msg" >"$WORK/tampered.msg"
if sm soc-c import --from soc-a "$WORK/tampered.msg" 2>"$WORK/err"; then fail "tampered TLP accepted"; fi
say "TLP changed from green to clear by a relay: $(cat "$WORK/err")"

section "soc-c's view"
show sm soc-c query
sm soc-a check >/dev/null || fail "store check at soc-a"
say ""
say "demo complete: 3 nodes, $(sm soc-a query --json | wc -l) messages at soc-a, all checks passed"
