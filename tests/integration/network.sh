#!/bin/sh
# Issue 10, "socmesh network": every node sends a signed status beacon each
# beacon_interval (1 s here), passed on by its peers and never stored.  A
# line A - B - C with a roster from A: C hears A's beacons through B; each
# member is listed with the roster epoch it applied, its version, when it
# was last heard, its peers and its store use; a stopped member is flagged
# silent; beacons add nothing to any store; a node that lost roster.state
# reads its roster again from its store.
set -u
. tests/integration/lib/nodes.sh

for n in A B C; do
	node $n
	sed -i 's/^beacon_interval = .*/beacon_interval = 1s/' "$T/$n/socmesh.conf"
done
trust B A member connect; trust C B member connect
trust A B member; trust B C member
"$SM" trust set A --coordinator --dir "$T/B" >/dev/null || fail "trust set A --coordinator at B"
"$SM" trust add --dir "$T/C" --name A --key "$(id_of A)" --coordinator || fail "anchor A at C"
for n in A B C; do start $n; done
printf 'A %s member coordinator\nB %s member tcp://127.0.0.1:%s\nC %s member tcp://127.0.0.1:%s\n' \
	"$(id_of A)" "$(id_of B)" "$(cat "$T/B.port")" "$(id_of C)" "$(cat "$T/C.port")" >"$T/net"
"$SM" roster propose --dir "$T/A" --file "$T/net" --network line >/dev/null || fail "propose"
wait_until 15 sh -c "[ \"\$(\"$SM\" roster show --json --dir \"$T/C\" | grep -c '\"epoch\":1')\" -ge 1 ]" ||
	fail "C has no roster in force"

net() { "$SM" network --json --dir "$T/$1" | jsonq "$2"; }
# C hears A (two hops) with the roster epoch, the version and its peers.
heard_a='[m for m in j if m["name"] == "A" and m["epoch"] == 1 and m["version"] == "'"$("$SM" --version | cut -d' ' -f2)"'" and m["peers"] >= 1 and m["last_heard"] and m["store_bytes"] > 0 and "silent" not in m["flags"]]'
wait_until 15 net C "$heard_a" || fail "C does not hear A's beacons: $("$SM" network --json --dir "$T/C")"
net C '[m for m in j if m["name"] == "C" and "self" in m["flags"]]' >/dev/null ||
	fail "C does not flag itself: $("$SM" network --json --dir "$T/C")"
"$SM" network --dir "$T/C" | grep -q "^A " || fail "network (text) lacks A"

# Beacons are not stored.
"$SM" query --dir "$T/C" --kind beacon --all --json >"$T/q" && [ ! -s "$T/q" ] ||
	fail "a beacon was stored: $("$SM" query --dir "$T/C" --all --json | head -3)"

# C loses roster.state: at its next start it reads the roster again from
# its store, and the roster is in force again.
stop C
rm -f "$T/C/roster.state"
start C
rq C 'j["epoch"] == 1 and len(j["members"]) == 3' >/dev/null ||
	fail "C did not read its roster again from the store: $("$SM" roster show --json --dir "$T/C")"
grep -q "roster.state is missing" "$T/C.log" || fail "C did not say it read the roster again"
# roster reset: refused while C runs; on the stopped node, no roster in
# force at the next start (not read again from the store).
"$SM" roster reset --dir "$T/C" >/dev/null 2>&1 && fail "roster reset worked on a running node"
stop C
"$SM" roster reset --dir "$T/C" >/dev/null || fail "roster reset on the stopped C"
start C
rq C 'j["epoch"] == 0' >/dev/null || fail "C has a roster in force after roster reset: $("$SM" roster show --json --dir "$T/C")"

# A stops: within three intervals C flags it silent.
stop A
wait_until 15 net C '[m for m in j if m["name"] == "A" and "silent" in m["flags"]]' ||
	fail "A stopped and C does not flag it silent: $("$SM" network --json --dir "$T/C")"
finish
