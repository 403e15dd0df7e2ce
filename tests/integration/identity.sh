#!/bin/sh
# Issue 8, items 1 and 2: a connection is the CURVE key it authenticated
# with, for its whole life, and every trust change is judged at once on
# every live connection and open exchange.  A scripted peer
# (tests/unit/helper_spy.c) holds a connection open while the node's trust
# list changes under it, and writes down every frame it receives.
#   1. an external peer renamed, and a member added under the freed name:
#      the external's open connection is still the external's
#   2. a member demoted to external while an exchange or a transfer is open:
#      no GREEN id, fingerprint or message of the member-era set reaches it
#      any more
set -u
. tests/integration/lib/nodes.sh
SPY=${SPY:-$B/tests/helper_spy}

ep() { echo "tcp://127.0.0.1:$(cat "$T/$1.port")"; }
# sign DIR FILE FIELD=VALUE...: a message signed with DIR's key into $T/FILE.msg; its id
sign() { d=$1 f=$2; shift 2; "$SPY" sign "$T/$d" "$T/$f.msg" "$@"; }
# spy NAME DIR NODE SPEC...: a scripted peer with DIR's key connected to NODE,
# logging to $T/NAME.log (killed with everything else at the end)
spy() {
	s=$1 d=$2 n=$3; shift 3
	"$SPY" "$T/$d" "$(ep "$n")" "$(id_of "$n")" "$T/$s.log" "$@" 2>>"$T/$s.err" &
	echo $! >"$T/$s.pid"
	wait_until 10 grep -q '^HELLO' "$T/$s.log" || { fail "the $s peer did not get through to $n"; finish; exit 1; }
}
got() { grep -q "^MSG $2\$" "$T/$1.log"; }               # the spy received message $2
after() { sed -n "\\|^# wait:$T/$2\$|,\$p" "$T/$1.log"; } # what it received after its wait:$2
hellos() { grep -c '^HELLO' "$T/$1.log"; }
hellos_over() { [ "$(hellos "$1")" -gt "$2" ]; }
# pf NODE PEER FIELD: a field of PEER's line in NODE's `peers --json` (numbers,
# booleans, strings unquoted; the rejected object as it is); rej NODE PEER
# REASON: a rejection counter (0 when none)
pf() {
	"$SM" peers --dir "$T/$1" --json | grep "\"name\":\"$2\"," |
		sed -n "s/.*\"$3\":\(\"[^\"]*\"\|{[^}]*}\|[^,}]*\).*/\1/p" | tr -d '"'
}
rej() {
	v=$("$SM" peers --dir "$T/$1" --json | grep "\"name\":\"$2\"," | grep -o '"rejected":{[^}]*}' |
		sed -n "s/.*\"$3\":\([0-9]*\).*/\1/p")
	echo "${v:-0}"
}
pf_is() { [ "$(pf "$1" "$2" "$3")" = "$4" ]; }
pf_ge() { [ "$(pf "$1" "$2" "$3")" -ge "$4" ] 2>/dev/null; }

# ---- 1. rename an external, add a member under its old name ------------
# A trusts X as external.  X never runs: the spy holds a connection to A
# with X's key.  M is a member whose key never connects.
node A; node X; node M
trust A X external
start A
cx1=$(sign X cx1 tlp=clear kind=incident title="clear from X, 1" category=test severity=low seq=1)
cx2=$(sign X cx2 tlp=clear kind=incident title="clear from X, 2" category=test severity=low seq=2)
gx=$(sign X gx tlp=green kind=incident title="green from X" category=test severity=low seq=3)
spy x X A msg:"$T/cx1.msg" wait:"$T/inject" msg:"$T/cx2.msg" msg:"$T/gx.msg" wait:"$T/stop1"
wait_until 5 has A "$cx1" || fail "A did not take a CLEAR message from its external peer"
wait_until 5 pf_ge A X received 1 || fail "the message from X not counted under X"
g0=$(publish A --tlp green --title "green before the rename")
c0=$(publish A --tlp clear --title "clear before the rename")
wait_until 5 got x "$c0" || fail "the external's connection did not get CLEAR before the rename"
got x "$g0" && fail "the external got GREEN before the rename"

# The rename by hand and SIGHUP, then a member under the freed name.
sed -i 's/^\[X\]$/[X2]/' "$T/A/trust.conf"
kill -HUP "$(cat "$T/A.pid")"
wait_until 5 grep -q "reloaded configuration and trust list" "$T/A.log" || fail "SIGHUP did not reload"
[ "$(pf A X2 id)" = "$(id_of X)" ] || fail "the renamed entry does not carry X's key"
[ "$(pf A X2 received)" = 1 ] || fail "the received counter did not follow X's key across the rename: $(pf A X2 received)"
"$SM" trust add --dir "$T/A" --name X --key "$(id_of M)" --level member || fail "trust add M as X"
# Two HELLO answers after the change: the second was written after it.
n=$(hellos x)
wait_until 5 hellos_over x $((n + 1)) || fail "the external's connection went quiet after the rename"
g1=$(publish A --tlp green --title "green after the rename")
c1=$(publish A --tlp clear --title "clear after the rename")
wait_until 5 got x "$c1" || fail "the external's connection did not get CLEAR after the rename"
got x "$g1" &&
	fail "the external's still-open connection received GREEN after the rename (served as the member M now named X)"
[ "$(pf A X connected)" = false ] || fail "the member M (named X) counts as connected through the external's connection"

# What the open connection sends is the external's, not the member's.
touch "$T/inject"
wait_until 5 has A "$cx2" || fail "A did not take X's second CLEAR message"
wait_until 5 grep -q "^REFUSE msg $gx provisional external-clear-only\$" "$T/x.log" ||
	fail "X was not told its GREEN was refused (external-clear-only)"
