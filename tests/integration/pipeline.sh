#!/bin/sh
# Issue 9, "one way in": the ingest pipeline when its writer cannot commit.
# tests/unit/helper_hold.c takes the store's write lock (LMDB's own, which
# socmeshd's writer waits for), fills a store to its limit, and sends many
# publish requests at once.
# - Writer held: the event loop still answers (stats, show); no publish is
#   answered before its commit; once CONTROL_PUBLISH_MAX (256) of this
#   node's messages wait, a new publish is answered "busy" at once; when
#   the writer goes on, every message that waited is committed, answered
#   and pushed to the peer.
# - Stopped while messages wait (the shutdown drain): they are committed
#   before socmeshd exits; a rotation whose statement is committed during
#   the stop leaves the node on its old key, the new pair kept for the
#   operator.
# - Store full: a publish is answered "store full"; a rotation whose
#   statement cannot be committed throws its new pair away and the node
#   keeps its key; with room again, both work.
set -u
. tests/integration/lib/nodes.sh
H="$B/tests/helper_hold"

node A; node B; node C
trust A B member connect; trust B A member
sed -i 's/^store_size = .*/store_size = 1M/' "$T/C/socmesh.conf"
grep -q '^store_size = 1M$' "$T/C/socmesh.conf" || echo 'store_size = 1M' >>"$T/C/socmesh.conf"
for n in A B C; do start $n; done
wait_until 5 connected A B || fail "A-B not connected"
[ $fails -eq 0 ] || { finish; exit 1; }

st() { "$SM" stats --json --dir "$T/$1" | jsonq "$2"; }
lines() { c=$(grep -c "^$2" "$1" 2>/dev/null); echo "${c:-0}"; }
msgs() { "$SM" stats --json --dir "$T/$1" | jsonq 'j["messages"]'; }
# busy OP N: the publishes answered busy compare so (wait_until runs it anew)
busy() { [ "$(lines "$T/pub1" busy)" "$1" "$2" ]; }
# holds NODE N: NODE holds N messages
holds() { [ "$(msgs "$1")" -eq "$2" ]; }
# exited PID: the process has ended (gone, or a zombie until waited for)
exited() { s=$(ps -o stat= -p "$1"); [ -z "$s" ] || [ "${s#Z}" != "$s" ]; }

# ---- 1. The writer held ----
first=$(publish A --tlp green --title "before the hold")
"$H" lock "$T/A/store" "$T/held1" "$T/release1" &
wait_until 10 test -e "$T/held1" || fail "the write lock was not taken"
"$H" publish "$T/A" 300 "$T/pub1" &
pub=$!
wait_until 20 st A 'j["publish_waiting"] + 2 > 256' >/dev/null ||
	fail "publishes do not wait: $("$SM" stats --json --dir "$T/A")"
wait_until 10 busy -gt 0 || fail "no publish was answered busy"
waiting=$(st A 'j["publish_waiting"]')
wait_until 10 busy -eq $((300 - waiting)) ||
	fail "$(lines "$T/pub1" busy) answered busy, $waiting waiting, of 300"
st A "j['pipeline_in_flight'] >= $waiting" >/dev/null || fail "pipeline_in_flight below $waiting"
[ "$(lines "$T/pub1" stored)" -eq 0 ] || fail "a publish was answered before its commit"
"$SM" show "$first" --dir "$T/A" >/dev/null || fail "show does not answer while the writer waits"
"$SM" stats --prometheus --dir "$T/A" | grep -Eq "^socmesh_pipeline_in_flight [0-9]+$" ||
	fail "no socmesh_pipeline_in_flight metric"
