#!/bin/sh
# Issue 10, stage 1: coordinator-signed rosters (the contract is the CLI and
# the rules of docs/COORDINATOR.md and docs/PROTOCOL.md).  A coordinator C
# and six members that know nobody but C: one roster brings up the mesh;
# one command admits an eighth SOC (init --join); a demotion to external,
# a revocation, a replayed older roster, a roster from a non-coordinator,
# threshold 2 with one signature and then two, two rosters of one epoch,
# and a local block that survives a roster listing the peer as a member.
set -u
. tests/integration/lib/nodes.sh
PY=$(python3 -c 'import sys; print(sys.executable)')

hex64() { echo "$1" | grep -qx '[0-9a-f]\{64\}'; }

# netfile FILE SPEC...: a network file for roster propose, one line per
# SPEC NAME:LEVEL or NAME:LEVEL:coordinator, with the node's id and endpoint
netfile() {
	f=$1; shift
	echo "# the network, as the coordinator sees it" >"$f"
	for s in "$@"; do
		nm=${s%%:*} rest=${s#*:}
		lv=${rest%%:*} co=""
		[ "$rest" = "$lv" ] || co=coordinator
		echo "$nm $(id_of "$nm") $lv $co tcp://127.0.0.1:$(cat "$T/$nm.port")" >>"$f"
	done
	echo "" >>"$f"
}

# propose NODE FILE [OPTION...]: roster propose at NODE; the id it printed
# in $rid ("" after a failure, which is recorded).  Not in a $(...): fail
# must count in this shell.
propose() {
	pn=$1 pf=$2; shift 2
	rid=""
	if ! "$SM" roster propose --file "$pf" --dir "$T/$pn" "$@" >"$T/out" 2>"$T/err"; then
		fail "roster propose at $pn ($pf $*) failed: $(cat "$T/err")"
	elif ! hex64 "$(cat "$T/out")"; then
		fail "roster propose at $pn did not print a message id: $(cat "$T/out")"
	else
		rid=$(cat "$T/out")
	fi
}

# approve NODE ID: roster approve at NODE; the approval's id in $rid
approve() {
	rid=""
	if ! "$SM" roster approve "$2" --dir "$T/$1" >"$T/out" 2>"$T/err"; then
		fail "roster approve $2 at $1 failed: $(cat "$T/err")"
	elif ! hex64 "$(cat "$T/out")"; then
		fail "roster approve at $1 did not print a message id: $(cat "$T/out")"
	else
		rid=$(cat "$T/out")
	fi
}

# all_have MSG NODE...: every NODE stores MSG
all_have() {
	m=$1; shift
	for x in "$@"; do has "$x" "$m" || return 1; done
}
# level_at NODE NAME: NAME's level in NODE's roster in force
level_at() { rq "$1" "[m['level'] for m in j['members'] if m['name'] == '$2'][0]" 2>/dev/null; }
# members_at NODE N: NODE's roster in force has N members
members_at() { rq "$1" "len(j['members']) == $2"; }
# pending_at NODE EPOCH ID...: NODE lists every ID as pending with EPOCH
pending_at() {
	pn=$1 pe=$2; shift 2
	rq "$pn" "all(any(p['id'] == i and p['epoch'] == $pe for p in j['pending']) for i in '$*'.split())"
}
# nobody_connected_to NAME NODE...: no NODE shows NAME connected
nobody_connected_to() {
	c=$1; shift
	for x in "$@"; do ! connected "$x" "$c" || return 1; done
}
# tl NODE NAME EXPR: EXPR over NAME's entry (j) in NODE's trust list --json
tl() {
	"$SM" trust list --json --dir "$T/$1" |
		jsonq "[p for p in (j if isinstance(j, list) else [j]) if p['name'] == '$2'][0]" |
		jsonq "$3"
}
rshow() { "$SM" roster show --json --dir "$T/$1" 2>&1; }

# ---- 1. bootstrap: one roster brings up a mesh of seven ---------------
node C
for i in 1 2 3 4 5 6; do
	node M$i
	"$SM" trust add --dir "$T/M$i" --name C --key "$(id_of C)" --coordinator \
		--endpoint "tcp://127.0.0.1:$(cat "$T/C.port")" || exit 1
done
for x in C M1 M2 M3 M4 M5 M6; do start $x; done
[ "$("$SM" trust list --json --dir "$T/C" | wc -l)" = 0 ] || fail "C's trust list is not empty before the roster"
at_epoch 0 M1 C || fail "a roster is in force before any: M1 $(rshow M1), C $(rshow C)"
[ $fails -eq 0 ] || { finish; exit 1; } # nothing below can pass

# ALL: the nodes a new roster must reach within 10 s
ALL="C M1 M2 M3 M4 M5 M6"
netfile "$T/e1" C:member:coordinator M1:member M2:member M3:member M4:member M5:member M6:member
propose C "$T/e1" --network testnet --threshold 1; r1=$rid
[ -n "$r1" ] || { finish; exit 1; }
# shellcheck disable=SC2086
wait_secs 10 at_epoch 1 $ALL || for x in $ALL; do at_epoch 1 $x || fail "$x is not at epoch 1: $(rshow $x)"; done
for x in $ALL; do members_at $x 7 >/dev/null || fail "$x's roster does not have 7 members: $(rshow $x)"; done
rq M3 "j['network'] == 'testnet' and j['threshold'] == 1" >/dev/null || fail "M3: network or threshold wrong: $(rshow M3)"
rq M3 "'C' in j['signers']" >/dev/null || fail "M3 does not name C as the signer: $(rshow M3)"
[ "$(level_at M4 C)" = member ] || fail "M4 does not list C as a member"
rq M4 "[m['coordinator'] for m in j['members'] if m['name'] == 'C'] == [True]" >/dev/null ||
	fail "M4 does not list C as a coordinator: $(rshow M4)"
rq C "[m['source'] for m in j['members'] if m['name'] == 'M2'] == ['roster 1']" >/dev/null ||
	fail "C does not give M2's source as roster 1: $(rshow C)"
# every member came with its endpoint (from the endpoints message)
rq M5 "[m['endpoint'] for m in j['members'] if m['name'] == 'M1'] == ['tcp://127.0.0.1:$(cat "$T/M1.port")']" \
	>/dev/null || fail "M5 does not have M1's endpoint: $(rshow M5)"
tl C M1 "j['source'] == 'roster 1' and j['level'] == 'member'" >/dev/null ||
	fail "C's trust list does not show M1 from roster 1: $("$SM" trust list --json --dir "$T/C")"
mesh() { for x in $ALL; do any_up $x || return 1; done; }
wait_secs 10 mesh || for x in $ALL; do any_up $x || fail "$x has no connected peer after roster 1"; done
# M2 and M5 knew only C: they link through the roster's endpoints
wait_secs 10 connected M2 M5 || fail "M2 and M5 did not link through the roster"
"$SM" export "$r1" --dir "$T/C" >"$T/r1.msg" || fail "cannot export roster 1"

# ---- 2. admission: init --join, one propose at C ------------------------
"$SM" roster export --dir "$T/C" >"$T/net1.roster" || fail "roster export at C"
[ -s "$T/net1.roster" ] || fail "roster export at C wrote nothing"
# the file is verified against the coordinator ids given out of band
"$SM" init --dir "$T/bad" --name bad --listen "tcp://127.0.0.1:$(free_port)" \
	--join "$T/net1.roster" --coordinator "$(id_of M1)" >"$T/out" 2>&1 &&
	fail "init --join accepted a roster not signed by the --coordinator given: $(cat "$T/out")"
node_join N8 "$T/net1.roster" "$(id_of C)" || fail "init --join N8"
[ -d "$T/N8" ] || { finish; exit 1; }
start N8
at_epoch 1 N8 || fail "N8 did not start with roster 1 in force: $(rshow N8)"
# init --join trusts the roster's coordinators through the roster: an id
# given with --coordinator that the roster lists gets no local entry, which
# would override every later roster (a coordinator revoked by one would stay
# trusted where it anchored a join) -- PROTOCOL.md section 14.9
tl N8 C "j['coordinator'] == True and j['source'] == 'roster 1'" >/dev/null ||
	fail "at N8, C is not the roster's coordinator: $("$SM" trust list --json --dir "$T/N8")"
ALL="$ALL N8"
netfile "$T/e2" C:member:coordinator M1:member M2:member M3:member M4:member M5:member M6:member N8:member
"$SM" roster diff "$T/e2" --dir "$T/C" >"$T/out" 2>&1 || fail "roster diff at C: $(cat "$T/out")"
grep -q "^+ N8 member" "$T/out" || fail "roster diff does not show N8 added: $(cat "$T/out")"
grep -q " M1 " "$T/out" && fail "roster diff shows an unchanged M1: $(cat "$T/out")"
propose C "$T/e2"; r2=$rid
g8=$(publish N8 --tlp green --title "green from the new SOC" --indicator 198.51.100.81)
g1=$(publish M1 --tlp green --title "green for the new SOC" --indicator 198.51.100.82)
# shellcheck disable=SC2086
wait_secs 10 all_have "$g8" $ALL ||
	for x in $ALL; do has $x "$g8" || fail "$x did not accept N8's green message within 10 s"; done
wait_secs 10 has N8 "$g1" || fail "N8 did not receive M1's green message"
# shellcheck disable=SC2086
wait_secs 5 at_epoch 2 $ALL || for x in $ALL; do at_epoch 2 $x || fail "$x is not at epoch 2: $(rshow $x)"; done

# ---- 3. demotion: M6 becomes external ----------------------------------
netfile "$T/e3" C:member:coordinator M1:member M2:member M3:member M4:member M5:member M6:external N8:member
"$SM" roster diff "$T/e3" --dir "$T/C" >"$T/out" 2>&1 || fail "roster diff at C: $(cat "$T/out")"
grep -qx "~ M6 member -> external" "$T/out" || fail "roster diff does not show M6's demotion: $(cat "$T/out")"
propose C "$T/e3"; r3=$rid
# shellcheck disable=SC2086
wait_secs 10 at_epoch 3 $ALL || for x in $ALL; do at_epoch 3 $x || fail "$x is not at epoch 3: $(rshow $x)"; done
g=$(publish M1 --tlp green --title "green after M6's demotion" --indicator 198.51.100.83)
wait_secs 10 all_have "$g" C M2 M3 M4 M5 N8 || fail "M1's green message did not reach the members"
c=$(publish M1 --tlp clear --title "clear after M6's demotion" --indicator 198.51.100.84)
wait_secs 10 has M6 "$c" || fail "external M6 does not receive CLEAR"
has M6 "$g" && fail "external M6 received a GREEN message after its demotion"
# M6 learns why: explain of the GREEN message it lacks says what M6 is in
# the roster, and its roster says external; the sender's explain names the
# withholding.
"$SM" explain "$g" --dir "$T/M6" >"$T/out" 2>&1
grep -q "external" "$T/out" && grep -q "roster" "$T/out" ||
	fail "explain at M6 does not say that M6 is external in the roster: $(cat "$T/out")"
[ "$(level_at M6 M6)" = external ] || fail "M6's roster does not show M6 external: $(rshow M6)"
"$SM" explain "$g" --dir "$T/M1" --json | grep -q '"peer":"M6","decision":"withheld"' ||
	fail "explain at M1 does not say the GREEN was withheld from M6: $("$SM" explain "$g" --dir "$T/M1" --json)"

# ---- 4. revocation: M5 blocked -----------------------------------------
p5=$(publish M5 --tlp green --title "M5 before its revocation" --indicator 198.51.100.85)
wait_secs 10 has M1 "$p5" || fail "M5's message did not reach M1"
netfile "$T/e4" C:member:coordinator M1:member M2:member M3:member M4:member M5:blocked M6:external N8:member
propose C "$T/e4"; r4=$rid
ALL="C M1 M2 M3 M4 M6 N8"
# shellcheck disable=SC2086
wait_secs 10 nobody_connected_to M5 $ALL ||
	for x in $ALL; do connected $x M5 && fail "$x still shows M5 connected after roster 4"; done
wait_secs 10 sh -c "! $SM peers --dir $T/M5 --json | grep -q '\"connected\":true'" ||
	fail "M5 still has a connected peer after its revocation"
# shellcheck disable=SC2086
at_epoch 4 $ALL || for x in $ALL; do at_epoch 4 $x || fail "$x is not at epoch 4: $(rshow $x)"; done
has M1 "$p5" || fail "M5's earlier message is gone from M1"
# (marking it as from a revoked origin is not in the contract of stage 1:
# checked only where query --json has the key)
"$SM" query --dir "$T/M1" --indicator 198.51.100.85 --json |
	jsonq "[m.get('revoked', True) for m in (j if isinstance(j, list) else [j])] == [True]" >/dev/null ||
	fail "query at M1 does not mark M5's message as from a revoked origin: $("$SM" query --dir "$T/M1" --indicator 198.51.100.85 --json)"
[ "$(level_at M2 M5)" = blocked ] || fail "M2's roster does not show M5 blocked"

# ---- 5. replay of an older roster ---------------------------------------
# M1 holds roster 1 already: the import is a duplicate or refused, never
# stored again nor applied.
out=$("$SM" import --dir "$T/M1" "$T/r1.msg" 2>&1)
case "$out" in
stored*) fail "M1 stored a replayed roster 1: $out" ;;
duplicate*) ;;
*roster-old*) ;;
*) fail "M1's import of roster 1 says neither duplicate nor roster-old: $out" ;;
esac
at_epoch 4 M1 || fail "M1 left epoch 4 after the replay: $(rshow M1)"
# A node that never saw roster 1 (joined at epoch 4) refuses it: roster-old.
"$SM" roster export --dir "$T/C" >"$T/net4.roster" || fail "roster export at C (epoch 4)"
node_join Z "$T/net4.roster" "$(id_of C)" || fail "init --join Z"
start Z
at_epoch 4 Z || fail "Z did not start with roster 4: $(rshow Z)"
out=$("$SM" import --dir "$T/Z" "$T/r1.msg" 2>&1) && fail "Z accepted the replayed roster 1: $out"
# import words a refusal with the reason's description (as for any reason)
echo "$out" | grep -qi -e "roster-old" -e "epoch below" || fail "Z's refusal of roster 1 does not say roster-old: $out"
rq Z "j.get('refused_old', 1) >= 1" >/dev/null || fail "Z did not count the old roster it refused: $(rshow Z)"
at_epoch 4 Z || fail "Z left epoch 4 after the replay: $(rshow Z)"
has Z "$r1" && fail "Z stored the replayed roster 1"
stop Z

