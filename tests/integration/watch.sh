#!/bin/sh
# socmesh watch (issue 11): following what is committed on a node, with
# cursors that survive the consumer's restarts, the daemon's and a restore
# from a backup, and a slow consumer that never holds the daemon up.
#
# A - B - C in a line: a message published at A reaches C through B (A
# and C know each other's keys, with no link).
set -u
. tests/integration/lib/nodes.sh
PY=$(python3 -c 'import sys; print(sys.executable)')

for n in A B C; do node $n; done
trust A B member connect; trust B A member
trust B C member connect; trust C B member
trust A C member; trust C A member
for n in A B C; do start $n; done
wait_until 5 connected A B || fail "A-B not connected"
wait_until 5 connected B C || fail "B-C not connected"

# w NODE ARGS...: socmesh watch --json on NODE
w() { n=$1; shift; "$SM" watch --dir "$T/$n" --json "$@"; }
# last_cursor FILE: the cursor of FILE's last JSON line (0 when none)
last_cursor() {
	if [ -s "$1" ]; then tail -n 1 "$1" | jsonq 'j["cursor"]'; else echo 0; fi
}
# ids FILE...: the ids of the JSON lines in the files, one a line, in order
ids() { cat "$@" | jsonq '"\n".join(x["id"] for x in (j if isinstance(j, list) else [j]))'; }
# now_ms: the wall clock in ms
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# bg NAME PROGRAM ARGS...: PROGRAM (not a function: its own pid) in the
# background, its pid in $T/NAME.pid (killed at the end whatever happens)
bg() { name=$1; shift; "$@" & echo $! >"$T/$name.pid"; }
# bgstop NAME: the background command NAME ended
bgstop() { kill "$(cat "$T/$1.pid")" 2>/dev/null; wait "$(cat "$T/$1.pid")" 2>/dev/null; rm -f "$T/$1.pid"; }

# ---- 1. a message published at A appears at C's watcher, within 1 s ----
first=$(publish A --tlp clear --title "first" --indicator 198.51.100.1)
wait_until 5 has C "$first" || fail "the first message did not reach C"
bg live1 "$SM" watch --dir "$T/C" --json --after 0 >"$T/live1.out" 2>"$T/live1.err"
# The watcher runs and has caught up once the first message is in its
# output: from then on it only polls.
wait_until 5 grep -q "$first" "$T/live1.out" || fail "C's watcher did not deliver the backlog"
m=$(publish A --tlp clear --title "watched" --indicator 198.51.100.2)
t0=$(now_ms)
wait_until 5 grep -q "$m" "$T/live1.out" || fail "C's watcher did not see A's message within 5 s"
lat=$(($(now_ms) - t0))
echo "publish at A to watch at C: $lat ms"
[ "$lat" -lt $((1000 * TIME_SCALE)) ] || fail "publish-to-watch took $lat ms across two hops (over 1 s)"
bgstop live1
# The line: the message's fields as query --json prints them, with
# received (RFC 3339, C's time of commit) and cursor (a number).
rfc3339='__import__("re").match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", x["received"])'
grep "$m" "$T/live1.out" | jsonq "[x for x in [j] if x['title'] == 'watched' and
	isinstance(x['cursor'], int) and x['cursor'] > 0 and $rfc3339]" >/dev/null ||
	fail "watch line: $(grep "$m" "$T/live1.out")"
"$SM" query --dir "$T/C" --json | jsonq "all(isinstance(x['cursor'], int) and $rfc3339
	for x in (j if isinstance(j, list) else [j]))" >/dev/null ||
	fail "query --json lines lack cursor or received: $("$SM" query --dir "$T/C" --json)"
[ -s "$T/live1.err" ] && fail "watcher's stderr: $(cat "$T/live1.err")"

