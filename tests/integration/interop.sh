#!/bin/sh
# The bridges to STIX 2.1 and MISP (issue 13, docs/INTEROP.md): a scenario
# that uses every field, kind and indicator type is exported from A in both
# formats; every export validates against the standards' own JSON schemas
# (python3-jsonschema); exporting twice gives the same bytes; B, a node
# with no link to A, imports the bundle and ends with the same indicators,
# TLP and text; importing again publishes nothing; A recognises its own
# messages; every shared STIX example and MISP event imports or is refused
# per object; bad documents are refused whole and publish nothing.
set -u
. tests/integration/lib/nodes.sh
# The schemas are checked by Debian's interpreter, where make deps installs
# python3-jsonschema.
JS=/usr/bin/python3
PY=$(python3 -c 'import sys; print(sys.executable)')
SHARED=${SHARED:-../shared/interop}
[ -d "$SHARED" ] || { echo "FAIL: $SHARED is missing"; exit 1; }

for n in A B C; do node $n; done
trust A C member
for n in A B; do start $n; done

# 1. The scenario: an incident with every indicator type and every field,
# an update by its origin, a comment, a sighting, a retraction, an AMBER
# incident (sealed to C, readable by A, its origin) and a RED one.
case1=$("$SM" publish --dir "$T/A" --tlp green --title "Ransomware wave in energy" \
	--category malicious-code --type ransomware --severity high --impact medium \
	--summary "Lockers delivered by phishing; two substations' IT affected." \
	--sector energy --sector health --scope "IT only; OT segregated." \
	--indicator 198.51.100.7 --indicator 2001:db8::7 --indicator cidr:203.0.113.0/24 \
	--indicator evil.example.com --indicator "url:https://evil.example.com/p?q='1'" \
	--indicator mallory@evil.example.com --indicator md5:d41d8cd98f00b204e9800998ecf8427e \
	--indicator sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709 \
	--indicator sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 \
	--indicator "filename:invoice 2026.pdf.exe" --indicator CVE-2024-3400 \
	--indicator asn:AS64500 --indicator ja3:e7d705a3286e19ea42f587b344ee6865 \
	--attack T1566.001 --attack T1486 --action "Block the listed addresses." \
	--detection "EDR alert on mass renames." --effects "Forty workstations encrypted." \
	--response "Isolated, restored from backup." --lessons "Test restores monthly." \
	--expires 90d | tail -n 1)
