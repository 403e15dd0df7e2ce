#!/bin/sh
# Is it part of a campaign? (issue 12): three SOCs report parts of one
# campaign — an address inside another's CIDR, a subdomain of another's
# domain, a file hash another gave — and campaigns groups them while an
# unrelated case stays alone; related ranks the cases with their reasons;
# show says when a case belongs to a campaign; well-known benign
# indicators (A's warning lists) link nothing; expired cases are left out
# unless asked for.
set -u
. tests/integration/lib/nodes.sh
PY=$(python3 -c 'import sys; print(sys.executable)')

for n in A B C; do node $n; done
sed -i "s|^warninglists *=.*|warninglists = $PWD/deploy/warninglists|" "$T/A/socmesh.conf"
triangle A B C

H=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
pub() { n=$1; shift; "$SM" publish --dir "$T/$n" --tlp green --severity high "$@" | tail -n 1; }
a=$(pub A --title "Phishing kit on a bulletproof range" --category fraud --sector finance \
	--indicator cidr:203.0.113.0/24 --indicator login.evil-payments.com --attack T1566.002)
b=$(pub B --title "Beacon from a ward workstation" --category intrusions --sector health \
	--indicator 203.0.113.7 --indicator sha256:$H --attack T1566.001)
c=$(pub C --title "Dropper mailed to the grid operator" --category malicious-code \
	--sector energy --indicator hxxps://cdn[.]evil-payments[.]com/inv.zip --indicator $H)
u=$(pub A --title "Scanning from a residential address" --category information-gathering \
	--sector finance --indicator 198.51.100.9 --indicator quiet-neighbour.org)
for id in "$a" "$b" "$c" "$u"; do
	[ ${#id} -eq 64 ] || fail "publish printed no id: $id"
	for n in A B C; do wait_until 5 has $n "$id" || fail "$id did not reach $n"; done
done

# 1. related: B's case finds A's by its address inside A's network and C's
# by the shared hash; A's finds C's by the registered domain of a URL's
# host; the reasons say so, with the SOCs and sectors of each.
rel=$("$SM" related "$b" --dir "$T/C" --json)
echo "$rel" | jsonq '(len(j) == 2 and {r["soc"] for r in j} == {"A", "C"}
	and all(r["id"] != "'"$u"'" for r in j))' >/dev/null || fail "related of B's case: $rel"
echo "$rel" | jsonq '[r for r in j if r["soc"] == "A"][0]["reasons"][0] == {"reason": "network",
	"match": "203.0.113.7 in 203.0.113.0/24", "weight": 8}' >/dev/null ||
	fail "B-A reason: $rel"
echo "$rel" | jsonq '([r for r in j if r["soc"] == "C"][0]["sectors"] == ["energy"]
	and {"reason": "hash", "match": "sha256:'$H'", "weight": 5}
	in [r for r in j if r["soc"] == "C"][0]["reasons"])' >/dev/null || fail "B-C reason: $rel"
rel=$("$SM" related "$a" --dir "$T/B" --json)
echo "$rel" | jsonq '(j[0]["soc"] == "B" and j[0]["score"] >= 10 and
	{"reason": "domain", "match": "domain:login.evil-payments.com", "weight": 6}
	not in j[1]["reasons"] and j[1]["reasons"][0]["reason"] == "domain"
	and j[1]["soc"] == "C")' >/dev/null || fail "related of A's case: $rel"
out=$("$SM" related "$a" --dir "$T/A")
echo "$out" | grep -q "network *203.0.113.7 in 203.0.113.0/24" || fail "related text: $out"
echo "$out" | grep -q "technique *T1566" || fail "related text: no technique: $out"
out=$("$SM" related "$u" --dir "$T/A")
echo "$out" | grep -q "no related case here" || fail "the unrelated case has relations: $out"

# 2. campaigns: one group of three cases from A, B and C, the unrelated
# case in none.
camp=$("$SM" campaigns --dir "$T/A" --json)
echo "$camp" | jsonq '(isinstance(j, dict) and sorted(j["cases"]) == sorted(["'"$a"'", "'"$b"'",
	"'"$c"'"]) and sorted(j["socs"]) == ["A", "B", "C"]
	and sorted(j["sectors"]) == ["energy", "finance", "health"]
	and "sha256:'$H'" in j["indicators"] and j["first_seen"] <= j["last_seen"])' >/dev/null ||
	fail "campaigns on A: $camp"
