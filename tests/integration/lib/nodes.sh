# Helpers for integration tests that run real socmeshd processes on
# 127.0.0.1, ports chosen at run time, in a temporary directory that goes
# away with everything started in it.  Source it; then `fail` records a
# failed assertion and the script's exit status tells the result.
B=${B:-build}
# Under the sanitizers the programs run several times slower: tests/run sets
# TIME_SCALE (SAN=1: 3, TSAN=1: 5) and every wait_until waits that many
# times longer.  A wait that succeeds returns at once, so the scale costs
# nothing on a passing run.
TIME_SCALE=${TIME_SCALE:-1}
SM="$B/socmesh"
SMD="$B/socmeshd"
T=$(mktemp -d /tmp/socmesh-it-XXXXXX)
export SOCMESH_DIR=
fails=0

_cleanup() {
	for f in "$T"/*.pid; do
		[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$T"
}
trap _cleanup EXIT

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# A free TCP port on 127.0.0.1 (the kernel's choice).
free_port() {
	python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

# node NAME: a node directory with a fresh identity, a 1 s sync interval.
node() {
	p=$(free_port)
	"$SM" init --dir "$T/$1" --name "$1" --listen "tcp://127.0.0.1:$p" >/dev/null || exit 1
	echo "$p" >"$T/$1.port"
	sed -i 's/^sync_interval = .*/sync_interval = 1s/' "$T/$1/socmesh.conf"
}

id_of() { "$SM" id --dir "$T/$1"; }

# trust A B LEVEL [connect]: A trusts B at LEVEL; with "connect", A dials B.
trust() {
	ep=""
	[ "${4:-}" = connect ] && ep="--endpoint tcp://127.0.0.1:$(cat "$T/$2.port")"
	# shellcheck disable=SC2086
	"$SM" trust add --dir "$T/$1" --name "$2" --key "$(id_of "$2")" --level "$3" $ep || exit 1
}

# wait_until TIMEOUT_S COMMAND...: poll every 50 ms for TIMEOUT_S seconds
# (times TIME_SCALE); 0 when it succeeded.
wait_until() {
	limit=$(($1 * 20 * TIME_SCALE)); shift
	i=0
	while [ $i -lt $limit ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# triangle A B C: three nodes (made with node) that trust each other as
# members, A dialling B and C, B dialling C; started and connected.
triangle() {
	trust "$1" "$2" member connect; trust "$1" "$3" member connect
	trust "$2" "$1" member; trust "$2" "$3" member connect
	trust "$3" "$1" member; trust "$3" "$2" member
	for n in "$1" "$2" "$3"; do start "$n"; done
	wait_until 5 connected "$1" "$2" || fail "$1-$2 not connected"
	wait_until 5 connected "$1" "$3" || fail "$1-$3 not connected"
	wait_until 5 connected "$2" "$3" || fail "$2-$3 not connected"
}

start() {
	"$SMD" --dir "$T/$1" 2>>"$T/$1.log" &
	echo $! >"$T/$1.pid"
	wait_until 10 "$SM" peers --dir "$T/$1" || { fail "$1 did not start"; cat "$T/$1.log"; }
}

stop() {
	kill -TERM "$(cat "$T/$1.pid")" && wait "$(cat "$T/$1.pid")" 2>/dev/null
	rm -f "$T/$1.pid"
}

kill9() {
	kill -9 "$(cat "$T/$1.pid")"
	wait "$(cat "$T/$1.pid")" 2>/dev/null
	rm -f "$T/$1.pid"
}

has() { "$SM" show "$2" --dir "$T/$1" >/dev/null 2>&1; }
connected() { "$SM" peers --dir "$T/$1" --json | grep -q "\"name\":\"$2\".*\"connected\":true"; }
count() { "$SM" query --dir "$T/$1" --all --limit 100000 --json | wc -l; }
publish() { n=$1; shift; "$SM" publish --dir "$T/$n" --category test --severity low "$@" | tail -n 1; }

# recons NODE PEER: reconciliations NODE has completed with PEER
recons() {
	"$SM" stats --prometheus --dir "$T/$1" | sed -n "s/^socmesh_reconciliations_total{peer=\"$2\"} //p"
}
# recon_after NODE PEER N: NODE has completed more than N reconciliations
# with PEER (poll it with wait_until)
recon_after() { [ "$(recons "$1" "$2")" -gt "$3" ] 2>/dev/null; }

finish() {
	[ $fails -eq 0 ] || { for l in "$T"/*.log; do echo "--- $l"; tail -n 20 "$l"; done; }
	[ $fails -eq 0 ]
}

# ---- JSON and rosters (tests/integration/roster.sh) ----
# PY: the Python interpreter; a test that polls JSON sets it once to
# sys.executable, so that a version manager's shim (a third of a second a
# call) stays out of the loop.
PY=${PY:-python3}

# jsonq EXPR: the Python expression EXPR over the JSON on stdin, bound to
# j (one document, or JSON lines: then j is the list of their objects,
# but a single line is one document); prints the value, exit 0 when it is
# true, 1 when false, 2 when the input or EXPR is broken.
jsonq() {
	"$PY" -c 'import json, sys
t = sys.stdin.read()
try:
    try:
        j = json.loads(t)
    except ValueError:
        j = [json.loads(l) for l in t.splitlines() if l.strip()]
    v = eval(sys.argv[1])
except Exception as e:
    print("jsonq: %s: %r" % (e, t[:300]), file=sys.stderr)
    sys.exit(2)
print(v if isinstance(v, str) else json.dumps(v))
sys.exit(0 if v else 1)' "$1"
}

# node_join NAME FILE COORDINATOR-ID...: like node, with init --join FILE
# (a roster export) and a --coordinator for each id.
node_join() {
	n=$1 f=$2; shift 2
	p=$(free_port)
	co=""
	for c in "$@"; do co="$co --coordinator $c"; done
	# shellcheck disable=SC2086
	"$SM" init --dir "$T/$n" --name "$n" --listen "tcp://127.0.0.1:$p" --join "$f" $co >/dev/null || return 1
	echo "$p" >"$T/$n.port"
	sed -i 's/^sync_interval = .*/sync_interval = 1s/' "$T/$n/socmesh.conf"
}

# rq NODE EXPR: jsonq EXPR over NODE's `roster show --json`
rq() { "$SM" roster show --json --dir "$T/$1" | jsonq "$2"; }
# epoch_of NODE: the epoch of NODE's roster in force ("?" when unknown)
epoch_of() { e=$(rq "$1" 'j["epoch"]' 2>/dev/null); echo "${e:-?}"; }
# at_epoch N NODE...: every NODE has the roster of epoch N in force (one
# Python for them all: each `roster show --json` is one line)
at_epoch() {
	e=$1; shift
	for n in "$@"; do "$SM" roster show --json --dir "$T/$n" 2>/dev/null || echo '{}'; done |
		jsonq "all(d.get('epoch') == $e for d in (j if isinstance(j, list) else [j]))" >/dev/null
}
# any_up NODE: NODE has at least one connected peer
any_up() { "$SM" peers --dir "$T/$1" --json | grep -q '"connected":true'; }

# wait_secs TIMEOUT_S COMMAND...: as wait_until, but TIMEOUT_S seconds
# (times TIME_SCALE) of wall-clock time, also for a COMMAND that takes a
# good part of a second itself (wait_until counts its polls).
wait_secs() {
	_ws_end=$(($(date +%s) + $1 * TIME_SCALE)); shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s)" -lt "$_ws_end" ] || return 1
		sleep 0.05
	done
}