# ---- 2. a consumer that stops and resumes from its last cursor ---------
# Scheduled pulls: each --once from the previous one's last cursor.
w C --after 0 --once >"$T/p1" || fail "watch --once failed"
c1=$(last_cursor "$T/p1")
for i in 1 2 3; do last=$(publish A --tlp green --title "pull $i"); done
wait_until 5 has C "$last" || fail "pull messages did not reach C"
w C --after "$c1" --once >"$T/p2" || fail "watch --after $c1 --once failed"
c2=$(last_cursor "$T/p2")
w C --after "$c2" --once >"$T/p3" || fail "watch --after $c2 --once failed"
[ -s "$T/p3" ] && fail "a pull after the last cursor repeated: $(cat "$T/p3")"
w C --after 0 --once >"$T/p"
# A live consumer killed after its first lines, resumed with --once.
bg live2 "$SM" watch --dir "$T/C" --json --after 0 >"$T/live2.out"
for i in 1 2 3; do last=$(publish A --tlp green --title "live $i"); done
wait_until 5 grep -q "$last" "$T/live2.out" || fail "live consumer did not get the messages"
bgstop live2
for i in 1 2 3; do last=$(publish A --tlp green --title "while stopped $i"); done
wait_until 5 has C "$last" || fail "messages while the consumer was stopped did not reach C"
c3=$(last_cursor "$T/live2.out")
w C --after "$c3" --once >"$T/live2.rest" || fail "watch --after $c3 --once failed"
# Every message at C exactly once, in cursor order, in each history.
w C --after 0 --once >"$T/all"
for h in "p1 p2:p" "live2.out live2.rest:all"; do
	# shellcheck disable=SC2086
	(cd "$T" && cat ${h%:*}) >"$T/h"
	ids "$T/h" | sort >"$T/h.ids"
	ids "$T/${h#*:}" | sort >"$T/want.ids"
	cmp -s "$T/h.ids" "$T/want.ids" ||
		fail "resumed consumer ($h): $(diff "$T/h.ids" "$T/want.ids" | head -5)"
	jsonq 'all(a["cursor"] < b["cursor"] for a, b in zip(j, j[1:]))' <"$T/h" >/dev/null ||
		fail "resumed consumer ($h): cursors not increasing"
done
grep -q "while stopped 3" "$T/live2.rest" || fail "resume missed a message committed while stopped"

# ---- 3. the daemon restarts under a live consumer ----------------------
# It starts before the last message at C, and has delivered it (it runs)
# before the daemon stops.
k=$(tail -n 2 "$T/all" | jsonq 'j[0]["cursor"]')
lastid=$(tail -n 1 "$T/all" | jsonq 'j["id"]')
bg live3 "$SM" watch --dir "$T/C" --json --after "$k" >"$T/live3.out" 2>"$T/live3.err"
wait_until 5 grep -q "$lastid" "$T/live3.out" || fail "the live consumer did not start"
stop C
for i in 1 2 3; do last=$(publish A --tlp green --title "while C was down $i"); done
wait_until 5 has B "$last" || fail "messages did not reach B"
start C
wait_until 10 has C "$last" || fail "C did not catch up after its restart"
# (A request the stopped daemon never answered times out first.)
wait_until 20 grep -q "while C was down 3" "$T/live3.out" ||
	fail "the live consumer did not go on after the daemon's restart: $(cat "$T/live3.err")"
bgstop live3
w C --after "$k" --once >"$T/after3"
ids "$T/live3.out" >"$T/l3.ids"
ids "$T/after3" >"$T/a3.ids"
cmp -s "$T/l3.ids" "$T/a3.ids" || fail "live consumer across the restart: $(diff "$T/l3.ids" "$T/a3.ids" | head -5)"
[ "$(sort "$T/l3.ids" | uniq -d | wc -l)" -eq 0 ] || fail "the live consumer repeated messages"
[ "$(wc -l <"$T/l3.ids")" -eq 4 ] || fail "the live consumer got $(wc -l <"$T/l3.ids") messages, not 4"

