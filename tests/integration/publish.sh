#!/bin/sh
# Issue 9: a publish goes through the daemon's one ingest pipeline and is
# answered once committed.  Publishes of several clients at once share
# commits: each gets its own id and sequence number (1 to N, none twice,
# none missing), each is stored before its answer, and every one reaches a
# peer; the control socket answers other requests meanwhile.
set -u
. tests/integration/lib/nodes.sh

N=24
node A; node B
trust A B member; trust B A member connect
start A; start B
wait_until 10 connected B A || fail "B did not connect to A"
pids=""
for i in $(seq 1 $N); do
	("$SM" publish --dir "$T/A" --category test --severity low --tlp green \
		--title "parallel $i" --indicator "192.0.2.$i" >"$T/out.$i" 2>&1; echo $? >"$T/rc.$i") &
	pids="$pids $!"
done
"$SM" stats --dir "$T/A" >/dev/null || fail "the control socket did not answer during the publishes"
# shellcheck disable=SC2086
wait $pids # not the daemons
for i in $(seq 1 $N); do
	[ "$(cat "$T/rc.$i")" = 0 ] || fail "publish $i: $(cat "$T/out.$i")"
	id=$(tail -n 1 "$T/out.$i")
	# Answered after the commit: stored already.
	has A "$id" || fail "publish $i answered $id, which A does not hold"
done
[ "$(tail -q -n 1 "$T"/out.* | sort -u | wc -l)" -eq $N ] || fail "ids were given twice"
seqs=$("$SM" query --dir "$T/A" --all --limit 1000 --json |
	jsonq '" ".join(str(s) for s in sorted(m["seq"] for m in j))')
[ "$seqs" = "$(seq -s ' ' 1 $N)" ] || fail "sequence numbers are not 1 to $N once each: $seqs"
wait_until 15 sh -c "[ \$($SM query --dir $T/B --all --limit 1000 --json | wc -l) -ge $N ]" ||
	fail "B holds $(count B) of the $N messages"
finish