# ---- 6. a roster from a non-coordinator --------------------------------
netfile "$T/e6x" C:member M1:member M2:member:coordinator M3:member M4:member M5:blocked M6:external N8:member
"$SM" roster propose --file "$T/e6x" --dir "$T/M2" >"$T/out" 2>"$T/err" &&
	fail "M2, not a coordinator, proposed a roster: $(cat "$T/out")"
grep -qi coordinator "$T/err" || fail "M2's refusal does not say why (coordinator): $(cat "$T/err")"
grep -q '[0-9a-f]\{64\}' "$T/out" && fail "M2's refused propose printed an id: $(cat "$T/out")"
at_epoch 4 M1 M2 C || fail "a refused propose changed the epoch: M2 $(epoch_of M2), M1 $(epoch_of M1)"

# ---- 7. threshold 2 ------------------------------------------------------
netfile "$T/e5" C:member:coordinator M1:member M2:member:coordinator M3:member M4:member M5:blocked \
	M6:external N8:member
propose C "$T/e5" --threshold 2; r5=$rid
# shellcheck disable=SC2086
wait_secs 10 at_epoch 5 $ALL || for x in $ALL; do at_epoch 5 $x || fail "$x is not at epoch 5: $(rshow $x)"; done
rq M1 "j['threshold'] == 2" >/dev/null || fail "M1's roster 5 does not have threshold 2: $(rshow M1)"
propose C "$T/e5"; r6=$rid
wait_secs 10 pending_at M1 6 "$r6" || fail "M1 does not list roster 6 as pending: $(rshow M1)"
wait_secs 10 pending_at M2 6 "$r6" || fail "M2 does not list roster 6 as pending: $(rshow M2)"
at_epoch 5 M1 M2 C || fail "one signature of two changed the epoch: C $(epoch_of C), M1 $(epoch_of M1)"
approve M2 "$r6"; a6=$rid
# shellcheck disable=SC2086
wait_secs 10 at_epoch 6 $ALL || for x in $ALL; do at_epoch 6 $x || fail "$x is not at epoch 6 with two signatures: $(rshow $x)"; done
rq M3 "sorted(j['signers']) == ['C', 'M2']" >/dev/null || fail "M3 does not name C and M2 as signers: $(rshow M3)"
rq M3 "j['pending'] == []" >/dev/null || fail "M3 still lists a pending roster: $(rshow M3)"

