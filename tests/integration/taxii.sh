#!/bin/sh
# The TAXII 2.1 server (issue 13) over HTTPS with a certificate made now:
# a GREEN user and an AMBER user (socmesh taxii user add), 1,000 GREEN cases
# (a STIX bundle imported), an AMBER case, a case with an update; then
# tests/interop/taxii_client.py speaks TAXII 2.1 to it as the specification
# says (discovery, API root, collections per user, paging with limit=100
# and added_after, authentication, GREEN never seeing AMBER, an object and
# its versions, the manifest, POST and status, bad bodies), and what it
# pulled validates against the STIX schemas.  The configuration refuses
# plain HTTP on a non-loopback address, and plain HTTP without plain_http.
set -u
. tests/integration/lib/nodes.sh
# The schemas are checked by Debian's interpreter, where make deps installs
# python3-jsonschema.
JS=/usr/bin/python3
PY=$("${PY:-python3}" -c 'import sys; print(sys.executable)')

node A
node B
trust A B member
trust B A member connect
port=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$T/A/taxii.key" -out "$T/A/taxii.crt" \
	>/dev/null 2>&1 || { fail "openssl could not make a certificate"; finish; exit; }
chmod 600 "$T/A/taxii.key"
sed -i "s|^listen =\$|listen = https://127.0.0.1:$port|; s|^cert =.*|cert = taxii.crt|; s|^key =.*|key = taxii.key|" \
	"$T/A/socmesh.conf"
grep -q "^listen = https://127.0.0.1:$port" "$T/A/socmesh.conf" || fail "no [taxii] listen in socmesh.conf"

# Users: the password is one line of stdin; RED and an existing name refused.
echo "green-pass" | "$SM" taxii user add feed-green --max-tlp green --dir "$T/A" >/dev/null ||
	fail "taxii user add feed-green"
echo "amber-pass" | "$SM" taxii user add feed-amber --max-tlp TLP:AMBER --dir "$T/A" >/dev/null ||
	fail "taxii user add feed-amber"
echo "x" | "$SM" taxii user add feed-red --max-tlp red --dir "$T/A" 2>/dev/null &&
	fail "taxii user add --max-tlp red was taken"
echo "x" | "$SM" taxii user add feed-green --max-tlp clear --dir "$T/A" 2>/dev/null &&
	fail "taxii user add took an existing name"
echo "" | "$SM" taxii user add empty --max-tlp clear --dir "$T/A" 2>/dev/null &&
	fail "taxii user add took an empty password"
[ "$(stat -c %a "$T/A/taxii.users")" = 600 ] || fail "taxii.users is mode $(stat -c %a "$T/A/taxii.users")"
"$SM" taxii user list --json --dir "$T/A" |
	jsonq 'sorted((u["name"], u["max_tlp"]) for u in j) == [("feed-amber", "amber"), ("feed-green", "green")]' \
		>/dev/null || fail "taxii user list: $("$SM" taxii user list --json --dir "$T/A")"
grep -q "argon2id" "$T/A/taxii.users" || fail "taxii.users holds no Argon2id hashes"

start A
start B
wait_until 10 connected B A || fail "B did not connect to A"
grep -q "taxii: serving TAXII 2.1 on https://127.0.0.1:$port" "$T/A.log" || fail "A does not serve TAXII"

# 1,000 GREEN cases: a bundle of indicators, each its own case.
N=${TAXII_N:-1000}
"$PY" - "$N" >"$T/bulk.json" <<'EOF'
import json, sys, uuid
n = int(sys.argv[1])
green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
objs = [{"type": "indicator", "spec_version": "2.1",
         "id": "indicator--%s" % uuid.uuid5(uuid.NAMESPACE_URL, "taxii.sh/%d" % i),
         "created": "2026-11-30T10:00:00.000Z", "modified": "2026-11-30T10:00:00.000Z",
         "name": "bulk %d" % i, "indicator_types": ["malicious-activity"],
         "pattern": "[ipv4-addr:value = '10.%d.%d.%d']" % (i >> 16, (i >> 8) & 255, i & 255),
         "pattern_type": "stix", "valid_from": "2026-11-30T10:00:00Z",
         "object_marking_refs": [green]} for i in range(n)]
print(json.dumps({"type": "bundle", "id": "bundle--%s" % uuid.uuid4(), "objects": objs}))
EOF
"$SM" import --format stix --dir "$T/A" "$T/bulk.json" | tail -n 1 | grep -q "^.*: $N published" ||
	fail "the bulk bundle did not publish $N cases"
a1=$(publish A --tlp amber --to B --title "Amber only case" --indicator 198.51.100.66)
c1=$(publish A --tlp green --title "Case with an update" --indicator 203.0.113.77)
"$SM" publish --dir "$T/A" --kind update --ref "$c1" --severity high --indicator 203.0.113.78 \
	>/dev/null || fail "update of $c1"