touch "$T/release1"
wait $pub || fail "not every publish was answered: $(sort "$T/pub1" | uniq -c | head)"
stored=$(lines "$T/pub1" stored)
[ "$stored" -eq "$waiting" ] || fail "$stored stored of $waiting that waited: $(grep -v '^stored' "$T/pub1" | sort | uniq -c)"
[ "$(msgs A)" -eq $((stored + 1)) ] || fail "A holds $(msgs A) messages, not $((stored + 1))"
wait_until 20 holds B $((stored + 1)) || fail "B holds $(msgs B) messages, not $((stored + 1))"
wait_until 5 st A 'j["publish_waiting"] == 0 and j["pipeline_in_flight"] == 0' >/dev/null ||
	fail "still waiting after the commits: $("$SM" stats --json --dir "$T/A")"
"$SM" publish --dir "$T/A" --tlp green --title "after the hold" --category test --severity low >/dev/null ||
	fail "publish after the hold"

# ---- 2. Stopped while messages wait ----
before=$(msgs A)
old=$(id_of A)
"$H" lock "$T/A/store" "$T/held2" "$T/release2" &
wait_until 10 test -e "$T/held2" || fail "the write lock was not taken again"
"$H" publish "$T/A" 5 "$T/pub2" &
pub=$!
wait_until 10 st A 'j["publish_waiting"] == 5' >/dev/null || fail "5 publishes do not wait"
"$SM" rotate --dir "$T/A" >"$T/rot1" 2>&1 &
rot=$!
wait_until 10 st A 'j["publish_waiting"] == 6' >/dev/null || fail "the rotation's statement does not wait"
kill -TERM "$(cat "$T/A.pid")"
wait_until 10 grep -q "shutting down" "$T/A.log" || fail "A does not stop"
touch "$T/release2"
wait_until 20 exited "$(cat "$T/A.pid")" || fail "A did not exit once its writer could commit"
wait "$(cat "$T/A.pid")"; rm -f "$T/A.pid"
# (the replies went with the control socket, before the drain)
kill $pub 2>/dev/null; wait $pub
wait $rot && fail "rotate succeeded across the stop: $(cat "$T/rot1")"
grep -q "stopping before the statement" "$T/A.log" || fail "A did not log the rotation it left"
start A
[ "$(msgs A)" -eq $((before + 6)) ] || fail "A holds $(msgs A) messages after its restart, not $((before + 6))"
[ "$(id_of A)" = "$old" ] || fail "A's id changed across the stop: $(id_of A), was $old"
[ -d "$T/A/rotate.new" ] || fail "the new pair was not kept in rotate.new"
out=$("$SM" rotate --dir "$T/A" 2>&1) && fail "rotate ran over an interrupted one: $out"
echo "$out" | grep -q "rotate.new exists" || fail "rotate over rotate.new: $out"

# ---- 3. Store full ----
cid=$(id_of C)
"$SM" publish --dir "$T/C" --tlp green --title "fits" --category test --severity low >/dev/null ||
	fail "C: first publish"
"$H" fill "$T/C/store" 1048576 || fail "the store of C was not filled"
out=$("$SM" publish --dir "$T/C" --tlp green --title "no room" --category test --severity low 2>&1) &&
	fail "publish into a full store succeeded: $out"
echo "$out" | grep -q "store full" || fail "publish into a full store: $out"
out=$("$SM" rotate --dir "$T/C" 2>&1) && fail "rotate into a full store succeeded: $out"
echo "$out" | grep -q "store full" || fail "rotate into a full store: $out"
[ "$(id_of C)" = "$cid" ] || fail "C's id changed after a failed rotation"
[ -e "$T/C/rotate.new" ] && fail "a failed rotation left rotate.new"
"$SM" stats --dir "$T/C" >/dev/null || fail "C does not answer with its store full"
"$H" unfill "$T/C/store" 1048576 || fail "unfill"
"$SM" publish --dir "$T/C" --tlp green --title "room again" --category test --severity low >/dev/null ||
	fail "C: publish after unfill"
out=$("$SM" rotate --dir "$T/C" 2>&1) || fail "rotate after unfill: $out"
[ "$(id_of C)" != "$cid" ] || fail "C did not take its new key"

finish