# ---- 8. two rosters of one epoch -----------------------------------------
# C proposes epoch 7 with M4 external, M2 epoch 7 with M4 member.  Both
# pending everywhere; the lower id is approved first and takes effect
# everywhere; the other's approval then changes nothing (the one in force
# stays).  M1 is stopped during the approvals and catches up when it comes
# back: it too ends with the lower id.  (Two rosters that qualify at one
# node at the same time cannot be arranged from outside: an approval takes
# effect at once where it is made.)
netfile "$T/e7a" C:member:coordinator M1:member M2:member:coordinator M3:member M4:external \
	M5:blocked M6:external N8:member
netfile "$T/e7b" C:member:coordinator M1:member M2:member:coordinator M3:member M4:member \
	M5:blocked M6:external N8:member
propose C "$T/e7a"; ra=$rid
propose M2 "$T/e7b"; rb=$rid
[ -n "$ra" ] && [ -n "$rb" ] || { finish; exit 1; }
both_pending() { for x in $ALL; do pending_at $x 7 "$ra" "$rb" || return 1; done; }
wait_secs 10 both_pending ||
	for x in $ALL; do pending_at $x 7 "$ra" "$rb" >/dev/null || fail "$x does not list both rosters of epoch 7 as pending: $(rshow $x)"; done
