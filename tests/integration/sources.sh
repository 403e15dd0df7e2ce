#!/bin/sh
# socmesh sources (issue 12): three SOCs share a scripted scenario, and
# every figure C shows of each source is checked against it: cases by TLP
# and kind, updates per case, comments, sightings and indicators of a
# source confirmed by the others, retractions, false positives, delays,
# last active, revoked; stats --prometheus exports the same figures.
set -u
. tests/integration/lib/nodes.sh
PY=$(python3 -c 'import sys; print(sys.executable)')

for n in A B C; do node $n; done
triangle A B C

# at NODE ID...: every message has reached NODE.
at() {
	n=$1; shift
	for m in "$@"; do wait_until 5 has "$n" "$m" || fail "$m did not reach $n"; done
}

# A: three cases (two CLEAR, one GREEN), two updates of the first (one
# setting status false-positive), one comment of its own.
a1=$(publish A --tlp clear --title "Phishing wave" --indicator 198.51.100.7)
a2=$(publish A --tlp clear --title "Scanning")
a3=$(publish A --tlp green --title "Credential stuffing")
au1=$("$SM" publish --dir "$T/A" --kind update --ref "$a1" --status contained | tail -n 1)
au2=$("$SM" publish --dir "$T/A" --kind update --ref "$a1" --status false-positive | tail -n 1)
ac=$("$SM" comment "$a1" --dir "$T/A" --text "Mail gateway rule deployed." | tail -n 1)
at B "$a1" "$a2" "$a3" "$au1" "$au2" "$ac"
at C "$a1" "$a2" "$a3" "$au1" "$au2" "$ac"

# B confirms A twice: a sighting of A's first case and a case of its own
# carrying A's indicator; and retracts a case it published by mistake.
bs=$("$SM" sight "$a1" --dir "$T/B" | tail -n 1)
b1=$(publish B --tlp clear --title "Same phishing here" --indicator 198.51.100.7)
b2=$(publish B --tlp clear --title "Mistaken report")
at C "$bs" "$b1" "$b2"
br=$("$SM" retract "$b2" --dir "$T/B" --note "published by mistake" | tail -n 1)

# C sights A's second case and comments on B's; A sights its own case
# (no confirmation: it is not another SOC).
cs=$("$SM" sight "$a2" --dir "$T/C" | tail -n 1)
cc=$("$SM" comment "$b1" --dir "$T/C" --text "Seen in our logs too." | tail -n 1)
as=$("$SM" sight "$a3" --dir "$T/A" | tail -n 1)
at C "$br" "$as"

"$SM" sources --dir "$T/C" --json >"$T/src" 2>"$T/src.err" || fail "sources: $(cat "$T/src.err")"
# shellcheck disable=SC2016
jsonq '(lambda s: len(j) == 3
	and s["A"]["shared"] == {"clear": {"incident": 2, "update": 2, "comment": 1},
		"green": {"incident": 1, "sighting": 1}}
	and s["A"]["cases"] == 3 and s["A"]["messages"] == 7 and s["A"]["updates"] == 2
	and abs(s["A"]["updates_per_case"] - 2 / 3) < 1e-9 and s["A"]["comments"] == 1
	and s["A"]["confirmed_cases"] == 2 and s["A"]["confirmed_indicators"] == 1
	and s["A"]["false_positives"] == 1 and s["A"]["retractions"] == 0
	and s["B"]["shared"] == {"clear": {"incident": 2, "sighting": 1, "retract": 1}}
	and s["B"]["cases"] == 2 and s["B"]["retractions"] == 1 and s["B"]["updates"] == 0
	and s["B"]["updates_per_case"] == 0 and s["B"]["confirmed_cases"] == 0
	and s["B"]["confirmed_indicators"] == 0 and s["B"]["false_positives"] == 0
	and s["C"]["shared"] == {"clear": {"sighting": 1, "comment": 1}}
	and s["C"]["cases"] == 0 and s["C"]["updates_per_case"] is None and s["C"]["self"]
	and s["C"]["comments"] == 1
	and all(x["delay_median_ms"] in (1000, 2000) and x["delay_p90_ms"] <= 4000
		and sum(x["delay_buckets"]) == x["messages"] and x["future_claims"] == 0
		and x["last_active"] and not x["revoked"] for x in j))({x["name"]: x for x in j})' \
	<"$T/src" >/dev/null || fail "C's sources: $(cat "$T/src")"

# A's own view: its messages came with no delay; B's sighting confirms it.
"$SM" sources --dir "$T/A" --json |
	jsonq '(lambda a: a["delay_median_ms"] == 1000 and a["confirmed_cases"] == 2)(
		[x for x in j if x["name"] == "A"][0])' >/dev/null ||
	fail "A's sources: $("$SM" sources --dir "$T/A" --json)"

# The table names each source and its figures.
out=$("$SM" sources --dir "$T/C")
echo "$out" | grep -q "^A$" || fail "the table lacks A: $out"
echo "$out" | grep -q "cases clear=2 green=1; messages 7, updates 2 (0.67 a case), comments 1" ||
	fail "A's row: $out"
echo "$out" | grep -q "confirmed by others: sightings 2, messages carrying its indicators 1" ||
	fail "A's confirmations: $out"
echo "$out" | grep -q "retractions 1, false positives 0" || fail "B's retractions: $out"

# stats --prometheus exports the per-source figures.
prom=$("$SM" stats --prometheus --dir "$T/C")
for l in 'socmesh_source_confirmed_cases_total{source="A"} 2' \
	'socmesh_source_confirmed_indicators_total{source="A"} 1' \
	'socmesh_source_false_positives_total{source="A"} 1' \
	'socmesh_source_retractions{source="B"} 1' \
	'socmesh_source_messages{source="A",tlp="green",kind="incident"} 1' \
	'socmesh_source_comments{source="C"} 1' \
	'socmesh_source_revoked{source="B"} 0'; do
	echo "$prom" | grep -qF "$l" || fail "stats --prometheus lacks: $l"
done
echo "$prom" | grep -q '^socmesh_source_delay_seconds{source="A",quantile="0.9"} ' ||
	fail "stats --prometheus lacks A's delay"

# B blocked at C: its source is revoked there, its figures stay.
"$SM" trust set B --level blocked --dir "$T/C" >/dev/null || fail "trust set B blocked"
wait_until 5 sh -c "'$SM' sources --dir '$T/C' --json | grep -q '\"name\":\"B\".*\"revoked\":true'" ||
	fail "B is not revoked at C: $("$SM" sources --dir "$T/C" --json)"

# The counters agree with the store.
stop C
"$SM" check --dir "$T/C" >/dev/null 2>"$T/check.err" || fail "check: $(cat "$T/check.err")"
finish
