#!/bin/sh
# Issue 3, scenario 7: a trusted peer sends a tampered message (TLP, then a
# body byte), an oversized one and garbage frames: each is rejected and
# counted under its reason, and the node carries on.
set -u
. tests/integration/lib/nodes.sh

node A; node H
trust A H member; trust H A member
start A; start H
HELPER="$B/tests/helper_peer"
EP="tcp://127.0.0.1:$(cat "$T/A.port")"
m=$(publish H --tlp green --title "genuine from H" --indicator 192.0.2.200)
"$SM" export "$m" --dir "$T/H" >"$T/m.msg"
perl -0777 -pe 's/green/clear/' <"$T/m.msg" >"$T/tlp.msg"
perl -0777 -pe 's/genuine/Genuine/' <"$T/m.msg" >"$T/body.msg"
"$HELPER" "$T/H" "$EP" "$(id_of A)" msg:"$T/tlp.msg" msg:"$T/body.msg" big:300000 junk three one cmd ||
	fail "the trusted helper could not talk to A"
wait_until 5 sh -c "$SM peers --dir $T/A --json | grep -q '\"bad-signature\":2'" ||
	fail "tampered messages not counted as bad-signature: $("$SM" peers --dir "$T/A" --json)"
# The other frames are judged as they are read, apart from the verifier's
# verdicts: wait for the last of them too.
wait_until 5 sh -c "$SM peers --dir $T/A --json | grep '\"too-big\":1' | grep -q '\"bad-frame\":3'"
p=$("$SM" peers --dir "$T/A" --json)
echo "$p" | grep -q '"too-big":1' || fail "oversized message not counted: $p"
echo "$p" | grep -q '"bad-frame":3' || fail "malformed frames not counted: $p"
echo "$p" | grep -Eq '"(truncated|bad-type|bad-field|non-canonical)":1' || fail "garbage not counted: $p"
has A "$m" && fail "A stored something from the tampered copies"
"$SM" stats --prometheus --dir "$T/A" | grep -qx 'socmesh_rejections_total{peer="H",reason="bad-signature"} 2' ||
	fail "stats --prometheus does not count the rejections by reason"
# The node is unaffected: the genuine message still goes through.
"$HELPER" "$T/H" "$EP" "$(id_of A)" msg:"$T/m.msg" || fail "helper, second round"
wait_until 5 has A "$m" || fail "the genuine message was not accepted after the garbage"
# A flooding peer is throttled (counted) while the control socket answers.
"$HELPER" "$T/H" "$EP" "$(id_of A)" flood:30000 &
flood=$!
sleep 0.3
"$SM" stats --dir "$T/A" >/dev/null || fail "the control socket did not answer during a flood"
wait $flood || fail "helper, flood"
wait_until 5 sh -c "$SM peers --dir $T/A --json | grep -q '\"rate-limited\":[1-9]'" ||
	fail "the flood was not throttled: $("$SM" peers --dir "$T/A" --json)"
# A key outside the trust list gets no answer at all.
node X
"$HELPER" "$T/X" "$EP" "$(id_of A)" junk && fail "an untrusted key was answered"
finish