rq M1 "'$ra' in j['conflicts'] and '$rb' in j['conflicts']" >/dev/null ||
	fail "M1 does not list the two pending rosters of epoch 7 as conflicts: $(rshow M1)"
at_epoch 6 $ALL || fail "two single-signed rosters changed the epoch"
if [ "$ra" \< "$rb" ]; then low=$ra high=$rb m4=external lowby=M2 highby=C
else low=$rb high=$ra m4=member lowby=C highby=M2; fi
REST="C M2 M3 M4 M6 N8"
stop M1
approve $lowby "$low"; al=$rid
lowin() { for x in "$@"; do at_epoch 7 $x && [ "$(level_at $x M4)" = $m4 ] || return 1; done; }
# shellcheck disable=SC2086
wait_secs 10 lowin $REST ||
	for x in $REST; do lowin $x || fail "$x does not have the lower roster of epoch 7 in force: $(rshow $x)"; done
# The other one, now in conflict with the roster in force: its approver
# may refuse to approve it (it no longer waits for approval) or approve it
# to no effect.
if "$SM" roster approve "$high" --dir "$T/$highby" >"$T/out" 2>"$T/err"; then
	ah=$(cat "$T/out")
	# shellcheck disable=SC2086
	wait_secs 10 all_have "$ah" $REST || fail "the approval of the higher roster did not reach every node"
