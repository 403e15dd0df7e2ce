#!/bin/sh
# Issue 9: publish, import and peer ingest reach the same verdicts on the
# same inputs -- one table, every entry point (daemon/accept.c is the one
# decision behind all of them).
#
# R is the receiving node, in three copies of one directory (same identity,
# trust list and socmesh.conf), each its own daemon on its own port; they
# never talk to each other.  Each case's signed bytes go to:
#   RP  peer ingest: a scripted peer (tests/unit/helper_spy.c) with the key
#       of VIA sends them in a MSG frame, then a fresh marker (CLEAR by M).
#       Refusals and duplicates are decided before the next frame is read,
#       so once the marker is stored they are counted; a message taken may
#       be committed a moment after the marker.  Verdict: the reason whose
#       rejected{} counter of VIA went up in peers --json (VIA must also
#       have been told it in a REFUSE frame), "duplicate" when VIA's
#       duplicates counter did, "stored" when show finds it, else "held" (a
#       retraction whose target is not here waits for it).  One spy, one
#       connection, per VIA for the whole run: a node answers at most 4
#       connections of one peer that still hold unproven bytes, so a new
#       connection per case would soon go unanswered.
#   RI  socmesh import --from VIA FILE, against the running daemon.
#   RU  socmesh import FILE (no --from: judged as if the origin had brought
#       it; this node's own messages need only their signature), then
#       socmesh publish of what R can author itself.
# Import verdicts come from its output: "stored   ID" (and show finds it),
# "duplicate ID", or "socmesh: FILE: rejected: TEXT" with a non-zero exit,
# TEXT mapped back to its token by the table `texts` below.
#
# row NAME EXPECTED SIGNER VIA FIELD=VALUE...
#   signs the fields (helper_spy sign) with SIGNER's key -- or, when SIGNER
#   is @NAME, reuses case NAME's bytes -- and feeds the bytes to RP as VIA,
#   to RI with --from VIA and to RU.  EXPECTED is stored, duplicate, held
#   or a reason token (docs/PROTOCOL.md section 10), for every entry point;
#   EXPECTED/PLAIN where import without --from differs by design (it judges
#   the message as if its origin had brought it).  In FIELDS, @NAME is the
#   id of case NAME or of node NAME, and roster=yes turns the signed bytes
#   from an incident into a roster message (the encoder will not sign one
#   with an addressed TLP).
# pub NAME FLAG...
#   socmesh publish FLAG... on RU: must give what import on RU gave the
#   own-origin bytes of case NAME, and what the table expects of them.
#   --ref @X: the id published for X, else the id of case X.
set -u
. tests/integration/lib/nodes.sh
SPY=${SPY:-$B/tests/helper_spy}

# R receives.  M, O (a coordinator) and N are members, E is external, X
# blocked; U is in nobody's trust list.  R keeps messages one day.  Only R
# runs: the others are keys.
node R
for n in M O N E X U; do
	"$SM" init --dir "$T/$n" --name $n --listen tcp://127.0.0.1:1 >/dev/null || exit 1
done
sed -i 's/^retention = .*/retention = 1d/' "$T/R/socmesh.conf"
"$SM" trust add --dir "$T/R" --name O --key "$(id_of O)" --level member --coordinator || exit 1
trust R M member; trust R N member; trust R E external; trust R X blocked
for c in RI RU; do
	cp -a "$T/R" "$T/$c"
	p=$(free_port)
	echo "$p" >"$T/$c.port"
	sed -i "s|^listen = .*|listen = tcp://127.0.0.1:$p|" "$T/$c/socmesh.conf"
done
mv "$T/R" "$T/RP"; mv "$T/R.port" "$T/RP.port"
for n in M O N E X U; do id_of $n >"$T/$n.nid"; done
id_of RP >"$T/R.nid"
for c in RP RI RU; do start $c; done
[ $fails -eq 0 ] || { finish; exit 1; } # nothing below can pass

# The human text of each token, as import and publish print it.
texts='bad-tlp|unknown TLP, or a TLP not allowed for this kind
bad-signature|signature does not verify
peer-blocked|the peer is blocked
peer-unknown|the sender is not in the trust list
external-clear-only|the peer is external: it exchanges TLP:CLEAR only
no-relay|addressed messages travel only between their origin and each recipient, never relayed
origin-unknown|the origin is not in the trust list
origin-blocked|the origin is blocked
not-for-us|the message is addressed and this node is neither its origin nor a recipient
roster-not-coordinator|rosters, approvals and endpoints are accepted only from coordinators; the origin is not one
retract-not-origin|only the origin of a message may retract it
roster-addressed|roster messages must be TLP:CLEAR or TLP:GREEN
external-origin-clear-only|the origin is external: its messages are TLP:CLEAR only, whoever relays them
time-in-future|dated more than an hour in the future
expired|older than the retention window (it would be removed at once)'
token_of() {
	case "$1" in
	"the retracted message is not here; import it first"*) echo held; return ;;
	esac
	tok=$(printf '%s\n' "$texts" | awk -F'|' -v t="$1" '$2 == t { print $1 }')
	echo "${tok:-?$1}"
}

