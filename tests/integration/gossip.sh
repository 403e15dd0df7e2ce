#!/bin/sh
# Gossip between real nodes on loopback (issue 3's scenarios 1-5 and 9):
# relaying, TLP and trust enforcement, refused keys, blocking, catch-up
# after a restart, retraction.
set -u
. tests/integration/lib/nodes.sh

# A - B - C in a line; A and C know each other's keys, no link.  D is
# A's external partner.
for n in A B C D; do node $n; done
trust A B member connect; trust B A member
trust B C member connect; trust C B member
trust A C member; trust C A member
trust A D external; trust D A member connect
for n in A B C D; do start $n; done
wait_until 5 connected A B || fail "A-B not connected"
wait_until 5 connected B C || fail "B-C not connected"
wait_until 5 connected A D || fail "A-D not connected"

# 1. green and clear published at A reach C through B within 3 s
g=$(publish A --tlp green --title "green at A" --indicator 198.51.100.7)
c=$(publish A --tlp clear --title "clear at A" --indicator 198.51.100.8)
wait_until 3 has C "$g" || fail "green did not reach C within 3 s"
wait_until 3 has C "$c" || fail "clear did not reach C within 3 s"
"$SM" query --dir "$T/C" --indicator 198.51.100.7 --json | grep -q "$g" || fail "C cannot find it by indicator"

# 3. the external partner gets clear, never green
wait_until 3 has D "$c" || fail "clear did not reach external D"
has D "$g" && fail "green reached external D"

# 2. amber and red from A to B: B reads them, C never stores them
a=$(publish A --tlp amber --to B --title "amber for B")
r=$(publish A --tlp red --to B --title "red for B")
wait_until 3 has B "$a" || fail "amber did not reach B"
wait_until 3 has B "$r" || fail "red did not reach B"
"$SM" show "$a" --dir "$T/B" | grep -q "amber for B" || fail "B cannot read the amber body"
# two reconciliation rounds on every link: nothing may leak through them either
nb=$(recons B C) nd=$(recons A D)
wait_until 10 recon_after B C $((nb + 1)) || fail "B and C did not reconcile twice"
wait_until 10 recon_after A D $((nd + 1)) || fail "A and D did not reconcile twice"
has C "$a" && fail "amber reached C"
has C "$r" && fail "red reached C"
has D "$a" && fail "amber reached D"

# 9. a retraction from the origin hides the message everywhere; one by
# anybody else is refused where it is published, as every peer would
# refuse it (order.sh: what peers do with one signed elsewhere)
x=$(publish A --tlp green --title "false positive" --indicator 203.0.113.99)
wait_until 3 has B "$x" || fail "message to retract did not reach B"
out=$("$SM" publish --dir "$T/B" --category test --severity low --kind retract --tlp green \
	--ref "$x" --note "not mine to retract" 2>&1) && fail "B published a retraction of A's message: $out"
echo "$out" | grep -q "only its origin may retract it" || fail "B's refusal does not name the rule: $out"
good=$(publish A --kind retract --tlp green --ref "$x" --note "false positive")
wait_until 3 has C "$good" || fail "retraction did not reach C"
wait_until 3 sh -c "! $SM query --dir $T/C --indicator 203.0.113.99 --json | grep -q $x" ||
	fail "retracted message still listed at C"

# 4. a key outside the trust list cannot complete a handshake
node E; trust E A member connect; start E
wait_until 5 grep -q "refused a CURVE handshake" "$T/A.log" || fail "A did not log the refused handshake"
connected E A && fail "an untrusted key connected to A"
# ... and blocking a connected peer cuts it off at once
"$SM" trust set D --level blocked --dir "$T/A"
wait_until 5 sh -c "! $SM peers --dir $T/D --json | grep -q '\"connected\":true'" ||
	fail "blocked D is still connected"
c2=$(publish A --tlp clear --title "after blocking D")
wait_until 3 has B "$c2" || fail "A's clear message did not reach B"
has D "$c2" && fail "blocked D still receives"
"$B/tests/helper_peer" "$T/C" "tcp://127.0.0.1:$(cat "$T/A.port")" "$(id_of A)" ||
	fail "A's listener does not answer a trusted peer after the block"

# 5. C stopped, 500 messages at A, C restarted: C catches up within 10 s,
# no duplicates
stop C
i=0; while [ $i -lt 500 ]; do publish A --tlp green --title "batch $i" >/dev/null; i=$((i + 1)); done
start C
wait_until 10 sh -c "[ \$($SM query --dir $T/C --all --limit 100000 --json | grep -c 'batch ') -eq 500 ]" ||
	fail "C did not catch up with 500 messages within 10 s"
[ "$("$SM" query --dir "$T/C" --all --limit 100000 --json | grep -c 'batch ')" -eq 500 ] || fail "duplicates at C"

# 6. partition and heal: the A-B link goes down, both sides publish, the
# link comes back, and A, B and C converge to the same clear and green set
shared() { "$SM" query --dir "$T/$1" --all --limit 100000 --json | grep -E '"tlp":"(clear|green)"' |
	sed 's/^{"id":"\([0-9a-f]*\)".*/\1/' | sort; }
"$SM" trust set B --level blocked --dir "$T/A"
wait_until 5 sh -c "! $SM peers --dir $T/A --json | grep -q '\"name\":\"B\".*\"connected\":true'" ||
	fail "A-B link still up"
