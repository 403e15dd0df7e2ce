#!/bin/sh
# Issue 8, item 6: acceptance does not depend on arrival order or on who
# relays.  A scripted peer (tests/unit/helper_spy.c) with the key of S, a
# member of A, sends A messages signed by other nodes in an order chosen
# here:
#   - a retraction by a non-origin before its target: never applied, the
#     target stays listed, the retraction is refused (retract-not-origin)
#   - a retraction by the origin before its target: applied once the target
#     has arrived
#   - a message older than A's retention window: refused (expired), never
#     stored; a roster message as old is kept (a node keeps it in force);
#     one dated two hours ahead: refused (time-in-future)
#   - GREEN whose origin is external, relayed by a member: refused
#     (external-origin-clear-only); CLEAR from the same origin is taken
# and S is told of each refusal, with its class.
set -u
. tests/integration/lib/nodes.sh
SPY=${SPY:-$B/tests/helper_spy}

sign() { d=$1 f=$2; shift 2; "$SPY" sign "$T/$d" "$T/$f.msg" "$@"; }
rej() {
	v=$("$SM" peers --dir "$T/$1" --json | grep "\"name\":\"$2\"," | grep -o '"rejected":{[^}]*}' |
		sed -n "s/.*\"$3\":\([0-9]*\).*/\1/p")
	echo "${v:-0}"
}
rej_is() { [ "$(rej "$1" "$2" "$3")" = "$4" ]; }
told() { grep -q "^REFUSE msg $1 $2 $3\$" "$T/s.log"; }
listed() { "$SM" query --dir "$T/A" --indicator "$1" --json | grep -q "\"id\":\"$2\""; }

# A receives; O (a coordinator) and N are members, E an external partner;
# only S's key ever connects.  A keeps messages one day.
for n in A O N E S; do node $n; done
sed -i 's/^retention = .*/retention = 1d/' "$T/A/socmesh.conf"
"$SM" trust add --dir "$T/A" --name O --key "$(id_of O)" --level member --coordinator || exit 1
trust A N member; trust A E external; trust A S member
start A

inc() { echo kind=incident category=test severity=low; }
# shellcheck disable=SC2046
{
x1=$(sign O x1 $(inc) tlp=green seq=1 title="retracted by a non-origin" indicator=203.0.113.11)
bad=$(sign N bad kind=retract tlp=green seq=1 ref="$x1" note="not mine to retract")
x2=$(sign O x2 $(inc) tlp=green seq=2 title="retracted by its origin" indicator=203.0.113.12)
good=$(sign O good kind=retract tlp=green seq=3 ref="$x2" note="false positive")
old=$(sign O old $(inc) tlp=green seq=4 title="two days old" age=172800000)
roster=$(sign O roster kind=roster tlp=green seq=5 peer="$(id_of S)" name=S level=member coordinator=no age=172800000)
ahead=$(sign O ahead $(inc) tlp=green seq=6 title="two hours ahead" ahead=7200000)
ge=$(sign E ge $(inc) tlp=green seq=1 title="green by an external origin")
ce=$(sign E ce $(inc) tlp=clear seq=2 title="clear by an external origin")
last=$(sign O last $(inc) tlp=clear seq=7 title="the last one")
}
[ -n "$x1" ] && [ -n "$bad" ] && [ -n "$roster" ] && [ -n "$last" ] || fail "the helper could not sign"

"$SPY" "$T/S" "tcp://127.0.0.1:$(cat "$T/A.port")" "$(id_of A)" "$T/s.log" \
	msg:"$T/bad.msg" msg:"$T/x1.msg" msg:"$T/good.msg" msg:"$T/x2.msg" msg:"$T/old.msg" \
	msg:"$T/roster.msg" msg:"$T/ahead.msg" msg:"$T/ge.msg" msg:"$T/ce.msg" msg:"$T/last.msg" \
	wait:"$T/stop" 2>>"$T/s.err" &
echo $! >"$T/spy.pid"
wait_until 10 has A "$last" || { fail "A did not take the scripted peer's last message"; finish; exit 1; }

# Retractions that came before their targets
wait_until 5 has A "$x1" || fail "the target of the bad retraction was not stored"
wait_until 5 rej_is A S retract-not-origin 1 || fail "the early retraction by a non-origin was not refused: $(rej A S retract-not-origin)"
has A "$bad" && fail "A stored a retraction by a non-origin that came before its target"
listed 203.0.113.11 "$x1" || fail "the early retraction by a non-origin hid its target"
told "$bad" permanent retract-not-origin || fail "S was not told of the retract-not-origin refusal"
wait_until 5 has A "$x2" || fail "the target of the origin's retraction was not stored"
wait_until 5 has A "$good" || fail "the origin's retraction that came before its target was not applied"
wait_until 5 sh -c "! $SM query --dir $T/A --indicator 203.0.113.12 --json | grep -q $x2" ||
	fail "the message retracted by its origin (retraction first) is still listed"

# Time
has A "$old" && fail "A stored a message older than its retention window"
[ "$(rej A S expired)" = 1 ] || fail "the expired message was not counted: $(rej A S expired)"
told "$old" permanent expired || fail "S was not told of the expired refusal"
wait_until 5 has A "$roster" || fail "A refused a roster message older than its retention window"
has A "$ahead" && fail "A stored a message dated two hours ahead"
[ "$(rej A S time-in-future)" = 1 ] || fail "the message from the future was not counted"
told "$ahead" provisional time-in-future || fail "S was not told of the time-in-future refusal"

# An external origin, relayed by a member
has A "$ce" || fail "A refused CLEAR by an external origin relayed by a member"
has A "$ge" && fail "A stored GREEN by an external origin relayed by a member"
[ "$(rej A S external-origin-clear-only)" = 1 ] || fail "external-origin-clear-only not counted"
told "$ge" provisional external-origin-clear-only || fail "S was not told of the external-origin-clear-only refusal"

touch "$T/stop"
finish