# ---- 4. a restore from an older backup ---------------------------------
w C --after 0 --once >"$T/before"
b0=$(last_cursor "$T/before")
"$SM" backup --dir "$T/C" --to "$T/c.mdb" >/dev/null || fail "backup of C failed"
g1=$(publish A --tlp green --title "after the backup 1")
g2=$(publish A --tlp green --title "after the backup 2")
g3=$(publish A --tlp green --title "after the backup 3")
wait_until 5 has C "$g3" || fail "messages after the backup did not reach C"
w C --after "$b0" --once >"$T/gap"
x=$(jsonq 'j[1]["cursor"]' <"$T/gap")  # a consumer that saw 2 of the 3
h=$(jsonq 'j[2]["cursor"]' <"$T/gap")  # one that saw them all
stop C
"$SM" restore --dir "$T/C" --from "$T/c.mdb" >/dev/null || fail "restore of C failed"
start C
if w C --after "$x" --once >"$T/lost.out" 2>"$T/lost.err"; then
	fail "watch --after a lost cursor ($x) succeeded: $(cat "$T/lost.out")"
fi
[ "$(wc -l <"$T/lost.err")" -eq 1 ] || fail "lost cursor: not one line: $(cat "$T/lost.err")"
grep -q "cursor $x is not from this store's history: messages committed after cursor $b0 were lost by a restore from backup; ask again with after $b0 to resume from there" "$T/lost.err" ||
	fail "lost cursor: $(cat "$T/lost.err")"
[ -s "$T/lost.out" ] && fail "lost cursor: output $(cat "$T/lost.out")"
w C --after "$b0" --once >"$T/resumed" || fail "watch --after the resume cursor $b0 failed"
w C --after "$h" --once >"$T/resumed.h" || fail "watch --after the highest cursor $h failed"
# The peers send the lost messages again: a consumer resumed at b0 gets
# them under new cursors, above every cursor given before the restore.
wait_until 10 has C "$g1" || fail "C did not get the lost messages back from B"
wait_until 10 has C "$g3" || fail "C did not get the lost messages back from B"
w C --after "$b0" --once >"$T/resumed"
for g in "$g1" "$g2" "$g3"; do
	grep "$g" "$T/resumed" | jsonq "j['cursor'] > $h" >/dev/null ||
		fail "message $g after the restore: $(grep "$g" "$T/resumed")"
done
w C --after "$((h + 1000))" --once 2>"$T/ahead.err" && fail "a cursor ahead of C was taken"
grep -q "is ahead of this node (highest cursor" "$T/ahead.err" || fail "ahead: $(cat "$T/ahead.err")"

# ---- 5. a slow consumer does not hold publishing up --------------------
# A watcher on A whose output nobody reads: once the pipe is full, it
# blocks in write(), and publishing at A goes on unhindered.
mkfifo "$T/slow.fifo"
# (Written out: an asynchronous command's stdin is /dev/null unless it
# redirects it itself.)
sleep 120 <>"$T/slow.fifo" &
echo $! >"$T/slowreader.pid"
"$SM" watch --dir "$T/A" --json --after 0 >"$T/slow.fifo" 2>"$T/slow.err" &
echo $! >"$T/slow.pid"
big=$("$PY" -c 'print("x" * 8000)')
i=0
while [ $i -lt 20 ]; do
	t0=$(now_ms)
	timeout $((5 * TIME_SCALE)) "$SM" publish --dir "$T/A" --category test --severity low \
		--tlp green --title "slow $i" --summary "$big" >/dev/null ||
		fail "publish $i with a slow watcher attached failed or took over 5 s"
	dt=$(($(now_ms) - t0))
	[ "$dt" -lt $((2000 * TIME_SCALE)) ] || fail "publish $i took $dt ms with a slow watcher attached"
	i=$((i + 1))
done
# The watcher is really stuck: what its pipe holds (FIONREAD on the
# reader's side counts what nobody read) is less than the 160 KB it has to
# deliver and no longer grows (a pipe is full at 16 pages, however full
# each one is), while it runs.
inpipe() {
	"$PY" -c 'import fcntl, os, struct, sys, termios
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
print(struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0])' "$T/slow.fifo"
}
pipe_big() { [ "$(inpipe)" -ge 32768 ]; }
wait_until 5 pipe_big
n1=$(inpipe)
sleep 1
n2=$(inpipe)
if [ "$n1" -lt 32768 ] || [ "$n1" -ne "$n2" ] || [ "$n2" -ge 160000 ]; then
	fail "the slow watcher is not stuck on a full pipe ($n1, then $n2 bytes): the test proves nothing"