pa=$(publish A --tlp green --title "A during the partition")
pc=$(publish C --tlp green --title "C during the partition")
wait_until 3 has B "$pc" || fail "C's message did not reach B"
n=$(recons B C)
wait_until 10 recon_after B C "$n" || fail "B and C did not reconcile during the partition"
has C "$pa" && fail "A's message crossed the partition"
"$SM" trust set B --level member --dir "$T/A"
wait_until 10 sh -c "has() { $SM show \$2 --dir $T/\$1 >/dev/null 2>&1; }; has C $pa && has A $pc" ||
	fail "no convergence after the heal"
[ "$(shared A)" = "$(shared B)" ] && [ "$(shared A)" = "$(shared C)" ] ||
	fail "A, B and C hold different clear/green sets after the heal"

# 8. SIGKILL and restart: id, messages and peer state survive.  Peer
# counters are saved every 10 s (on a 1 s tick): read them first, then let
# a whole save period pass and a margin (TIME_SCALE s, for a timer late on
# a loaded machine), so that a save after the reading is certain.
idB=$(id_of B); nB=$(count B)
recvB=$("$SM" peers --dir "$T/B" --json | grep '"name":"A"' | sed 's/.*"received":\([0-9]*\).*/\1/')
sleep $((11 + TIME_SCALE))
kill9 B
start B
[ "$(id_of B)" = "$idB" ] || fail "B's id changed"
[ "$(count B)" -ge "$nB" ] || fail "B lost messages over SIGKILL"
recvB2=$("$SM" peers --dir "$T/B" --json | grep '"name":"A"' | sed 's/.*"received":\([0-9]*\).*/\1/')
[ "${recvB:-0}" -gt 0 ] && [ "${recvB2:-0}" -ge "$recvB" ] || fail "B's peer counters did not survive: $recvB -> $recvB2"
"$SM" check --dir "$T/B" >/dev/null || fail "B's store check after SIGKILL"

# SIGHUP reloads configuration and trust list; a broken file keeps the old
sed -i 's/^log_level = .*/log_level = debug/' "$T/A/socmesh.conf"
kill -HUP "$(cat "$T/A.pid")"
wait_until 3 grep -q "reloaded configuration and trust list" "$T/A.log" || fail "SIGHUP did not reload"
echo "bogus = 1" >>"$T/A/socmesh.conf"
kill -HUP "$(cat "$T/A.pid")"
wait_until 3 grep -q "keeping the running configuration" "$T/A.log" || fail "a broken file was not refused on SIGHUP"
"$SM" stats --dir "$T/A" >/dev/null || fail "A stopped answering after a bad reload"
sed -i '/^bogus = 1$/d' "$T/A/socmesh.conf"

# The node's own view: stats, peers, explain
"$SM" stats --dir "$T/A" --json | grep -q '"amber":1' || fail "stats by TLP"
"$SM" stats --dir "$T/A" | grep -q "^node A: " || fail "stats for people"
"$SM" explain "$a" --dir "$T/A" --json | grep -q '"peer":"C","decision":"withheld","reason":"not-recipient"' ||
	fail "explain does not say why C did not get the amber"
"$SM" explain "$a" --dir "$T/A" --json | grep -q '"peer":"B","decision":"sent"' ||
	fail "explain does not say the amber was sent to B"
stop A
expect_down() { "$SM" "$@" --dir "$T/A" 2>&1 | grep -q "not running"; }
expect_down stats || fail "stats without a daemon does not say so"
expect_down peers || fail "peers without a daemon does not say so"

# A node that blocks an origin does not pass on what it said: K - L - M,
# K publishes, L blocks K, M arrives later and reconciles with L.
node K; node L; node M
trust K L member connect; trust L K member
trust L M member; trust M L member connect; trust M K member
start K; start L
k=$(publish K --tlp green --title "K before the block")
wait_until 5 has L "$k" || fail "K's message did not reach L"
"$SM" trust set K --level blocked --dir "$T/L"
start M
wait_until 5 connected M L || fail "M did not connect to L"
# two rounds: what the first one offered is committed by the end of the second
n=$(recons M L)
wait_until 10 recon_after M L $((n + 1)) || fail "M and L did not reconcile twice"
has M "$k" && fail "L passed on a message of an origin it blocked"
"$SM" explain "$k" --dir "$T/L" --json | grep -q '"peer":"M","decision":"withheld","reason":"origin-blocked"' ||
	fail "explain at L does not say why M did not get K's message"
"$SM" trust set K --level member --dir "$T/L"
wait_until 10 has M "$k" || fail "M did not get K's message once L unblocked K"

# Admission in the wrong order: P dials Q before Q trusts P.  libzmq gives
# up after the refused handshake; P dials again, so once Q trusts P (and
# does not dial it itself) the link comes up and carries both ways.
node P; node Q
trust P Q member connect
start P; start Q
wait_until 5 grep -q "refused a CURVE handshake" "$T/Q.log" || fail "Q did not refuse the unknown P"
trust Q P member
wait_until 15 connected P Q || fail "P did not connect once Q trusted it"
wait_until 5 connected Q P || fail "Q did not see P"
pq=$(publish P --tlp green --title "P to Q after a refused start")
qp=$(publish Q --tlp green --title "Q to P after a refused start")
wait_until 5 has Q "$pq" || fail "P's message did not reach Q"
wait_until 5 has P "$qp" || fail "Q's message did not reach P"

finish