fi
# shellcheck disable=SC2086
lowin $REST || for x in $REST; do lowin $x || fail "$x: the approval of a conflicting roster replaced the one in force: $(rshow $x)"; done
rq C "'$high' in j['conflicts']" >/dev/null || fail "C does not list the losing roster as a conflict: $(rshow C)"
for x in $REST; do rq $x "j.get('id', '$low') == '$low'" >/dev/null || fail "$x shows another id in force than $low: $(rshow $x)"; done
start M1
wait_secs 10 all_have "$al" M1 || fail "M1 did not catch up with the approval"
wait_secs 10 lowin M1 || fail "M1 did not end with the lower roster of epoch 7 in force: $(rshow M1)"
rq M1 "j.get('id', '$low') == '$low'" >/dev/null || fail "M1 shows another id in force than $low: $(rshow M1)"

# ---- 9. local sovereignty: M1's block of M3 survives roster 8 ------------
wait_secs 10 connected M1 M3 || fail "M1 and M3 are not connected before the block"
"$SM" trust set M3 --level blocked --dir "$T/M1" || fail "trust set M3 --level blocked at M1"
tl M1 M3 "j['level'] == 'blocked' and j['source'] == 'local'" >/dev/null ||
	fail "M1's block of M3 is not a local entry: $("$SM" trust list --json --dir "$T/M1")"
