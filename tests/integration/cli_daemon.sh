#!/bin/sh
# Issue 9, one way in: the daemon is the store's only owner and writer, and
# socmesh query, show, export and import are requests on its control
# socket.  An import reaches a connected peer at once, without waiting for
# a reconciliation; query, show's reports and its thread page over more
# messages than one reply holds; malformed control requests get one error
# each and the daemon goes on serving; against a stopped node the commands
# fail with one clear line and write nothing.
set -u
. tests/integration/lib/nodes.sh
# expect_fail DESCRIPTION PATTERN COMMAND...: status 1, one stderr line matching
expect_fail() {
	d=$1 pat=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"
	st=$?
	[ $st -eq 1 ] || { fail "$d: exit status $st, not 1"; return; }
	[ "$(wc -l <"$T/err")" -eq 1 ] || { fail "$d: stderr is not one line: $(cat "$T/err")"; return; }
	grep -q -- "$pat" "$T/err" || fail "$d: stderr '$(cat "$T/err")' lacks '$pat'"
}

node A; node B; node C
# Reconciliation only when a link comes up: what B gets later is pushed.
for n in A B C; do sed -i 's/^sync_interval = .*/sync_interval = 1h/' "$T/$n/socmesh.conf"; done
trust A B member connect; trust B A member
trust A C member; trust B C member; trust C A member

# ---- a stopped node: one line, status 1, nothing written -----------------
start C
cm=$(publish C --tlp green --title "from C" --indicator 192.0.2.99)
"$SM" export "$cm" --dir "$T/C" >"$T/c.msg" || fail "export from C"
stop C
before=$("$SM" check --dir "$T/C")
zero=$(printf '%064d' 0)
expect_fail "query of a stopped node" "query: socmeshd is not running for $T/C" "$SM" query --dir "$T/C"
expect_fail "show of a stopped node" "show: socmeshd is not running" "$SM" show "$cm" --dir "$T/C"
expect_fail "export of a stopped node" "export: socmeshd is not running" "$SM" export "$cm" --dir "$T/C"
expect_fail "import into a stopped node" "import: socmeshd is not running" "$SM" import --dir "$T/C" "$T/c.msg"
expect_fail "import --from into a stopped node" "import: socmeshd is not running" \
	"$SM" import --from A --dir "$T/C" "$T/c.msg"
[ "$("$SM" check --dir "$T/C")" = "$before" ] || fail "a refused command changed C's store: $before"
# check and backup read the store themselves: no daemon needed
"$SM" backup --dir "$T/C" --to "$T/c.backup" >/dev/null || fail "backup of a stopped node"

# ---- import through the daemon reaches a connected peer at once ----------
start A; start B
wait_until 10 connected A B || fail "A-B not connected"
# the exchange of the new link is over; the next one is an hour away
wait_until 10 recon_after A B 0 || fail "A did not reconcile with B when the link came up"
r0=$(recons A B)
"$SM" import --dir "$T/A" "$T/c.msg" >"$T/out" 2>"$T/err" || fail "import into A: $(cat "$T/err")"
grep -qx "stored    $cm" "$T/out" || fail "import said: $(cat "$T/out")"
wait_until 5 has B "$cm" || fail "the imported message did not reach B at once"
[ "$(recons A B)" = "$r0" ] || fail "B got the import by a reconciliation, not pushed ($r0 -> $(recons A B))"
"$SM" import --dir "$T/A" "$T/c.msg" | grep -qx "duplicate $cm" || fail "second import is not a duplicate"
"$SM" import --dir "$T/B" --from A "$T/c.msg" | grep -qx "duplicate $cm" || fail "import --from at B"
expect_fail "import --from an unknown peer" "no peer 'nobody'" \
	"$SM" import --dir "$T/A" --from nobody "$T/c.msg"
head -c 300 /dev/urandom >"$T/garbage"
"$SM" import --dir "$T/A" "$T/garbage" "$T/c.msg" >"$T/out" 2>"$T/err"
[ $? -eq 1 ] || fail "import of garbage and a good file: not status 1"
grep -q "^socmesh import: $T/garbage: rejected: " "$T/err" || fail "garbage import: $(cat "$T/err")"
grep -qx "duplicate $cm" "$T/out" || fail "the good file after the garbage: $(cat "$T/out")"

# ---- paging: more messages than one reply holds --------------------------
# The CLEAR message is the oldest; 150 GREEN incidents and 120 sightings
# of one of them come after it, all 152 incidents carrying one indicator.
IOC=203.0.113.50
clr=$(publish A --tlp clear --title "the clear one" --indicator $IOC)
g=$(publish A --tlp green --title "the green one" --indicator $IOC)
seq 1 150 | xargs -P 4 -I{} "$SM" publish --dir "$T/A" --tlp green --title "bulk {}" \
	--category test --severity low --indicator $IOC >/dev/null || fail "bulk publish"
seq 1 120 | xargs -P 4 -I{} "$SM" sight "$g" --dir "$T/A" --note "sighting {}" >/dev/null ||
	fail "bulk sight"