publish A --tlp red --to B --title "Red never served" >/dev/null
r1=$(publish A --tlp green --title "Case retracted" --indicator 203.0.113.99)
b1=$(publish B --tlp green --title "Case of another SOC" --indicator 198.51.100.200)
wait_until 10 has A "$b1" || fail "B's case did not reach A"
"$SM" retract "$r1" --dir "$T/A" >/dev/null || fail "retract $r1"

"$PY" tests/interop/taxii_client.py --discovery "https://127.0.0.1:$port/taxii2/" \
	--cacert "$T/A/taxii.crt" --green feed-green:green-pass --amber feed-amber:amber-pass \
	--bulk "$N" --amber-title "Amber only case" --versions-title "Case with an update" \
	--retracted-title "Case retracted" --peer-title "Case of another SOC" \
	--out "$T/pulled.json" || fail "taxii_client.py"
if [ -f tests/interop/schema.py ] && [ -s "$T/pulled.json" ]; then
	"$JS" tests/interop/schema.py stix "$T/pulled.json" >"$T/schema.out" 2>&1 ||
		fail "what the client pulled does not validate: $(head -n 20 "$T/schema.out")"
fi
# The OASIS taxii2-client, where it can be imported (PYTHONPATH; it is not
# in Debian): its own pager, objects, versions, manifest, POST and status.
# requests takes REQUESTS_CA_BUNDLE over the client's verify: unset here.
if "$PY" -c 'import taxii2client' 2>/dev/null; then
	env -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE "$PY" tests/interop/taxii2client_accept.py \
		"https://127.0.0.1:$port/taxii2/" "$T/A/taxii.crt" feed-green:green-pass \
		feed-amber:amber-pass "$N" >"$T/accept.out" 2>&1 ||
		fail "taxii2-client: $(grep -v '^ok' "$T/accept.out" | tail -n 5)"
else
	echo "taxii.sh: the OASIS taxii2-client cannot be imported here; its check did not run"
fi
# The daemon's stats count the requests by endpoint and status.
"$SM" stats --prometheus --dir "$T/A" >"$T/prom" || fail "stats --prometheus"
grep -Eq '^socmesh_taxii_requests_total\{endpoint="objects",status="200"\} [1-9]' "$T/prom" ||
	fail "no TAXII objects/200 in stats --prometheus: $(grep taxii "$T/prom" | head -n 5)"
grep -Eq '^socmesh_taxii_requests_total\{endpoint="discovery",status="401"\} [1-9]' "$T/prom" ||
	fail "no TAXII discovery/401 in stats --prometheus"
"$SM" stats --json --dir "$T/A" | jsonq 'j["taxii"]["users"] == 2' >/dev/null ||
	fail "stats --json has no taxii users"
# The posted indicator is one of A's messages now.
"$SM" query --dir "$T/A" --indicator 192.0.2.201 --json | grep -q '"title"' ||
	fail "the POSTed indicator is not in query"

# A user removed is refused at once; one added is taken at once (no restart).
H='Accept: application/taxii+json;version=2.1'
code() {
	curl -s -o /dev/null -w '%{http_code}' --cacert "$T/A/taxii.crt" -u "$1" -H "$H" \
		"https://127.0.0.1:$port/taxii2/"
}
if command -v curl >/dev/null; then
	"$SM" taxii user remove feed-amber --dir "$T/A" >/dev/null || fail "taxii user remove"
	[ "$(code feed-amber:amber-pass)" = 401 ] || fail "a removed user is still served"
	echo "late-pass" | "$SM" taxii user add late --max-tlp clear --dir "$T/A" >/dev/null
	[ "$(code late:late-pass)" = 200 ] || fail "a user added while running is refused"
fi
"$SM" taxii user remove nobody --dir "$T/A" 2>/dev/null && fail "taxii user remove of nobody"

# The daemon stops cleanly with the server running.
stop B
stop A
grep -q "shutting down" "$T/A.log" || fail "A did not shut down"

# Plain HTTP: only with plain_http = yes, and only on loopback.
node C
sed -i "s|^listen =\$|listen = http://192.0.2.10:$port|; s|^plain_http =.*|plain_http = yes|" \
	"$T/C/socmesh.conf"
out=$("$SMD" -n --dir "$T/C" 2>&1) && fail "plain HTTP on 192.0.2.10 was accepted"
echo "$out" | grep -q "loopback" || fail "plain HTTP on 192.0.2.10: $out"
"$SMD" --dir "$T/C" 2>/dev/null && fail "socmeshd started with plain HTTP on 192.0.2.10"
sed -i "s|^listen = .*:$port\$|listen = http://127.0.0.1:$port|; s|^plain_http =.*|plain_http = no|" \
	"$T/C/socmesh.conf"
out=$("$SMD" -n --dir "$T/C" 2>&1) && fail "plain HTTP without plain_http was accepted"
echo "$out" | grep -q "plain_http" || fail "plain HTTP without plain_http: $out"
sed -i "s|^plain_http =.*|plain_http = yes|" "$T/C/socmesh.conf"
"$SMD" -n --dir "$T/C" >/dev/null 2>&1 || fail "plain HTTP on 127.0.0.1 with plain_http refused"
finish