wait_secs 10 sh -c "! $SM peers --dir $T/M1 --json | grep -q '\"name\":\"M3\".*\"connected\":true'" ||
	fail "M1 still connected to M3 after blocking it"
wait_secs 10 sh -c "! $SM peers --dir $T/M3 --json | grep -q '\"name\":\"M1\".*\"connected\":true'" ||
	fail "M3 still shows M1 connected after M1 blocked it"
# roster entries are not removed nor re-keyed locally
"$SM" trust remove M4 --dir "$T/M1" >"$T/out" 2>&1 && fail "trust remove of a roster entry at M1 succeeded"
"$SM" trust set M4 --key "$(id_of M6)" --dir "$T/M1" >"$T/out" 2>&1 && fail "trust set --key succeeded at M1"
tl M1 M4 "j['source'] == 'roster 7' and j['id'] == '$(id_of M4)'" >/dev/null ||
	fail "M4's entry at M1 changed: $("$SM" trust list --json --dir "$T/M1")"
[ $m4 = external ] && e8=$T/e7a || e8=$T/e7b
propose C "$e8"; r8=$rid
approve M2 "$r8"; a8=$rid
# shellcheck disable=SC2086
wait_secs 10 at_epoch 8 $ALL || for x in $ALL; do at_epoch 8 $x || fail "$x is not at epoch 8: $(rshow $x)"; done
tl M1 M3 "j['level'] == 'blocked' and j['source'] == 'local'" >/dev/null ||
	fail "roster 8 undid M1's local block of M3: $("$SM" trust list --json --dir "$T/M1")"
rq M1 "[m['source'] for m in j['members'] if m['name'] == 'M3'] == ['local']" >/dev/null ||
	fail "M1's roster show does not mark M3 as a local override: $(rshow M1)"
[ "$(level_at M2 M3)" = member ] || fail "roster 8 does not list M3 as a member at M2"
# a message of M3's reaches M2, and M1 exchanges twice with M2 after that:
# still no link to M3 and nothing of M3's at M1
x3=$(publish M3 --tlp green --title "M3 after M1's block" --indicator 198.51.100.93)
wait_secs 10 has M2 "$x3" || fail "M3's message did not reach M2"
n2=$(recons M1 M2)
wait_secs 10 recon_after M1 M2 $((n2 + 1)) || fail "M1 and M2 did not reconcile twice"
has M1 "$x3" && fail "M1 accepted a message of M3, which it blocked"
connected M1 M3 && fail "M1 connected to M3, which it blocked, after roster 8"
connected M3 M1 && fail "M3 shows M1 connected after roster 8"
: "$r2" "$r3" "$r4" "$r5" "$a6" "$a8"
finish