total=$((1 + 1 + 150 + 120 + 1))
"$SM" query --dir "$T/A" --limit 1000 --json >"$T/all"
[ "$(wc -l <"$T/all")" -eq $total ] || fail "query over pages: $(wc -l <"$T/all") messages, not $total"
[ "$(sed -n 's/^{"id":"\([0-9a-f]*\)".*/\1/p' "$T/all" | sort -u | wc -l)" -eq $total ] ||
	fail "query over pages repeats or loses messages"
sed -n 's/.*"seq":[0-9]*,"time":"\([^"]*\)".*/\1/p' "$T/all" | sort -r -c ||
	fail "query over pages is not newest first"
"$SM" query --dir "$T/A" --limit 150 --json >"$T/150"
head -n 150 "$T/all" | cmp -s - "$T/150" || fail "query --limit 150 is not the first 150 of the listing"
[ "$("$SM" query --dir "$T/A" --json | wc -l)" -eq 50 ] || fail "query without --limit gives not 50"
"$SM" query --dir "$T/A" --limit 1000 >"$T/text"
[ "$(grep -c '^TIME (UTC)' "$T/text")" -eq 1 ] || fail "the text listing has not one header"
[ "$(wc -l <"$T/text")" -eq $((total + 1)) ] || fail "text listing: $(wc -l <"$T/text") lines"
# one match behind more messages than a request decodes
"$SM" query --dir "$T/A" --tlp clear --limit 1000 --json >"$T/clear"
[ "$(wc -l <"$T/clear")" -eq 1 ] && grep -q "\"id\":\"$clr\"" "$T/clear" ||
	fail "query --tlp clear: $(cat "$T/clear")"
[ "$("$SM" query --dir "$T/A" --indicator $IOC --limit 1000 --json | wc -l)" -eq 152 ] ||
	fail "query --indicator over pages"
[ "$("$SM" query --dir "$T/A" --indicator $IOC --tlp clear --json | wc -l)" -eq 1 ] ||
	fail "query --indicator --tlp clear"
"$SM" show "$g" --dir "$T/A" --json >"$T/show"
grep -q "\"value\":\"$IOC\",\"socs\":1,\"reported_by\":\\[\"A\"\\],\"messages\":152" "$T/show" ||
	fail "show's reports over pages: $(grep -o '"reports":[^]]*]' "$T/show")"
[ "$(grep -o '"kind":"sighting"' "$T/show" | wc -l)" -eq 120 ] || fail "show's thread over pages"
[ "$("$SM" show "$g" --dir "$T/A" | grep -c '^  .* sighting ')" -eq 120 ] || fail "show's text thread"

# ---- malformed control requests: one error each, the daemon goes on -------
# A ZeroMQ REQ client of its own (ZMTP 3.0, NULL mechanism), so that the
# requests are exactly the bytes written here: every line of REQUESTS on
# one connection, one reply line each; then a request of two frames; then
# one frame larger than the daemon reads (CONTROL_MAX_REQUEST, 4 MiB);
# then a ping on a new connection.
cat >"$T/zreq.py" <<'EOF'
import socket, struct, sys

def frame(data, more=False):
    flags = 0x01 if more else 0x00
    if len(data) > 255:
        return bytes([flags | 0x02]) + struct.pack(">Q", len(data)) + data
    return bytes([flags, len(data)]) + data

