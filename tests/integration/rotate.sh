#!/bin/sh
# Issue 10, "key rotation": A - B - C, B rotates its key.  The rotation
# statement, signed by both keys, reaches A and C; they take B's new key at
# once as B's (B.new, source rotation), so B's messages under it arrive and
# none is refused; B's old messages stay B's history (not revoked), and
# query --origin B finds the messages of both keys.  A roster from A (the
# coordinator) that lists the new id makes the rotation final.  B keeps its
# old secret key beside the new one.
set -u
. tests/integration/lib/nodes.sh

node A; node B; node C
trust A B member connect; trust B A member
trust B C member connect; trust C B member
"$SM" trust set A --coordinator --dir "$T/B" >/dev/null || fail "B: A coordinator"
"$SM" trust add --dir "$T/C" --name A --key "$(id_of A)" --coordinator || fail "C: anchor A"
for n in A B C; do start $n; done
wait_until 5 connected A B || fail "A-B not connected"
wait_until 5 connected B C || fail "B-C not connected"
[ $fails -eq 0 ] || { finish; exit 1; }

# A roster (epoch 1) lists B's first key.
printf 'A %s member coordinator\nB %s member tcp://127.0.0.1:%s\nC %s member\n' "$(id_of A)" \
	"$(id_of B)" "$(cat "$T/B.port")" "$(id_of C)" >"$T/net1"
"$SM" roster propose --dir "$T/A" --file "$T/net1" --network rot >/dev/null || fail "propose 1"
for n in A B C; do
	wait_until 10 rq $n 'j["epoch"] == 1' >/dev/null || fail "$n is not at epoch 1"
done
before=$(publish B --tlp green --title "under the old key" --indicator 198.51.100.77)
secret=$(publish A --tlp amber --to B --title "for B's old key")
wait_until 5 has B "$secret" || fail "A's AMBER message did not reach B"
wait_until 5 has A "$before" || fail "B's first message did not reach A"
wait_until 5 has C "$before" || fail "B's first message did not reach C"
old=$(id_of B)
out=$("$SM" rotate --dir "$T/B") || fail "rotate: $out"
new=$(echo "$out" | sed -n 's/^new node id: //p')
stmt=$(echo "$out" | sed -n 's/^rotation statement: //p')
[ "$new" = "$(id_of B)" ] && [ "$new" != "$old" ] || fail "node.id after rotate: $(id_of B) (old $old, new $new)"
ls "$T/B" | grep -q "^node.key.$(echo "$old" | cut -c1-16).old\$" || fail "the old secret key is not kept: $(ls "$T/B")"
wait_until 5 has A "$stmt" || fail "the rotation statement did not reach A"
wait_until 5 has C "$stmt" || fail "the rotation statement did not reach C"
src() { "$SM" trust list --json --dir "$T/$1" | jsonq "[p for p in j if p[\"id\"] == \"$2\" and p[\"source\"] == \"rotation\"]"; }
wait_until 5 src A "$new" >/dev/null || fail "A does not trust B's new key: $("$SM" trust list --dir "$T/A")"

# Under the new key: messages go both ways, none refused.
wait_until 10 connected A B.new || fail "A and B (new key) not connected: $("$SM" peers --dir "$T/A")"
after=$(publish B --tlp green --title "under the new key" --indicator 198.51.100.77)
wait_until 10 has A "$after" || fail "B's message under its new key did not reach A"
wait_until 10 has C "$after" || fail "B's message under its new key did not reach C"
back=$(publish A --tlp green --title "to everyone, after B's rotation")
wait_until 10 has B "$back" || fail "A's message did not reach B after its rotation"
for n in A C; do
	# (busy: an exchange asked again within a second, no message refused)
	"$SM" peers --json --dir "$T/$n" | jsonq '[p for p in j if set(p["rejected"]) - {"busy"}]' >/dev/null &&
		fail "$n refused something: $("$SM" peers --json --dir "$T/$n")"
done
# History: the old message is B's, not a revoked origin's; --origin finds both.
"$SM" show "$before" --json --dir "$T/A" | jsonq 'j["revoked"] == False' >/dev/null ||
	fail "B's old message is shown as from a revoked origin at A"
q=$("$SM" query --origin B --json --dir "$T/A")
echo "$q" | grep -q "$before" && echo "$q" | grep -q "$after" ||
	fail "query --origin B at A lacks a key's message: $q"

# B's own old key is B's history there (named after it, never dialled);
# B still reads what was sealed to its old key; an indicator B reported
# under both keys counts one SOC.
"$SM" trust list --json --dir "$T/B" | jsonq "[p for p in j if p['name'] == 'B.old' and p['id'] == '$old' and p['endpoint'] is None]" >/dev/null ||
	fail "B does not keep its old key as B.old: $("$SM" trust list --json --dir "$T/B")"
"$SM" peers --json --dir "$T/B" | jsonq "[p for p in j if p['id'] == '$old' and p['dialled']]" >/dev/null &&
	fail "B dials its own old key: $("$SM" peers --json --dir "$T/B")"
"$SM" show "$secret" --dir "$T/B" | grep -q "for B's old key" ||
	fail "B cannot open what was sealed to its old key: $("$SM" show "$secret" --dir "$T/B")"
"$SM" show "$after" --dir "$T/A" | grep "198.51.100.77" | grep -q "1 SOC (" ||
	fail "an indicator B reported under both keys is not one SOC's: $("$SM" show "$after" --dir "$T/A")"

# A roster from A listing B's new id makes the rotation final.
printf 'A %s member coordinator\nB %s member\nC %s member\n' "$(id_of A)" "$new" "$(id_of C)" >"$T/net"
"$SM" roster propose --dir "$T/A" --file "$T/net" >/dev/null || fail "propose 2"
final() { rq "$1" "[r for r in j[\"rotations\"] if r[\"new\"] == \"$new\" and r[\"state\"] == \"final\"]"; }
wait_until 10 final C >/dev/null || fail "the rotation is not final at C: $("$SM" roster show --json --dir "$T/C")"
"$SM" show "$before" --json --dir "$T/C" | jsonq 'j["revoked"] == False' >/dev/null ||
	fail "once final, B's old message is shown as from a revoked origin at C"
"$SM" peers --json --dir "$T/C" | jsonq "[p for p in j if p['id'] == '$old' and not p['dialled']]" >/dev/null ||
	fail "C lacks B's old key as history, or dials it: $("$SM" peers --json --dir "$T/C")"
finish
