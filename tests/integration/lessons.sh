#!/bin/sh
# What the network learned (issue 12): incidents and updates carry
# detection, effects, response and lessons; show presents them, query
# --has-lessons and lessons --category find them through their index keys
# (a sealed one too, at its readers only); expired messages and cases are
# marked [expired] / "expired": true in query, watch and show.
set -u
. tests/integration/lib/nodes.sh
PY=$(python3 -c 'import sys; print(sys.executable)')

for n in A B C; do node $n; done
trust A B member connect; trust A C member connect
trust B A member; trust C A member
for n in A B C; do start $n; done
wait_until 5 connected A B || fail "A-B not connected"
wait_until 5 connected A C || fail "A-C not connected"

# 1. A fraud case with what it taught, from stdin and a file too; an
# intrusion without lessons; an update that adds lessons without naming a
# category (publish gives it the case's); an AMBER intrusion with lessons,
# sealed to B.
printf 'Quarantine mail from young domains.\nTell customers where invoices come from.\n' \
	>"$T/lessons.txt"
fr=$(printf 'Two customers called the help desk.' | "$SM" publish --dir "$T/A" --tlp green \
	--title "Invoice phishing wave" --category fraud --severity high \
	--detection - --effects "Nine passwords entered; no payment data taken." \
	--response "Domain blocked at the gateway, passwords reset." \
	--lessons "@$T/lessons.txt" | tail -n 1)