# What the peer ingest copy counts for peer $1: "duplicate N" and "TOKEN N"
# per rejection reason.
pstate() {
	"$SM" peers --dir "$T/RP" --json | awk -v n="\"name\":\"$1\"," 'index($0, n) {
		if (match($0, /"duplicates":[0-9]+/))
			print "duplicate", substr($0, RSTART + 13, RLENGTH - 13)
		if (match($0, /"rejected":\{[^}]*\}/)) {
			k = split(substr($0, RSTART + 12, RLENGTH - 13), a, ",")
			for (j = 1; j <= k; j++) {
				split(a[j], kv, ":")
				gsub(/"/, "", kv[1])
				print kv[1], kv[2]
			}
		}
		found = 1
	}
	END { exit !found }'
}
# settled VIA ID HAD: the verdict of RP on ID into $T/pv, once there is one
settled() {
	pstate "$1" >"$T/after" || return 1
	ch=$(awk 'NR == FNR { b[$1] = $2; next } $2 > b[$1] + 0 { print $1 }' "$T/before" "$T/after" |
		tr '\n' ' ' | sed 's/ $//; s/ /+/g')
	[ -n "$ch" ] && { echo "$ch" >"$T/pv"; return 0; }
	[ "$3" = 0 ] && has RP "$2" && { echo stored >"$T/pv"; return 0; }
	return 1
}
# feed VIA FILE MARKER: the spy with VIA's key sends FILE then MARKER; the
# first time, the spy is started with STEPS such steps, each waiting for
# its go file.
STEPS=40
feed() {
	if [ ! -f "$T/spy-$1.pid" ]; then
		k=1 specs=""
		while [ $k -le $STEPS ]; do
			specs="$specs wait:$T/$1.go.$k msg:$T/$1.$k.msg msg:$T/$1.$k.mk"
			k=$((k + 1))
		done
		# shellcheck disable=SC2086
		"$SPY" "$T/$1" "tcp://127.0.0.1:$(cat "$T/RP.port")" "$(cat "$T/R.nid")" "$T/spy-$1.log" $specs \
			2>>"$T/spy.err" &
		echo $! >"$T/spy-$1.pid"
		echo 0 >"$T/spy-$1.step"
	fi
	k=$(($(cat "$T/spy-$1.step") + 1))
	[ $k -le $STEPS ] || { fail "more than $STEPS cases relayed by $1: raise STEPS"; return 1; }
	echo $k >"$T/spy-$1.step"
	cp "$2" "$T/$1.$k.msg"; cp "$3" "$T/$1.$k.mk"
	touch "$T/$1.go.$k"
}
told() { grep -q "^REFUSE msg $2 [a-z]* $3\$" "$T/spy-$1.log"; }

# import DIR FILE [VIA]: the verdict of `socmesh import`
import() {
	if [ -n "${3:-}" ]; then out=$("$SM" import --dir "$T/$1" --from "$3" "$2" 2>&1)
	else out=$("$SM" import --dir "$T/$1" "$2" 2>&1); fi
	rc=$?
	case "$out" in
	"stored    "*) v=stored; [ $rc = 0 ] && has "$1" "${out#stored    }" || v="stored?rc=$rc" ;;
	"duplicate "*) v=duplicate; [ $rc = 0 ] || v="duplicate?rc=$rc" ;;
	"socmesh import: $2: rejected: "*) v=$(token_of "${out#"socmesh import: $2: rejected: "}"); [ $rc != 0 ] || v="$v?rc=0" ;;
	*) v="?$out" ;;
	esac
	echo "$v"
}

subst() { # @NAME -> the id of case NAME or of node NAME
	case "$1" in
	*=@*) k=${1%%=@*} n=${1#*=@}
		if [ -f "$T/$n.id" ]; then echo "$k=$(cat "$T/$n.id")"
		else echo "$k=$(cat "$T/$n.nid")"; fi ;;
	*) echo "$1" ;;
	esac
}

