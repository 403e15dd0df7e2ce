#!/bin/sh
# socmesh lookup (issue 12): indicators in bulk from a file and from stdin,
# defanged and untyped, known and unknown, the SOCs that reported them named,
# a line that is no indicator reported in its row, an indicator on a warning
# list marked benign (in lookup and in show), an expired one left out unless
# --include-expired, an AMBER case found through the sealed index; JSON lines.
set -u
. tests/integration/lib/nodes.sh
PY=$("${PY:-python3}" -c 'import sys; print(sys.executable)')

# A reads the default warning lists and one of its own (relative to its
# directory); B and C report.
for n in A B C; do node $n; done
mkdir "$T/A/lists"
cp deploy/warninglists/*.json "$T/A/lists/"
printf '%s' '{"name": "Lab sinkholes", "type": "string", "list": ["sinkhole.example.net"]}' \
	>"$T/A/lists/lab.json"
sed -i 's|^warninglists =.*|warninglists = lists|' "$T/A/socmesh.conf"
triangle A B C
grep -q "4 warning lists" "$T/A.log" || fail "A did not log its 4 warning lists: $(cat "$T/A.log")"

c1=$(publish B --tlp green --title "Phishing wave" --indicator evil.example \
	--indicator 8.8.8.8 --indicator sinkhole.example.net)
c2=$(publish C --tlp clear --title "Same phishing kit" --indicator evil.example)
wait_until 5 has C "$c1" || fail "$c1 did not reach C"
s2=$("$SM" sight "$c1" --dir "$T/C" | tail -n 1)
c3=$(publish B --tlp clear --title "Stale scanner" --indicator 203.0.113.9 --expires 2020-01-01)
c4=$(publish C --tlp amber --to A --title "Targeted intrusion" --indicator 198.51.100.77)
for m in "$c1" "$c2" "$s2" "$c3" "$c4"; do
	wait_until 5 has A "$m" || fail "$m did not reach A"
done

cat >"$T/in.txt" <<'IN'
# indicators from a SOAR playbook

evil[.]example
hxxps://evil[.]example/login
domain:unknown.example
8.8.8.8
not an indicator at all
203.0.113.9
198.51.100.77
  sinkhole[.]example[.]net
IN

# 1. JSON lines, one per indicator (blank lines and comments skipped), in
# input order.
"$SM" lookup --dir "$T/A" --json "$T/in.txt" >"$T/out.json" 2>"$T/err" ||
	fail "lookup exits non-zero: $(cat "$T/err")"
lq() { jsonq "($1)" <"$T/out.json" >/dev/null || fail "$2: $(cat "$T/out.json")"; }
lq 'len(j) == 8 and [r["line"] for r in j] == [3, 4, 5, 6, 7, 8, 9, 10]' "lines"
lq 'j[0]["known"] and j[0]["type"] == "domain" and j[0]["value"] == "evil.example"
	and j[0]["indicator"] == "evil[.]example" and j[0]["messages"] == 2
	and sorted(s["name"] for s in j[0]["socs"]) == ["B", "C"]
	and sorted(j[0]["cases"]) == sorted(["'"$c1"'", "'"$c2"'"])
	and j[0]["tlp"] == ["clear", "green"] and not j[0]["expired"] and j[0]["warning"] is None
	and j[0]["first_seen"] <= j[0]["last_seen"]' "a defanged, untyped domain from B and C"
lq 'j[1]["type"] == "url" and j[1]["value"] == "https://evil.example/login"
	and not j[1]["known"] and "messages" not in j[1] and j[1]["warning"] is None' "an unknown URL"
lq 'j[2]["type"] == "domain" and not j[2]["known"]' "a typed unknown domain"
lq 'j[3]["known"] and j[3]["warning"] == "Public DNS resolvers (socmesh default)"
	and [s["name"] for s in j[3]["socs"]] == ["B"]' "8.8.8.8 on the resolvers list"
lq '"error" in j[4] and "not a valid indicator" in j[4]["error"]
	and j[4]["indicator"] == "not an indicator at all"' "a line that is no indicator"
lq 'not j[5]["known"] and j[5]["expired"]' "an expired indicator left out"
lq 'j[6]["known"] and j[6]["tlp"] == ["amber"] and j[6]["cases"] == ["'"$c4"'"]
	and [s["name"] for s in j[6]["socs"]] == ["C"]' "an AMBER case through the sealed index"
lq 'j[7]["known"] and j[7]["warning"] == "Lab sinkholes"
	and j[7]["value"] == "sinkhole.example.net"' "a list of A's own"

# 2. --include-expired; stdin.
"$SM" lookup --dir "$T/A" --json --include-expired <"$T/in.txt" >"$T/out.json" ||
	fail "lookup --include-expired from stdin"
lq 'j[5]["known"] and j[5]["expired"] and j[5]["cases"] == ["'"$c3"'"]
	and not j[0]["expired"]' "--include-expired"

# 3. The text rows: known with SOC names, unknown, invalid, benign; a
# summary on stderr.
"$SM" lookup --dir "$T/A" <"$T/in.txt" >"$T/out.txt" 2>"$T/err" || fail "lookup, text"
grep -Eq '^evil\[\.\]example  domain  known: 2 messages, 2 SOCs \((B, C|C, B)\)' "$T/out.txt" ||
	fail "text row of evil.example: $(cat "$T/out.txt")"
grep -q '^8\.8\.8\.8  ipv4  known: .*benign: Public DNS resolvers' "$T/out.txt" ||
	fail "text row of 8.8.8.8: $(cat "$T/out.txt")"
grep -q '^not an indicator at all  invalid: .*(line 7)' "$T/out.txt" ||
	fail "text row of the invalid line: $(cat "$T/out.txt")"
grep -q '^203\.0\.113\.9  ipv4  unknown (known only from expired messages' "$T/out.txt" ||
	fail "text row of the expired indicator: $(cat "$T/out.txt")"
grep -q '^4 known, 3 unknown, 1 invalid$' "$T/err" || fail "summary: $(cat "$T/err")"

# 4. show marks the benign indicators of a case.
"$SM" show "$c1" --dir "$T/A" >"$T/show.txt" 2>&1 || fail "show: $(cat "$T/show.txt")"
grep -q '8\.8\.8\.8 .*benign: Public DNS resolvers' "$T/show.txt" ||
	fail "show does not mark 8.8.8.8: $(cat "$T/show.txt")"
grep 'evil\.example' "$T/show.txt" | grep -q benign && fail "show marks evil.example"
"$SM" show "$c1" --dir "$T/A" --json | jsonq '([r["warning"] for r in j["reports"]]
	== [None, "Lab sinkholes", "Public DNS resolvers (socmesh default)"])' >/dev/null ||
	fail "show --json warnings: $("$SM" show "$c1" --dir "$T/A" --json)"

# 5. A list that is no warning list: the reload keeps the lists in force.
printf '{"name": 1}' >"$T/A/lists/bad.json"
kill -HUP "$(cat "$T/A.pid")"
wait_until 5 grep -q "keeping the warning lists in force" "$T/A.log" || fail "no reload note"
echo 8.8.8.8 | "$SM" lookup --dir "$T/A" --json | jsonq 'j["warning"] is not None' >/dev/null ||
	fail "the lists in force were dropped"

# 6. Many indicators: batches of 1000, every one answered in order.
"$PY" -c 'for i in range(2500): print("10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255))' |
	"$SM" lookup --dir "$T/A" --json | jsonq '(len(j) == 2500 and j[2499]["value"] == "10.0.9.195"
	and not any(r["known"] for r in j))' >/dev/null || fail "2500 indicators"
finish
