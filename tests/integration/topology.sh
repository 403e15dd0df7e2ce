#!/bin/sh
# Issue 10, "topology": with a roster every member has an endpoint, and a
# node must not dial everyone.  A 20-node network whose roster comes from
# one coordinator, dial_max = 3 on every node: each node dials at most 3
# roster peers (the coordinator, anchored with its endpoint to bring the
# roster, loses that endpoint, so that there is no local
# link once the roster is in force), the links of all make one connected network, and after 3
# nodes stop it is still connected: a GREEN message published then reaches
# all the others; an AMBER message reaches a recipient n7 does not dial.
set -u
. tests/integration/lib/nodes.sh
N=20 DIAL=3

k=1
while [ $k -le $N ]; do
	node "n$k"
	sed -i "s/^dial_max = .*/dial_max = $DIAL/" "$T/n$k/socmesh.conf"
	k=$((k + 1))
done
cid=$(id_of n1)
: >"$T/net"
k=1
while [ $k -le $N ]; do
	[ $k -gt 1 ] && { "$SM" trust add --dir "$T/n$k" --name n1 --key "$cid" --coordinator \
		--endpoint "tcp://127.0.0.1:$(cat "$T/n1.port")" || exit 1; }
	co=""; [ $k -eq 1 ] && co=coordinator
	echo "n$k $(id_of "n$k") member $co tcp://127.0.0.1:$(cat "$T/n$k.port")" >>"$T/net"
	start "n$k"
	k=$((k + 1))
done
"$SM" roster propose --dir "$T/n1" --file "$T/net" --network topo >/dev/null || fail "propose"

in_force() { rq "$1" 'j["epoch"] == 1 and len(j["members"]) == 20'; }
k=1
while [ $k -le $N ]; do
	wait_until 20 in_force "n$k" || { fail "n$k has no roster in force"; finish; exit 1; }
	k=$((k + 1))
done
# The star around the coordinator that brought the roster goes: from now
# on only the roster's choice of links holds the network together.
k=2
while [ $k -le $N ]; do
	"$SM" trust set n1 --endpoint '' --dir "$T/n$k" || fail "n$k: trust set n1 --endpoint ''"
	k=$((k + 1))
done

# dialled NODE: how many roster peers NODE dials
dialled() { "$SM" peers --json --dir "$T/$1" | jsonq 'len([p for p in j["peers"] if p["dialled"] and p["source"] != "local"]) if isinstance(j, dict) else len([p for p in j if p["dialled"] and p["source"] != "local"])'; }
k=1
while [ $k -le $N ]; do
	d=$(dialled "n$k")
	[ "$d" -le $DIAL ] 2>/dev/null || fail "n$k dials $d roster peers (dial_max $DIAL)"
	k=$((k + 1))
done

# reach FROM ID NODES...: every node of NODES holds message ID
reach() { shift; id=$1; shift; for n in "$@"; do has "$n" "$id" || return 1; done; }
all=""; k=1; while [ $k -le $N ]; do all="$all n$k"; k=$((k + 1)); done
m=$(publish n7 --tlp green --title "before: seen by all twenty")
# shellcheck disable=SC2086
wait_until 30 reach x "$m" $all || fail "a message of n7 did not reach all 20 nodes"

# Three nodes stop:
# the rest stays one network.
stop n8; stop n9; stop n2
rest=$(echo "$all" | tr ' ' '\n' | grep -v -x -e n8 -e n9 -e n2 -e '' | tr '\n' ' ')
m=$(publish n7 --tlp green --title "after three stopped: seen by the 17 others")
# shellcheck disable=SC2086
wait_until 60 reach x "$m" $rest || {
	for n in $rest; do has "$n" "$m" || echo "  $n lacks it"; done
	fail "after 3 nodes stopped, a message of n7 did not reach all 17 others"
}

# An addressed message is never relayed: n7 dials its recipient on demand,
# whatever the bound, even one it neither dials nor is linked to.
linked() { "$SM" peers --json --dir "$T/n7" | jsonq "[p for p in j if p[\"name\"] == \"$1\" and (p[\"connected\"] or p[\"dialled\"])]" >/dev/null; }
to=""
for n in $rest; do
	# (n1 is a local entry without an endpoint here: not to be dialled)
	[ "$n" = n7 ] || [ "$n" = n1 ] && continue
	linked "$n" || { to=$n; break; }
done
if [ -z "$to" ]; then
	fail "n7 is linked to every other node: dial_max $DIAL does not bound it"
else
	a=$(publish n7 --tlp amber --to "$to" --title "for $to only, on demand")
	wait_until 30 has "$to" "$a" || fail "n7's AMBER message did not reach $to, whom it did not dial"
	for n in $rest; do
		[ "$n" = "$to" ] || [ "$n" = n7 ] || ! has "$n" "$a" || fail "the AMBER message for $to reached $n"
	done
fi
finish