[ ${#fr} -eq 64 ] || fail "publish with lessons: $fr"
plain=$("$SM" publish --dir "$T/A" --tlp green --title "Port scan from a known range" \
	--category intrusions --severity low | tail -n 1)
up=$("$SM" publish --dir "$T/A" --kind update --ref "$fr" --status resolved \
	--lessons "The registrar suspended the domain within a day." | tail -n 1)
[ ${#up} -eq 64 ] || fail "update with lessons: $up"
am=$("$SM" publish --dir "$T/A" --tlp amber --to B --title "VPN appliance exploited" \
	--category intrusions --severity critical --response "Appliance isolated." | tail -n 1)
[ ${#am} -eq 64 ] || fail "amber incident with lessons: $am"
for m in "$fr" "$plain" "$up" "$am"; do
	wait_until 5 has B "$m" || fail "B lacks $m"
done
wait_until 5 has C "$up" || fail "C lacks the update"

# 2. show presents them, in text and JSON; a partial update's too.
out=$("$SM" show "$fr" --dir "$T/B")
for w in "detection: Two customers called the help desk." \
	"effects:   Nine passwords entered; no payment data taken." \
	"response:  Domain blocked at the gateway, passwords reset." \
	"lessons:   Quarantine mail from young domains." \
	"            Tell customers where invoices come from." \
	"lessons:   The registrar suspended the domain within a day."; do
	echo "$out" | grep -qF -- "$w" || fail "show lacks '$w': $out"
done
"$SM" show "$fr" --dir "$T/B" --json | jsonq '(j["detection"] == "Two customers called the help desk."
	and j["lessons"].endswith("\nTell customers where invoices come from.")
	and j["thread"][0]["lessons"] == "The registrar suspended the domain within a day."
	and "lessons" not in j["state"] and j["expired"] is False)' >/dev/null ||
	fail "show --json: $("$SM" show "$fr" --dir "$T/B" --json)"

# 3. query --has-lessons: those four messages and no other.
ids() { jsonq 'sorted(m["id"] for m in ([j] if isinstance(j, dict) else j))'; }
want=$(printf '%s\n' "$fr" "$up" "$am" | sort | $PY -c 'import json,sys; print(json.dumps([l.strip() for l in sys.stdin]))')
got=$("$SM" query --has-lessons --dir "$T/B" --json | ids)
[ "$got" = "$want" ] || fail "query --has-lessons at B: $got, not $want"
got=$("$SM" query --has-lessons --kind update --dir "$T/B" --json | ids)
[ "$got" = "[\"$up\"]" ] || fail "query --has-lessons --kind update: $got"
out=$("$SM" query --has-lessons --indicator 192.0.2.1 --dir "$T/B" 2>&1) &&
	fail "--has-lessons with --indicator"
echo "$out" | grep -q "without --indicator or --text" || fail "--has-lessons --indicator: $out"

# 4. lessons --category: the category's, the sealed one at its reader
# only; without --category, every one.
# (the update named no category: publish gave it its case's)
want2=$(printf '%s\n' "$fr" "$up" | sort | $PY -c 'import json,sys; print(json.dumps([l.strip() for l in sys.stdin]))')
got=$("$SM" lessons --category fraud --since 1y --dir "$T/B" --json | ids)
[ "$got" = "$want2" ] || fail "lessons --category fraud at B: $got, not $want2"
got=$("$SM" lessons --category intrusions --dir "$T/B" --json | ids)
[ "$got" = "[\"$am\"]" ] || fail "lessons --category intrusions at B (sealed to it): $got"
"$SM" lessons --category intrusions --dir "$T/C" | grep -q "^no lessons$" ||
	fail "C lists a case sealed to B: $("$SM" lessons --category intrusions --dir "$T/C")"
got=$("$SM" lessons --dir "$T/B" --json | ids)
[ "$got" = "$want" ] || fail "lessons at B: $got, not $want"
out=$("$SM" lessons --category fraud --dir "$T/B")
echo "$out" | grep -q "fraud: Invoice phishing wave" || fail "lessons text: $out"
echo "$out" | grep -qF "detection: Two customers called the help desk." || fail "lessons text: $out"
out=$("$SM" lessons --category frauds --dir "$T/B" 2>&1) && fail "an unknown category"
echo "$out" | grep -q "unknown value 'frauds'" || fail "lessons --category frauds: $out"

# 5. Expiry: a case whose expires is past is marked in query, watch and
# show; the origin's update that extends it makes the case live again,
# while the incident itself stays expired.
old=$(publish A --tlp green --title "Old scanner" --expires 2020-01-01)
[ ${#old} -eq 64 ] || fail "publish --expires in the past: $old"
wait_until 5 has B "$old" || fail "B lacks the expired case"
"$SM" query --dir "$T/B" --json | jsonq '(all(m["expired"] == (m["id"] == "'"$old"'") for m in j))' \
	>/dev/null || fail "query --json expired: $("$SM" query --dir "$T/B" --json)"
"$SM" query --dir "$T/B" | grep "Old scanner" | grep -q "\[expired\] Old scanner" ||
	fail "query text: $("$SM" query --dir "$T/B")"
"$SM" watch --once --after 0 --json --dir "$T/B" | jsonq '[m["expired"] for m in j if m["id"] == "'"$old"'"] == [True]' \
	>/dev/null || fail "watch --json expired: $("$SM" watch --once --after 0 --json --dir "$T/B")"
"$SM" show "$old" --dir "$T/B" --json | jsonq '(j["expired"] is True
	and j["state"]["expires"] == "2020-01-01T23:59:59.999Z")' >/dev/null ||
	fail "show --json of an expired case: $("$SM" show "$old" --dir "$T/B" --json)"
"$SM" show "$old" --dir "$T/B" | grep -q "expires:    2020-01-01T23:59:59.999Z \[expired\]" ||
	fail "show text: $("$SM" show "$old" --dir "$T/B")"
ext=$("$SM" publish --dir "$T/A" --kind update --ref "$old" --expires 30d | tail -n 1)
wait_until 5 has B "$ext" || fail "B lacks the extension"
"$SM" show "$old" --dir "$T/B" --json | jsonq '(j["expired"] is False
	and j["state"]["expires"] > "2026" and j["thread"][0]["expired"] is False)' >/dev/null ||
	fail "show of an extended case: $("$SM" show "$old" --dir "$T/B" --json)"
"$SM" query --dir "$T/B" --json | jsonq '[m["expired"] for m in j if m["id"] == "'"$old"'"] == [True]' \
	>/dev/null || fail "the incident itself stays expired"

finish
