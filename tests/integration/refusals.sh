#!/bin/sh
# Issue 8, "the sender learns of a refusal": A - B - C in a line, C does not
# trust A.  A's GREEN message reaches B, B offers it to C, C refuses it
# (origin-unknown, provisional) and tells B once.  B shows the refusal in
# explain, remembers it across a restart and never offers the message to C
# again, so C's counters stop climbing; once C trusts A, the refusal is
# forgotten on both sides and the message arrives by the next exchange.
set -u
. tests/integration/lib/nodes.sh

# pf NODE PEER FIELD: a field of PEER's line in NODE's peers --json;
# rej NODE PEER REASON: a rejection counter there (0 when none)
pf() {
	"$SM" peers --dir "$T/$1" --json | grep "\"name\":\"$2\"," |
		sed -n "s/.*\"$3\":\(\"[^\"]*\"\|{[^}]*}\|[^,}]*\).*/\1/p" | tr -d '"'
}
rej() {
	v=$("$SM" peers --dir "$T/$1" --json | grep "\"name\":\"$2\"," | grep -o '"rejected":{[^}]*}' |
		sed -n "s/.*\"$3\":\([0-9]*\).*/\1/p")
	echo "${v:-0}"
}
refused() { "$SM" explain "$2" --dir "$T/$1" | grep -q "refused by $3: $4"; }

node A; node B; node C
trust A B member connect; trust B A member
trust B C member connect; trust C B member
for n in A B C; do start $n; done
wait_until 5 connected A B || fail "A-B not connected"
wait_until 5 connected B C || fail "B-C not connected"
[ $fails -eq 0 ] || { finish; exit 1; } # nothing below can pass

m=$(publish A --tlp green --title "news from A, whom C does not know" --indicator 198.51.100.44)
wait_until 5 has B "$m" || fail "A's message did not reach B"
wait_until 5 refused B "$m" C origin-unknown ||
	fail "explain at B does not say that C refused the message: $("$SM" explain "$m" --dir "$T/B")"
"$SM" explain "$m" --dir "$T/B" --json | grep -q '"peer":"C","decision":"refused","reason":"origin-unknown"' ||
	fail "explain --json at B: $("$SM" explain "$m" --dir "$T/B" --json)"
has C "$m" && fail "C stored a message of an origin it does not trust"
[ "$(rej C B origin-unknown)" = 1 ] || fail "C did not count the refusal once: $(pf C B rejected)"
[ "$(pf C B rejected_last_minute)" -ge 1 ] 2>/dev/null ||
	fail "C's rejected_last_minute for B is not above 0: $(pf C B rejected_last_minute)"
[ "$(pf B C refused_by_peer)" = 1 ] || fail "B does not count what C refused: $(pf B C refused_by_peer)"

# Three more exchanges: B does not offer the message again, C's counter
# stays where it was.
sent=$(pf B C sent)
n=$(recons B C)
wait_until 15 recon_after B C $((n + 2)) || fail "B and C did not reconcile three times"
[ "$(rej C B origin-unknown)" = 1 ] ||
	fail "C's rejection counter climbs with the exchanges: origin-unknown $(rej C B origin-unknown)"
[ "$(pf B C sent)" = "$sent" ] || fail "B offered C the refused message again: sent $sent -> $(pf B C sent)"

# The refusal is remembered across B's restart.
stop B
start B
wait_until 5 connected B C || fail "B-C not connected after B's restart"
refused B "$m" C origin-unknown || fail "B forgot C's refusal over a restart"
sent=$(pf B C sent)
n=$(recons B C)
wait_until 15 recon_after B C $((n + 1)) || fail "B and C did not reconcile twice after B's restart"
[ "$(pf B C sent)" = "$sent" ] || fail "B offered C the refused message again after its restart"
[ "$(rej C B origin-unknown)" = 1 ] || fail "C counted the refusal again after B's restart: $(rej C B origin-unknown)"

# C trusts A: the provisional refusal is forgotten, and the message comes.
trust C A member
wait_until 15 has C "$m" || fail "C did not get the message once it trusted A"
refused B "$m" C origin-unknown && fail "B still shows C's refusal after C's trust list changed"
[ "$(rej C B origin-unknown)" = 1 ] || fail "C counted more refusals: $(rej C B origin-unknown)"
finish
