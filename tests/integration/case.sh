#!/bin/sh
# A case discussed by three SOCs (issue 11): a comment on an AMBER case
# reaches exactly the case's readers; partial updates; the origin names a
# lead, whose updates count as the case's state while a third SOC's are
# proposals; a retracted update counts for nothing; errors name the field
# and its limit.
set -u
. tests/integration/lib/nodes.sh
PY=$(python3 -c 'import sys; print(sys.executable)')

# A, B and C linked to each other (addressed messages travel only over a
# direct link); D, a member linked to B alone, is no reader of the case.
for n in A B C D; do node $n; done
trust A B member connect; trust A C member connect
trust B A member; trust B C member connect; trust B D member
trust C A member; trust C B member
trust D B member connect
for n in A B C D; do start $n; done
wait_until 5 connected A B || fail "A-B not connected"
wait_until 5 connected A C || fail "A-C not connected"
wait_until 5 connected B C || fail "B-C not connected"
wait_until 5 connected B D || fail "B-D not connected"
idA=$(id_of A) idB=$(id_of B) idC=$(id_of C)

case=$(publish A --tlp amber --to B --to C --title "Intrusion via an exposed VPN appliance" \
	--indicator 192.0.2.45)
wait_until 5 has B "$case" || fail "the case did not reach B"
wait_until 5 has C "$case" || fail "the case did not reach C"

# 1. B's comment (its text from stdin) takes the case's TLP and readers:
# A and C, not D, whatever reconciles.
cm=$(printf 'The same appliance model is exposed here.\nPatched tonight.\n' |
	"$SM" comment "$case" --dir "$T/B" --text - | tail -n 1)