def recvn(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b

def recv_frame(s):
    flags = recvn(s, 1)[0]
    size = struct.unpack(">Q", recvn(s, 8))[0] if flags & 0x02 else recvn(s, 1)[0]
    return flags, recvn(s, size)

def connect(path):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    s.sendall(b"\xff" + b"\0" * 8 + b"\x7f" + b"\x03\x00" + b"NULL" + b"\0" * 16 + b"\0" + b"\0" * 31)
    recvn(s, 64)
    body = b"\x05READY" + b"\x0bSocket-Type" + struct.pack(">I", 3) + b"REQ"
    s.sendall(bytes([0x04, len(body)]) + body)
    recv_frame(s)  # the REP side's READY
    return s

def request(s, parts):
    out = frame(b"", True)
    for i, p in enumerate(parts):
        out += frame(p, i < len(parts) - 1)
    s.sendall(out)
    frames = []
    while True:
        flags, data = recv_frame(s)
        if flags & 0x04:
            continue
        frames.append(data)
        if not flags & 0x01:
            return frames[-1].decode()

# zreq.py SOCKET REQUESTS
path, reqs = sys.argv[1], sys.argv[2]
s = connect(path)
for line in open(reqs, "rb").read().split(b"\n")[:-1]:
    print(request(s, [line]))
print("frames: " + request(connect(path), [b'{"cmd":"ping"}', b'{"cmd":"ping"}']))
try:
    print("huge: " + request(connect(path), [b"{" + b" " * (5 * 1024 * 1024) + b"}"]))
except socket.timeout:
    print("huge: no answer, connection kept")
except (EOFError, OSError):
    print("huge: dropped")
print("after: " + request(connect(path), [b'{"cmd":"ping"}']))
EOF
good=$(base64 -w0 "$T/c.msg")
big=$(head -c 300000 /dev/zero | base64 -w0)
: >"$T/reqs"; : >"$T/pats"
# bad REQUEST PATTERN: its reply is ok false, one error line matching
bad() { printf '%s\n' "$1" >>"$T/reqs"; printf '%s\n' "$2" >>"$T/pats"; }
bad '[1,2]' "not a JSON object"
bad '{"cmd":5}' "request without"
bad '{"cmd":"query","limit":"ten"}' "limit.* is not an integer from 1 to 100"
bad '{"cmd":"query","limit":1000}' "limit.* is not an integer from 1 to 100"
bad '{"cmd":"query","limit":0}' "limit.* is not an integer from 1 to 100"
bad '{"cmd":"query","limit":1.5}' "limit"
bad '{"cmd":"query","since":-5}' "since"
bad '{"cmd":"query","tlp":7}' "tlp.* is not a string"
bad '{"cmd":"query","tlp":"purple"}' "unknown value 'purple'"
bad '{"cmd":"query","all":"yes"}' "all.* is not true or false"
bad '{"cmd":"query","indicator":""}' "indicator.* is empty"
bad '{"cmd":"query","indicator":"ipv4:300.1.1.1"}' "not a valid indicator"
bad "{\"cmd\":\"query\",\"indicator\":\"$(head -c 5000 /dev/zero | tr '\0' a)\"}" "longer than"
bad '{"cmd":"query","indicator":"a\u0000b"}' "not a JSON object"
bad '{"cmd":"query","origin":"soc-a"}' "origin.* is not a node id"
bad '{"cmd":"query","after":"zzz"}' "after.* is not a cursor"
bad "{\"cmd\":\"query\",\"indicator\":\"$IOC\",\"after\":\"t$(printf '%080d' 0)\"}" "not a cursor"
bad '{"cmd":"query","bogus":1}' "unknown field"
bad '{"cmd":"query","limit":1,"limit":2}' "not a JSON object"
bad '{"cmd":"get","id":"12"}' "id.* is not a message id"
bad '{"cmd":"get","id":["x"]}' "not a message id"
bad "{\"cmd\":\"get\",\"id\":\"$zero\"}" "no message $zero here"
bad '{"cmd":"thread","id":null}' "not a message id"
bad "{\"cmd\":\"thread\",\"id\":\"$g\",\"limit\":-1}" "limit"
bad '{"cmd":"import"}' "message.* is missing"
bad '{"cmd":"import","message":12}' "message.* is missing or not a string"
bad '{"cmd":"import","message":"!!!!"}' "not base64"
bad "{\"cmd\":\"import\",\"message\":\"$big\"}" "larger than max_message"
bad "{\"cmd\":\"import\",\"message\":\"$good\",\"from\":\"nobody\"}" "no peer 'nobody'"
bad "{\"cmd\":\"import\",\"message\":\"$good\",\"from\":[\"B\"]}" "from.* is not a string"
bad "{\"cmd\":\"import\",\"message\":\"$(head -c 300 /dev/urandom | base64 -w0)\"}" "rejected: "
# and, on the same connection after all of them, a good one
printf '{"cmd":"get","id":"%s"}\n' "$cm" >>"$T/reqs"
python3 "$T/zreq.py" "$T/A/control.sock" "$T/reqs" >"$T/reps" 2>"$T/perr" ||
	fail "the control client: $(tail -n 1 "$T/perr")"
i=0
while IFS= read -r pat; do
	i=$((i + 1))
	sed -n "${i}p" "$T/reps" >"$T/rep"
	grep -q '^{"ok":false,"error":"[^"]*"' "$T/rep" && grep -q -- "$pat" "$T/rep" ||
		fail "request $(sed -n "${i}p" "$T/reqs" | cut -c 1-100): $(cut -c 1-300 "$T/rep")"
done <"$T/pats"
sed -n "$((i + 1))p" "$T/reps" | grep -q "^{\"ok\":true,\"id\":\"$cm\",\"message\":\"$good\"" ||
	fail "a good request after the bad ones: $(sed -n "$((i + 1))p" "$T/reps" | cut -c 1-200)"
grep -q '^frames: {"ok":false,"error":"a request is one frame' "$T/reps" ||
	fail "a request of two frames: $(grep '^frames' "$T/reps")"
grep -qx "huge: dropped" "$T/reps" || fail "a request larger than 4 MiB: $(grep '^huge' "$T/reps" | cut -c 1-200)"
grep -q '^after: {"ok":true' "$T/reps" || fail "a ping after the large request: $(grep '^after' "$T/reps")"
kill -0 "$(cat "$T/A.pid")" 2>/dev/null || fail "A's daemon died"
"$SM" peers --dir "$T/A" >/dev/null || fail "A no longer answers peers"
[ "$("$SM" query --dir "$T/A" --limit 1000 --json | wc -l)" -eq $total ] || fail "A's store changed"
m2=$(publish A --tlp green --title "after the malformed requests")
wait_until 5 has B "$m2" || fail "A no longer gossips after the malformed requests"
finish
