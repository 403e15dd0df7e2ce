#!/bin/sh
# Indicators as analysts write them (issue 11): defanged forms are
# refanged, a value without a type gets one only by its strict form (one
# that fits none is refused, named), and query reads them alike; the
# indicators of a TLP:AMBER message are indexed for the nodes that read
# it, under a keyed hash: the recipient finds them, its store file never
# holds them in clear.
set -u
. tests/integration/lib/nodes.sh
PY=$(python3 -c 'import sys; print(sys.executable)')

for n in A B; do node $n; done
trust A B member connect; trust B A member
for n in A B; do start $n; done
wait_until 5 connected A B || fail "A-B not connected"

# Every node has its index key from init: 64 hex digits, mode 0600.
[ "$(stat -c %a "$T/A/index.key")" = 600 ] || fail "A's index.key is not mode 0600"
grep -qx '[0-9a-f]\{64\}' "$T/A/index.key" || fail "A's index.key is not 64 hex digits"

# A bad value without a type is refused, naming it, never published.
out=$("$SM" publish --dir "$T/A" --tlp green --title bad --category test --severity low \
	--indicator 300.1.1.1 2>&1) && fail "300.1.1.1 was published: $out"
echo "$out" | grep -q "'300.1.1.1' is not a valid indicator of any type" ||
	fail "the refusal does not name the value: $out"
out=$("$SM" publish --dir "$T/A" --tlp green --title bad --category test --severity low \
	--indicator 'hxxp://evil[dot]example/x' 2>&1) && fail "a half-defanged URL was published: $out"
echo "$out" | grep -q "'hxxp://evil\[dot\]example/x' is not a valid indicator of any type" ||
	fail "the refusal does not name the URL: $out"
out=$("$SM" query --dir "$T/A" --indicator 300.1.1.1 2>&1) && fail "query took 300.1.1.1: $out"
echo "$out" | grep -q "'300.1.1.1' is not a valid indicator of any type" ||
	fail "query's refusal does not name the value: $out"
[ "$("$SM" query --dir "$T/A" --all --json | wc -l)" -eq 0 ] || fail "a refused publish stored something"

# Defanged forms are stored refanged, as the types they are.
u=$(publish A --tlp green --title "defanged url" --indicator 'hxxp://evil[.]example/x')
d=$(publish A --tlp green --title "defanged domain" --indicator 'evil[.]example')
# stored ID TYPE VALUE: the one message query finds by TYPE:VALUE (JSON
# lines on stdin) is ID, carrying that indicator
stored() {
	jsonq "[(m['id'], {'type': '$2', 'value': '$3'} in m['indicators'])
		for m in (j if isinstance(j, list) else [j])] == [('$1', True)]" >/dev/null
}
"$SM" query --dir "$T/A" --indicator http://evil.example/x --json | stored "$u" url http://evil.example/x ||
	fail "the defanged URL is not stored as url http://evil.example/x"
"$SM" query --dir "$T/A" --indicator domain:evil.example --json | stored "$d" domain evil.example ||
	fail "the defanged domain is not stored as domain evil.example"
# ... and a query refangs its value too.
"$SM" query --dir "$T/A" --indicator 'evil[.]example' --json | grep -q "$d" ||
	fail "query --indicator evil[.]example does not find evil.example"
"$SM" query --dir "$T/A" --indicator 'hxxp://evil(.)example/x' --json | grep -q "$u" ||
	fail "query --indicator hxxp://evil(.)example/x does not find the URL"

# AMBER from A to B: B (recipient) and A (origin) find it by its
# indicators; neither store file holds them in clear.
a=$(publish A --tlp amber --to B --title "amber for B" --indicator 'sealed-ioc[.]example' \
	--indicator 203.0.113.201)
wait_until 5 has B "$a" || fail "the amber message did not reach B"
for n in A B; do
	"$SM" query --dir "$T/$n" --indicator sealed-ioc.example --json | grep -q "$a" ||
		fail "$n does not find the amber message by its domain"
	"$SM" query --dir "$T/$n" --indicator 203.0.113.201 --json | grep -q "$a" ||
		fail "$n does not find the amber message by its address"
	for v in sealed-ioc.example 203.0.113.201; do
		grep -qa "$v" "$T/$n/store/data.mdb" && fail "$n's store holds $v in clear"
	done
	"$SM" check --dir "$T/$n" >/dev/null 2>&1 || fail "$n's store check: $("$SM" check --dir "$T/$n" 2>&1)"
done
# Clear and sealed entries in one result, newest stored first.
g=$(publish A --tlp green --title "green with the same domain" --indicator sealed-ioc.example)
"$SM" query --dir "$T/A" --indicator sealed-ioc.example --json |
	jsonq "[m['id'] for m in (j if isinstance(j, list) else [j])] == ['$g', '$a']" >/dev/null ||
	fail "A's query does not list the green then the amber message"
# show counts the amber report where it is read.
"$SM" show "$a" --dir "$T/B" | grep "sealed-ioc.example" | grep -q "1 SOC" ||
	fail "B's show does not count the amber report: $("$SM" show "$a" --dir "$T/B")"

# After a restart the sealed entries are still found (the same index key).
stop B
start B
"$SM" query --dir "$T/B" --indicator sealed-ioc.example --json | grep -q "$a" ||
	fail "B does not find the amber message after a restart"

# B rotates its key: what was sealed to its old key is still found and
# checked (opened with the kept old key), and what comes to its new key is
# indexed under the same index key.
# (A must hear the statement: with B just restarted, wait for the link.)
wait_until 10 connected A B || fail "A and B not connected again after B's restart"
wait_until 10 connected B A || fail "B and A not connected again after B's restart"
out=$("$SM" rotate --dir "$T/B") || fail "rotate: $out"
stmt=$(echo "$out" | sed -n 's/^rotation statement: //p')
wait_until 5 has A "$stmt" || fail "the rotation statement did not reach A"
wait_until 10 connected A B.new || fail "A and B (new key) not connected: $("$SM" peers --dir "$T/A")"
a2=$(publish A --tlp amber --to B.new --title "amber for B's new key" --indicator sealed-ioc.example)
wait_until 5 has B "$a2" || fail "the amber message to B's new key did not reach B"
"$SM" query --dir "$T/B" --indicator sealed-ioc.example --json |
	jsonq "set([m['id'] for m in j]) >= {'$a', '$a2'}" >/dev/null ||
	fail "B does not find both amber messages after its rotation"
"$SM" check --dir "$T/B" >/dev/null 2>&1 || fail "B's store check after its rotation: $("$SM" check --dir "$T/B" 2>&1)"

finish