out=$("$SM" campaigns --dir "$T/B" --since 1h)
echo "$out" | grep -q "campaign 1: 3 cases from" || fail "campaigns text: $out"
echo "$out" | grep -q "$u" && fail "the unrelated case is in a campaign: $out"
out=$("$SM" campaigns --dir "$T/B" --since 2020-01-01 --json)
[ "$(echo "$out" | wc -l)" -eq 1 ] || fail "campaigns since 2020: $out"

# 3. show says when a case belongs to a campaign.
"$SM" show "$c" --dir "$T/A" | grep -q "^campaign: *part of one: 3 cases from" ||
	fail "show of C's case: $("$SM" show "$c" --dir "$T/A")"
"$SM" show "$u" --dir "$T/A" --json | jsonq 'j["campaign"] is None' >/dev/null ||
	fail "show of the unrelated case names a campaign"
"$SM" show "$b" --dir "$T/C" --json | jsonq 'len(j["campaign"]["cases"]) == 3' >/dev/null ||
	fail "show --json of B's case: no campaign"

# 4. A public resolver in two cases links them where no warning list says
# what it is (B), never on A, whose lists name it.
r1=$(pub B --title "Odd DNS traffic" --category other --sector transport --indicator 8.8.8.8)
r2=$(pub C --title "DNS tunnelling suspected" --category other --sector retail \
	--indicator 8.8.8.8)
for id in "$r1" "$r2"; do
	for n in A B; do wait_until 5 has $n "$id" || fail "$id did not reach $n"; done
done
"$SM" related "$r1" --dir "$T/B" --json | jsonq 'j["id"] == "'"$r2"'"' >/dev/null ||
	fail "8.8.8.8 links nothing on B: $("$SM" related "$r1" --dir "$T/B" --json)"
out=$("$SM" related "$r1" --dir "$T/A")
echo "$out" | grep -q "no related case here" || fail "a benign indicator linked cases on A: $out"

# 5. An expired case: out of related and campaigns unless asked for.
x=$(pub C --title "Last year's wave" --category fraud --sector retail --indicator 203.0.113.99 \
	--expires 2021-01-01)
[ ${#x} -eq 64 ] || fail "publish of an expired case: $x"
wait_until 5 has A "$x" || fail "the expired case did not reach A"
"$SM" related "$a" --dir "$T/A" --json | jsonq 'all(r["id"] != "'"$x"'" for r in j)' \
	>/dev/null || fail "related shows an expired case"
"$SM" related "$a" --dir "$T/A" --include-expired --json |
	jsonq '[r for r in j if r["id"] == "'"$x"'"][0]["expired"] is True' >/dev/null ||
	fail "related --include-expired: $("$SM" related "$a" --dir "$T/A" --include-expired --json)"
"$SM" campaigns --dir "$T/A" --include-expired --json | jsonq '"'"$x"'" in j["cases"]' \
	>/dev/null || fail "campaigns --include-expired leaves the expired case out"

# 6. IPv6: an address inside a network, from both sides; the store's
# check recomputes every derived key and finds them as they are.
v1=$(pub B --title "v6 range" --category other --sector water --indicator cidr:2001:db8:abcd::/48)
v2=$(pub B --title "v6 host" --category vulnerable --sector telecom \
	--indicator 2001:db8:abcd:0:1::9)
"$SM" related "$v1" --dir "$T/B" --json | jsonq '(j["id"] == "'"$v2"'" and j["reasons"] ==
	[{"reason": "network", "match": "2001:db8:abcd:0:1::9 in 2001:db8:abcd::/48", "weight": 8}])' \
	>/dev/null || fail "related of a v6 network: $("$SM" related "$v1" --dir "$T/B" --json)"
"$SM" related "$v2" --dir "$T/B" --json | jsonq 'j["id"] == "'"$v1"'"' >/dev/null ||
	fail "related of a v6 address: $("$SM" related "$v2" --dir "$T/B" --json)"
"$SM" check --dir "$T/B" >/dev/null || fail "store check on B: $("$SM" check --dir "$T/B" 2>&1)"

# 6. errors: no case, bad arguments.
out=$("$SM" related "$(printf '%064d' 0)" --dir "$T/A" 2>&1) && fail "related of nothing: $out"
echo "$out" | grep -q "no message" || fail "related of nothing: $out"
out=$("$SM" related "$a" --limit 0 --dir "$T/A" 2>&1) && fail "related --limit 0: $out"
finish