[ ${#cm} -eq 64 ] || fail "comment printed no id: $cm"
wait_until 5 has A "$cm" || fail "the comment did not reach A"
wait_until 5 has C "$cm" || fail "the comment did not reach C"
"$SM" show "$cm" --dir "$T/C" --json | jsonq '(j["kind"] == "comment" and j["tlp"] == "amber"
	and sorted(r["id"] for r in j["recipients"]) == sorted(["'"$idA"'", "'"$idC"'"])
	and j["text"] == "The same appliance model is exposed here.\nPatched tonight.")' \
	>/dev/null || fail "C's copy of the comment: $("$SM" show "$cm" --dir "$T/C" --json)"
nd=$(recons B D)
wait_until 10 recon_after B D $((nd + 1)) || fail "B and D did not reconcile twice"
has D "$cm" && fail "the comment reached D, which is no reader of the case"
"$SM" stats --dir "$T/D" --json | jsonq 'j["by_kind"]["comment"] == 0' >/dev/null ||
	fail "D stores a comment: $("$SM" stats --dir "$T/D" --json)"

# 2. A partial update: a status alone, no title.
u1=$("$SM" publish --dir "$T/A" --kind update --ref "$case" --status contained | tail -n 1)
[ ${#u1} -eq 64 ] || fail "publish --kind update --status alone: $u1"
"$SM" show "$u1" --dir "$T/A" --json | jsonq '("title" not in j and j["status"] == "contained"
	and j["tlp"] == "amber" and "category" not in j)' >/dev/null || fail "the partial update's fields"

# 3. Only the origin names the lead; A names B.
out=$("$SM" assign "$case" --dir "$T/C" --lead C 2>&1) && fail "C assigned A's case: $out"
echo "$out" | grep -q "only the case's origin, A, names its lead" || fail "C's refusal: $out"
out=$("$SM" assign "$case" --dir "$T/A" --lead "$(id_of D)" 2>&1) && fail "A named a lead that cannot read it"
echo "$out" | grep -q "not a recipient of this TLP:amber case" || fail "A's refusal of D: $out"
as=$("$SM" assign "$case" --dir "$T/A" --lead B | tail -n 1)
[ ${#as} -eq 64 ] || fail "assign printed no id: $as"

# 4. The lead's update counts; a third SOC's is a proposal; the origin's
# update that it retracts counts for nothing.
wait_until 5 has B "$as" || fail "the assignment did not reach B"
ub=$("$SM" publish --dir "$T/B" --kind update --ref "$case" --severity critical \
	--indicator vpn-gw.example | tail -n 1)
uc=$("$SM" publish --dir "$T/C" --kind update --ref "$case" --status resolved | tail -n 1)
ux=$("$SM" publish --dir "$T/A" --kind update --ref "$case" --status false-positive | tail -n 1)
rx=$("$SM" retract "$ux" --dir "$T/A" --note "wrong case" | tail -n 1)
for m in "$ub" "$uc" "$ux" "$rx"; do
	wait_until 5 has A "$m" || fail "A lacks $m"
	wait_until 5 has C "$m" || fail "C lacks $m"
done
for n in A C; do
	"$SM" show "$case" --dir "$T/$n" --json >"$T/show.$n" 2>"$T/show.$n.err" ||
		fail "show at $n: $(cat "$T/show.$n.err")"
	jsonq '(j["state"]["status"] == "contained" and j["state"]["severity"] == "critical"
		and j["state"]["title"] == "Intrusion via an exposed VPN appliance"
		and j["state"]["impact"] is None
		and j["state"]["lead"] == {"id": "'"$idB"'", "name": "B"}
		and [i["value"] for i in j["state"]["indicators"]] == ["192.0.2.45", "vpn-gw.example"]
		and len(j["state"]["proposals"]) == 1
		and j["state"]["proposals"][0]["id"] == "'"$uc"'"
		and j["state"]["proposals"][0]["proposed_by"] == {"id": "'"$idC"'", "name": "C"}
		and j["state"]["proposals"][0]["status"] == "resolved")' <"$T/show.$n" >/dev/null ||
		fail "$n's state: $(jsonq 'j["state"]' <"$T/show.$n")"
	# by time: B's comment, A's status, A's assignment, B's, C's, A's
	# retracted update, its retraction
	jsonq '([m["kind"] for m in j["thread"]] == ["comment", "update", "update", "update",
		"update", "update", "retract"] and [m["retracted"] for m in j["thread"]]
		== [False] * 5 + [True, False])' <"$T/show.$n" >/dev/null ||
		fail "$n's thread: $(jsonq '[(m["kind"], m["retracted"]) for m in j["thread"]]' <"$T/show.$n")"
done

# 5. show's text: the state, the lead by name, the conversation in order.
"$SM" show "$case" --dir "$T/C" >"$T/text"
grep -q "^state:      status contained, severity critical" "$T/text" || fail "no state line"
grep -qx "lead:       B" "$T/text" || fail "no lead line: $(grep '^lead' "$T/text")"
grep -q "^proposals:  C .*status resolved" "$T/text" || fail "no proposal line"
sed -n '/^conversation:/,$p' "$T/text" | grep '^  [0-9]' | awk '{print $2}' | tr '\n' ' ' >"$T/kinds"
[ "$(cat "$T/kinds")" = "incident comment update update update update update retract " ] ||
	fail "conversation: $(cat "$T/kinds")"
grep -q "  comment  *B .*The same appliance model is exposed here" "$T/text" ||
	fail "the comment's line: $(grep comment "$T/text")"
grep -q "update  *C .*(proposal) status resolved" "$T/text" || fail "the proposal's line"
grep -q "update  *A .*\[retracted\] status false-positive" "$T/text" || fail "the retracted update"

# 6. Errors name the field and the limit.
long=$("$PY" -c 'print("x" * 300)')
out=$("$SM" publish --dir "$T/A" --tlp green --title "$long" --category test --severity low 2>&1) &&
	fail "a 300-byte title was published"
echo "$out" | grep -q "title is 300 bytes; at most 256" || fail "300-byte title: $out"
out=$("$SM" publish --dir "$T/A" --tlp green --to B --title t --category test --severity low 2>&1) &&
	fail "green with --to was published"
echo "$out" | grep -q "recipients: tlp green names no recipients (only amber, amber+strict and red do)" ||
	fail "green with --to: $out"
out=$("$SM" comment "$case" --dir "$T/B" 2>&1) && fail "a comment without text was published"
echo "$out" | grep -q "text is required for a comment" || fail "comment without text: $out"
out=$("$SM" publish --dir "$T/A" --kind update --ref "$case" 2>&1) && fail "an empty update"
echo "$out" | grep -q "an update carries at least one field that changes" || fail "empty update: $out"

finish