nc=0
printf '%-22s %-40s %-28s %-28s %s\n' CASE EXPECTED "PEER INGEST" "IMPORT --from" IMPORT >"$T/table"
row() {
	name=$1 exp=$2 signer=$3 via=$4; shift 4
	nc=$((nc + 1))
	exp_peer=${exp%%/*} exp_plain=${exp#*/}
	f=$T/$name.msg
	if [ "${signer#@}" != "$signer" ]; then
		cp "$T/${signer#@}.msg" "$f"; cp "$T/${signer#@}.id" "$T/$name.id"
	else
		roster=no
		set -- "$@" END
		while [ "$1" != END ]; do
			if [ "$1" = roster=yes ]; then roster=yes; else set -- "$@" "$(subst "$1")"; fi
			shift
		done
		shift
		sdir=$signer; [ "$signer" = R ] && sdir=RP
		"$SPY" sign "$T/$sdir" "$f" "$@" >"$T/$name.id" || { fail "$name: helper_spy could not sign $*"; return; }
		if [ $roster = yes ]; then
			# the same bytes with kind "roster" (the signature no longer
			# covers them; nothing gets that far), its id their BLAKE2b-256
			if ! perl -0777 -pi -e '$n = s/\xa8incident/\xa6roster/g; END { exit($n != 1) }' "$f"; then
				fail "$name: could not make a roster message of it"
				return
			fi
			b2sum -l 256 "$f" | cut -d ' ' -f 1 >"$T/$name.id"
		fi
	fi
	id=$(cat "$T/$name.id")

	# (1) peer ingest on RP, the spy holding VIA's key
	mk=$("$SPY" sign "$T/M" "$T/marker.msg" tlp=clear kind=incident category=test severity=low \
		seq=$((1000 + nc)) title="marker $nc")
	had=0; has RP "$id" && had=1
	pstate "$via" >"$T/before"
	rm -f "$T/pv"
	feed "$via" "$f" "$T/marker.msg"
	# The marker came after it: what is refused or a duplicate is known
	# now; a message taken may be committed a moment after the marker.
	if wait_until 10 has RP "$mk"; then
		wait_until 1 settled "$via" "$id" "$had" || echo held >"$T/pv"
		peer=$(cat "$T/pv")
	else
		peer="?no-marker"
	fi
	case "$peer" in
	stored | duplicate | held | "?"*) ;;
	*) wait_until 5 told "$via" "$id" "$peer" || peer="$peer?untold" ;;
	esac

	# (2) import --from VIA on RI; import on RU
	imp=$(import RI "$f" "$via")
	plain=$(import RU "$f")

	[ "$peer" = "$exp_peer" ] || fail "$name: peer ingest gave $peer, expected $exp_peer"
	[ "$imp" = "$exp_peer" ] || fail "$name: import --from $via gave $imp, expected $exp_peer"
	[ "$plain" = "$exp_plain" ] || fail "$name: import (no --from) gave $plain, expected $exp_plain"
	echo "$plain" >"$T/$name.plain"; echo "$exp_plain" >"$T/$name.exp"
	printf '%-22s %-40s %-28s %-28s %s\n' "$name" "$exp" "$peer" "$imp" "$plain" >>"$T/table"
}

# pub CASE FLAG...: publish on RU, judged as CASE's own-origin bytes were
pub() {
	name=$1; shift
	set -- "$@" END
	while [ "$1" != END ]; do
		a=$1
		case "$a" in
		@*) if [ -f "$T/pub-${a#@}.id" ]; then a=$(cat "$T/pub-${a#@}.id"); else a=$(cat "$T/${a#@}.id"); fi ;;
		esac
		set -- "$@" "$a"; shift
	done
	shift
	out=$("$SM" publish --dir "$T/RU" "$@" 2>&1)
	rc=$?
	last=$(printf '%s\n' "$out" | tail -n 1)
	case "$out" in
	"socmesh publish: rejected: "*) v=$(token_of "${out#socmesh publish: rejected: }") ;;
	"socmesh publish: --ref: no message "*" here" | "socmesh publish: the message it refers to (--ref) is not here") v=held ;;
	"socmesh publish: "*": only its origin may retract it"*) v=retract-not-origin ;;
	"socmesh publish: recipient "*" is not in the trust list") v=peer-unknown ;;
	"socmesh publish: recipient "*": "*) v=$(token_of "${out#socmesh publish: recipient *: }") ;;
	*) if [ $rc = 0 ] && has RU "$last"; then v=stored; echo "$last" >"$T/pub-$name.id"; else v="?$out"; fi ;;
	esac
	[ $rc = 0 ] || [ "$v" != stored ] || v="stored?rc=$rc"
	printf '%s\n' "$v" >"$T/$name.pub"
}
# same_as_import CASE: publish gave what import (no --from) gave CASE, and
# what the table expects of it
same_as_import() {
	p=$(cat "$T/$1.pub") i=$(cat "$T/$1.plain") e=$(cat "$T/$1.exp")
	if [ "$p" != "$i" ] || [ "$p" != "$e" ]; then
		fail "$1: publish gave $p, import of the own-origin bytes $i, expected $e"
	fi
	printf '%-22s publish: %s\n' "$1" "$p" >>"$T/table"
}