[ ${#case1} -eq 64 ] || fail "publish the scenario: $case1"
up=$("$SM" publish --dir "$T/A" --kind update --ref "$case1" --status contained \
	--indicator 192.0.2.55 | tail -n 1)
[ ${#up} -eq 64 ] || fail "update: $up"
cm=$("$SM" comment "$case1" --dir "$T/A" --text "Second wave uses a new loader." | tail -n 1)
[ ${#cm} -eq 64 ] || fail "comment: $cm"
st=$("$SM" sight "$case1" --dir "$T/A" --note "Seen at a third site." | tail -n 1)
[ ${#st} -eq 64 ] || fail "sight: $st"
wrong=$(publish A --tlp clear --title "Mistaken report" --indicator 192.0.2.99)
"$SM" retract "$wrong" --dir "$T/A" --note "Published by mistake." >/dev/null ||
	fail "retract"
amber=$("$SM" publish --dir "$T/A" --tlp amber --to C --title "VPN appliance exploited" \
	--category intrusions --severity critical --indicator 203.0.113.77 | tail -n 1)
[ ${#amber} -eq 64 ] || fail "amber: $amber"
red=$("$SM" publish --dir "$T/A" --tlp red --to C --title "Red eyes only" \
	--category intrusions --severity critical --indicator 203.0.113.88 | tail -n 1)
[ ${#red} -eq 64 ] || fail "red: $red"

# 2. Exports: STIX and MISP, twice each, byte for byte the same, valid.
for f in stix misp; do
	"$SM" export --dir "$T/A" --format $f >"$T/a1.$f.json" || fail "export --format $f"
	"$SM" export --dir "$T/A" --format $f >"$T/a2.$f.json" || fail "export --format $f again"
	cmp -s "$T/a1.$f.json" "$T/a2.$f.json" || fail "export --format $f is not deterministic"
	"$JS" tests/interop/schema.py --shared "$SHARED" $f "$T/a1.$f.json" ||
		fail "the $f export does not validate"
	grep -q "Red eyes only\|203.0.113.88" "$T/a1.$f.json" && fail "$f export carries RED"
done
"$PY" - "$T/a1.stix.json" "$case1" "$amber" <<'EOF' || fail "STIX export content"
import json, sys, uuid
b = json.load(open(sys.argv[1]))
ns = uuid.UUID("dbd37408-8b02-48bc-9eb7-6d46a2d1c638")
objs = b["objects"]
types = {o["type"] for o in objs}
need = {"report", "indicator", "vulnerability", "attack-pattern", "note", "sighting",
        "identity", "marking-definition", "extension-definition"}
assert need <= types, need - types
rid = "report--%s" % uuid.uuid5(ns, sys.argv[2])
versions = [o for o in objs if o["id"] == rid]
assert len(versions) >= 2, "the update is a second version of the case's report"
aid = "report--%s" % uuid.uuid5(ns, sys.argv[3])
assert any(o["id"] == aid for o in objs), "the amber case is exported"
pats = " ".join(o.get("pattern", "") for o in objs if o["type"] == "indicator")
for p in ("ipv4-addr:value = '198.51.100.7'", "ipv6-addr:value", "domain-name:value",
          "url:value", "email-addr:value", "file:hashes.MD5", "file:hashes.'SHA-1'",
          "file:hashes.'SHA-256'", "file:name", "autonomous-system:number"):
    assert p in pats, p
assert "\\'1\\'" in pats, "quotes escaped in patterns"
EOF

# A case is exported whole from any of its messages: a comment on the
# update brings the update, the incident and its thread.
cu=$("$SM" comment "$up" --dir "$T/A" --text "On the update." | tail -n 1)
"$SM" export --dir "$T/A" --format stix "$cu" >"$T/one.json" || fail "export of a comment"
"$PY" - "$T/one.json" "$case1" "$st" <<'EOF' || fail "a comment's export lacks its case"
import json, sys, uuid
ns = uuid.UUID("dbd37408-8b02-48bc-9eb7-6d46a2d1c638")
ids = {o["id"] for o in json.load(open(sys.argv[1]))["objects"]}
assert "report--%s" % uuid.uuid5(ns, sys.argv[2]) in ids, "the case's report"
assert "sighting--%s" % uuid.uuid5(ns, sys.argv[3]) in ids, "the case's thread"
EOF

# 3. B imports the bundle: the same indicators, TLP and text; again:
# nothing new.
"$SM" import --dir "$T/B" --format stix "$T/a1.stix.json" >"$T/imp1" 2>&1 ||
	fail "B imports the bundle: $(cat "$T/imp1")"
grep -q "published" "$T/imp1" || fail "B published nothing: $(cat "$T/imp1")"
nb=$(count B)
"$SM" import --dir "$T/B" --format stix "$T/a1.stix.json" >"$T/imp2" 2>&1 ||
	fail "B imports the bundle again: $(cat "$T/imp2")"
grep -q " 0 published" "$T/imp2" || fail "the second import published: $(cat "$T/imp2")"
[ "$(count B)" -eq "$nb" ] || fail "the second import stored messages"
"$SM" export --dir "$T/B" --format stix >"$T/b.stix.json" || fail "B exports"
# The cases a bundle can carry to another node: CLEAR and GREEN (AMBER
# needs recipients, which a bundle cannot name), not retracted.
"$PY" - "$T/a1.stix.json" "$T/b.stix.json" <<'EOF' || fail "round trip differs"
import json, sys
AMBER = {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
         "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"}
def cases(path):
    out = {}
    objs = json.load(open(path))["objects"]
    byid = {x["id"]: x for x in objs}
    revoked = {o["id"] for o in objs if o.get("revoked")}
    for o in objs:
        if o["type"] != "report" or o["id"] in revoked:
            continue
        if AMBER & set(o.get("object_marking_refs", [])):
            continue
        pats = sorted(byid[r].get("pattern", byid[r].get("name", ""))
                      for r in o["object_refs"] if r in byid and byid[r]["type"] != "identity")
        tlp = sorted(o.get("object_marking_refs", []))
        key = o["name"]
        if key not in out or o["modified"] > out[key][0]:
            out[key] = (o["modified"], o.get("description", ""), tlp, pats)
    return {k: v[1:] for k, v in out.items()}
a, b = cases(sys.argv[1]), cases(sys.argv[2])
assert a.keys() == b.keys(), (sorted(a), sorted(b))
for k in a:
    assert a[k] == b[k], (k, a[k], b[k])
EOF
# A recognises its own messages in the bundle.
"$SM" import --dir "$T/A" --format stix "$T/a1.stix.json" >"$T/imp3" 2>&1 ||
	fail "A imports its own bundle: $(cat "$T/imp3")"
grep -q " 0 published" "$T/imp3" || fail "A republished its own: $(cat "$T/imp3")"

# 4. MISP: B imports A's events (a fresh node C would do as well): cases
# with the same indicators; again: nothing new.
"$SM" import --dir "$T/B" --format misp "$T/a1.misp.json" >"$T/imp4" 2>&1
grep -v "amber" "$T/imp4" | grep -q "refused \|socmesh import" &&
	fail "MISP import refused: $(cat "$T/imp4")"
grep -q "^published" "$T/imp4" || fail "MISP import published nothing: $(cat "$T/imp4")"
nb=$(count B)
"$SM" import --dir "$T/B" --format misp "$T/a1.misp.json" >"$T/imp5" 2>&1
grep -q " 0 published" "$T/imp5" || fail "the second MISP import published: $(cat "$T/imp5")"
[ "$(count B)" -eq "$nb" ] || fail "the second MISP import stored messages"

# 5. Every shared example: imported, or refused object by object with a
# reason; the daemon stays up.
for f in "$SHARED"/stix2-examples/*.json; do
	"$SM" import --dir "$T/B" --format stix --tlp green "$f" >"$T/ex" 2>&1
	rc=$?
	[ $rc -le 1 ] || fail "$f: exit $rc: $(tail -n 3 "$T/ex")"
	grep -q "published\|skipped\|refused" "$T/ex" || fail "$f: no per-object report: $(cat "$T/ex")"
done
for f in "$SHARED"/misp/events/*.json; do
	"$SM" import --dir "$T/B" --format misp --tlp green "$f" >"$T/ex" 2>&1
	grep -Eq "^published|^duplicate" "$T/ex" || fail "$f: did not import: $(tail -n 5 "$T/ex")"
done
"$SM" peers --dir "$T/B" >/dev/null || fail "B is down after the examples"

# 6. Bad documents: refused whole, one line, nothing published.
nb=$(count B)
printf '{"type": "bundle", "objects": [' >"$T/bad1.json"
"$PY" -c 'print("[" * 100000 + "]" * 100000)' >"$T/bad2.json"
printf '{"type": "bundle", "id": "bundle--1", "objects": [{"type": "x-unknown", "id": "x-unknown--1"}]}' \
	>"$T/bad3.json"
printf 'not json at all' >"$T/bad4.json"
head -c 104857600 /dev/zero >"$T/big.json"
for f in bad1 bad2 bad4 big; do
	for fmt in stix misp; do
		out=$("$SM" import --dir "$T/B" --format $fmt --tlp green "$T/$f.json" 2>&1)
		[ $? -eq 1 ] || fail "$fmt $f: not refused: $out"
		[ "$(printf '%s\n' "$out" | wc -l)" -le 2 ] || fail "$fmt $f: more than a line: $out"
	done
done
out=$("$SM" import --dir "$T/B" --format stix --tlp green "$T/bad3.json" 2>&1)
printf '%s' "$out" | grep -q "x-unknown" || fail "an unknown type is not named: $out"
out=$("$SM" import --dir "$T/B" --format stix "$T/a1.stix.json" --format xml 2>&1)
[ $? -eq 2 ] || fail "--format xml accepted: $out"
[ "$(count B)" -eq "$nb" ] || fail "bad documents published messages"
"$SM" peers --dir "$T/B" >/dev/null || fail "B is down after bad documents"

finish