has A "$gx" && fail "A stored GREEN sent by the external over its old connection (taken as from the member)"
[ "$(rej A X2 external-clear-only)" = 1 ] ||
	fail "the GREEN from X not counted under X2: $(pf A X2 rejected)"
[ "$(pf A X2 received)" = 2 ] || fail "X's messages not counted under X2: received $(pf A X2 received)"
pf_ge A X2 sent 2 || fail "what A sent X is not counted under X2: sent $(pf A X2 sent)"
[ "$(pf A X received)" = 0 ] && [ "$(pf A X sent)" = 0 ] && [ "$(pf A X rejected)" = "{}" ] ||
	fail "the member M (named X) was credited with the external's traffic: $("$SM" peers --dir "$T/A" --json | grep '"name":"X"')"
touch "$T/stop1"

# ---- 2a. demoted during an exchange: the exchange ends -----------------
# P holds 2 GREEN and 2 CLEAR messages: at most 4, so P answers a range
# whose fingerprint differs with the list of the ids in it.  The spy, with
# the key of M (a member of P), opens an exchange (P's answer lists the
# GREEN ids, rightly), M is demoted, and the spy goes on with the exchange.
node P
sed -i 's/^peer_window = .*/peer_window = 64K/' "$T/P/socmesh.conf"
trust P M member
start P
gp1=$(publish P --tlp green --title "green 1 at P")
gp2=$(publish P --tlp green --title "green 2 at P")
cp1=$(publish P --tlp clear --title "clear 1 at P")
publish P --tlp clear --title "clear 2 at P" >/dev/null
pre() { echo "$1" | cut -c1-32; } # the 16-byte prefix an id list carries
spy m M P recon wait:"$T/demoted" recon want:"$gp1" want:"$cp1" wait:"$T/stop2"
wait_until 10 grep -q '^# recon$' "$T/m.log" || fail "the spy's first reconciliation round was not answered"
grep '^RECON' "$T/m.log" | grep -q "$(pre "$gp1")" ||
	fail "P's answer to the member lists no GREEN id: this test cannot see a leak"
"$SM" trust set M --level external --dir "$T/P" || fail "demoting M"
touch "$T/demoted"
wait_until 15 got m "$cp1" || fail "M (external) did not get the CLEAR message it asked for"
after m demoted >"$T/m.after"
grep -q '^RECON' "$T/m.after" || fail "the spy's reconciliation round after the demotion was not answered"
grep '^RECON' "$T/m.after" | grep -q "$(pre "$cp1")" ||
	fail "P's answer after the demotion is not over the external set: $(grep '^RECON' "$T/m.after")"
for g in "$gp1" "$gp2"; do
	grep -E '^(RECON|MSG) ' "$T/m.after" | grep "$(pre "$g")" &&
		fail "P went on with the member-era set after demoting M: a GREEN id in what it sent"
done
got m "$gp1" && fail "P sent GREEN to M after demoting it"
gp3=$(publish P --tlp green --title "green 3 at P")
cp3=$(publish P --tlp clear --title "clear 3 at P")
wait_until 5 got m "$cp3" || fail "M did not get CLEAR published after its demotion"
got m "$gp3" && fail "GREEN published after the demotion reached M"
touch "$T/stop2"

# ---- 2b. demoted while a transfer is under way: the rest is not sent ---
# P, which lets a peer hold at most 64 KiB it has not proven it read, gets
# 8 GREEN and 8 CLEAR messages of about 16 KiB.  The spy, with the key of
# X (now a member of P), asks for everything and stops reading.  X is
# demoted, then the spy reads what came: only what P sent before the
# demotion (at most 4 of these), never the rest of the member-era
# transfer (what is sent is judged when it is sent, not when queued).
trust P X member
pad=$(printf '%16000s' '' | tr ' ' x)
i=0
while [ $i -lt 8 ]; do
	publish P --tlp green --title "big green $i" --summary "$pad" >/dev/null
	publish P --tlp clear --title "big clear $i" --summary "$pad" >/dev/null
	i=$((i + 1))
done
"$SM" query --dir "$T/P" --all --limit 100 --json | grep '"title":"big green' |
	sed 's/^{"id":"\([0-9a-f]*\)".*/\1/' >"$T/greens"
[ "$(wc -l <"$T/greens")" = 8 ] || fail "P does not list its 8 big GREEN messages"
spy x2 X P recon0 read:off wait:"$T/demoted2" read:on wait:"$T/stop3"
wait_until 10 pf_ge P X unproven_bytes 65536 || fail "P did not fill X's window: $(pf P X unproven_bytes)"
"$SM" trust set X --level external --dir "$T/P" || fail "demoting X"
touch "$T/demoted2"
wait_until 5 pf_is P X unproven_bytes 0 || fail "the spy did not prove what it read"
gq=$(publish P --tlp green --title "green at P after X's demotion")
cq=$(publish P --tlp clear --title "clear at P after X's demotion")
wait_until 10 got x2 "$cq" || fail "X did not get CLEAR published after its demotion"
got x2 "$gq" && fail "GREEN published after the demotion reached X"
ng=$(grep '^MSG' "$T/x2.log" | grep -c -F -f "$T/greens")
[ "$ng" -lt 8 ] ||
	fail "X got all 8 big GREEN messages of the member-era transfer, though demoted before it read them"
[ "$ng" -le 4 ] || fail "X got $ng big GREEN messages: more than a 64 KiB window holds"
touch "$T/stop3"
finish