inc="kind=incident category=test severity=low"
# shellcheck disable=SC2086
{
# A message signed and never given to anyone: what the *-absent cases retract.
"$SPY" sign "$T/O" "$T/absent.msg" $inc tlp=green seq=100 title="never here" >"$T/absent.id" ||
	fail "helper_spy could not sign"
# NAME                 EXPECTED                               SIGNER VIA FIELDS
row o-clear           stored                                 O  M  $inc tlp=clear seq=1 title="CLEAR by a member"
row o-green           stored                                 O  M  $inc tlp=green seq=2 title="GREEN by a member"
row o-amber           stored                                 O  O  $inc tlp=amber seq=3 to=@R title="AMBER to R by its origin"
row o-amber-relayed   no-relay/stored                        O  M  $inc tlp=amber seq=4 to=@R title="AMBER to R relayed by M"
row not-for-us        not-for-us                             O  O  $inc tlp=amber seq=5 to=@N title="AMBER to N only"
row future            time-in-future                         O  M  $inc tlp=green seq=6 ahead=7200000 title="two hours ahead"
row expired           expired                                O  M  $inc tlp=green seq=7 age=172800000 title="two days old"
row roster-old        stored                                 O  M  kind=roster tlp=green seq=8 age=172800000 peer=@N name=N level=member coordinator=no
row roster-not-coord  roster-not-coordinator                 N  M  kind=roster tlp=green seq=1 peer=@M name=M level=member coordinator=no
# roster-addressed never decides: the decoder refuses a roster message with
# an addressed TLP first (bad-tlp), wherever it comes from.
row roster-addressed  bad-tlp                                O  M  $inc tlp=amber seq=9 to=@R title="made a roster" roster=yes
row origin-unknown    origin-unknown                         U  M  $inc tlp=clear seq=1 title="by an unknown origin"
row origin-blocked    origin-blocked/peer-blocked            X  M  $inc tlp=clear seq=1 title="by a blocked origin"
row external-clear    stored                                 E  M  $inc tlp=clear seq=1 title="CLEAR by an external origin"
row external-green    external-origin-clear-only/external-clear-only E M $inc tlp=green seq=2 title="GREEN by an external origin"
row green-via-ext     external-clear-only/stored             O  E  $inc tlp=green seq=10 title="GREEN relayed by an external peer"
row retract-other     retract-not-origin                     N  M  kind=retract tlp=green seq=2 ref=@o-green note="not mine"
row retract-origin    stored                                 O  M  kind=retract tlp=green seq=11 ref=@o-clear note="false positive"
row duplicate         duplicate                              @o-green M
row retract-absent    held                                   O  M  kind=retract tlp=green seq=12 ref=@absent note="before its target"
# R's own messages, relayed back to it by M
row own-clear         stored                                 R  M  $inc tlp=clear seq=1 title="R's CLEAR"
row own-green         stored                                 R  M  $inc tlp=green seq=2 title="R's GREEN"
row own-amber         stored                                 R  M  $inc tlp=amber seq=3 to=@M title="R's AMBER to M"
row own-retract       stored                                 R  M  kind=retract tlp=clear seq=4 ref=@own-clear note="R's own"
row own-retract-other retract-not-origin                     R  M  kind=retract tlp=green seq=5 ref=@o-green note="O's"
row own-retract-absent held                                  R  M  kind=retract tlp=green seq=6 ref=@absent note="not here"
row own-amber-ext     no-relay/external-clear-only           R  M  $inc tlp=amber seq=7 to=@E title="R's AMBER to E"
row own-amber-unknown no-relay/peer-unknown                   R  M  $inc tlp=amber seq=8 to=@U title="R's AMBER to U"
}

# What R authors itself: publish on RU, as import (no --from) judged the
# same own-origin content above.
pubflags="--category test --severity low"
# shellcheck disable=SC2086
{
pub own-clear          --tlp clear --title "R's CLEAR, published" $pubflags
pub own-green          --tlp green --title "R's GREEN, published" $pubflags
pub own-amber          --tlp amber --to M --title "R's AMBER to M, published" $pubflags
pub own-retract        --kind retract --ref @own-clear --note "R's own, published"
pub own-retract-other  --kind retract --ref @o-green --note "O's, by R"
pub own-retract-absent --kind retract --ref @absent --note "not here"
pub own-amber-ext      --tlp amber --to E --title "R's AMBER to E, published" $pubflags
pub own-amber-unknown  --tlp amber --to "$(cat "$T/U.nid")" --title "R's AMBER to U, published" $pubflags
}
# Publish and import (no --from) judge R's own messages by one rule set,
# the recipients of an addressed one included (only members can receive
# it).
for c in own-clear own-green own-amber own-retract own-retract-other own-retract-absent \
	own-amber-ext own-amber-unknown; do
	same_as_import $c
done

cat "$T/table"
finish