fi
kill -0 "$(cat "$T/slow.pid")" 2>/dev/null || fail "the slow watcher is gone: $(cat "$T/slow.err")"
"$SM" stats --dir "$T/A" --json | jsonq 'j["loop_lag_max_ms"] < 1000' >/dev/null ||
	fail "A's loop lagged: $("$SM" stats --dir "$T/A" --json)"
bgstop slow
bgstop slowreader

# ---- 6. deploy/socmesh-watch-feed: a file feed for a SIEM --------------
feed() { SOCMESH="$SM" deploy/socmesh-watch-feed "$T/feed.jsonl" --dir "$T/C" --all; }
feed || fail "the feed's first round failed"
w C --after 0 --once --all >"$T/all6"
ids "$T/feed.jsonl" >"$T/f.ids"
ids "$T/all6" >"$T/a6.ids"
cmp -s "$T/f.ids" "$T/a6.ids" || fail "feed: $(diff "$T/f.ids" "$T/a6.ids" | head -5)"
[ "$(cat "$T/feed.jsonl.cursor")" = "$(last_cursor "$T/all6")" ] ||
	fail "feed: cursor $(cat "$T/feed.jsonl.cursor"), not $(last_cursor "$T/all6")"
feed || fail "the feed's second round failed"
ids "$T/feed.jsonl" | cmp -s - "$T/a6.ids" || fail "feed: a round with nothing new changed it"
# Rotated away, then one more message: the new file holds just it.
mv "$T/feed.jsonl" "$T/feed.jsonl.1"
f=$(publish A --tlp green --title "for the feed")
wait_until 5 has C "$f" || fail "the feed's message did not reach C"
feed || fail "the feed's round after the rotation failed"
[ "$(ids "$T/feed.jsonl")" = "$f" ] || fail "feed after the rotation: $(ids "$T/feed.jsonl")"
# A round that fails changes nothing.
echo 999999 >"$T/feed.jsonl.cursor"
cp "$T/feed.jsonl" "$T/feed.before"
feed 2>"$T/feed.err" && fail "the feed took a cursor ahead of C"
grep -q "is ahead of this node" "$T/feed.err" || fail "feed error: $(cat "$T/feed.err")"
cmp -s "$T/feed.jsonl" "$T/feed.before" || fail "a failed round changed the feed"
[ "$(cat "$T/feed.jsonl.cursor")" = 999999 ] || fail "a failed round changed the cursor"

# ---- 7. --indicator finds what query finds: clear bodies, and bodies ---
# sealed to the node
ac=$(publish A --tlp clear --title "indicator clear" --indicator 203.0.113.77)
aa=$(publish A --tlp amber --to B --title "indicator amber" --indicator 203.0.113.77)
publish A --tlp clear --title "another indicator" --indicator 203.0.113.78 >/dev/null
wait_until 5 has B "$aa" || fail "the amber message did not reach B"
wait_until 5 has B "$ac" || fail "the clear message did not reach B"
w B --after 0 --once --indicator 203.0.113.77 | jsonq 'sorted(x["id"] for x in (j if isinstance(j, list) else [j]))' >"$T/wi"
"$SM" query --dir "$T/B" --json --indicator 203.0.113.77 | jsonq 'sorted(x["id"] for x in (j if isinstance(j, list) else [j]))' >"$T/qi"
for id in "$aa" "$ac"; do grep -q "$id" "$T/wi" || fail "watch --indicator: $(cat "$T/wi")"; done
cmp -s "$T/wi" "$T/qi" || fail "watch --indicator $(cat "$T/wi"), query $(cat "$T/qi")"

finish
