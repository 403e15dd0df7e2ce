#!/bin/sh
# Full-text search (issue 12): query --text finds titles, summaries and
# comments whatever their case and accents, Spanish and English alike,
# ranked (every word first, newest first, then some of the words); an
# AMBER message's words are found by its recipient and are never in its
# store file in clear.
set -u
. tests/integration/lib/nodes.sh

for n in A B C; do node $n; done
trust A B member connect; trust B A member
trust A C member connect; trust C A member
for n in A B C; do start $n; done
wait_until 5 connected A B || fail "A-B not connected"
wait_until 5 connected A C || fail "A-C not connected"

# ids IDS...: the ids of query --json's lines (stdin), in order, are IDS.
ids() {
	want=$(printf '%s\n' "$@")
	got=$(jsonq "'\n'.join(m['id'] for m in (j if isinstance(j, list) else [j]))")
	[ "$got" = "$want" ] || { echo "got: $got"; return 1; }
}
# search NODE WORDS [OPTIONS]: query --text WORDS --json on NODE.
search() { n=$1 w=$2; shift 2; "$SM" query --dir "$T/$n" --json --text "$w" "$@"; }

es=$(publish A --tlp green --title "Campaña de phishing contra bancos" \
	--summary "Correos que suplantan a la entidad; acción inmediata")
en=$(publish A --tlp green --title "Phishing campaign against banks" \
	--summary "E-mails impersonating the bank's login page")
rw=$(publish A --tlp green --title "Ransomware en hospitales" --summary "Cifrado de historiales")
wait_until 5 has B "$rw" || fail "A's messages did not reach B"

# Accents and case do not defeat a match, in either direction.
search B "campana PHISHING" | ids "$es" "$en" || fail "campana PHISHING: not the Spanish case first"
search B "CAMPAÑA" | ids "$es" || fail "CAMPAÑA does not find campaña"
search B "accion INMEDIATA" | ids "$es" || fail "a summary's accented words not found"
search B "impersonating" | ids "$en" || fail "an English summary word not found"
search B "hospitales cifrado" | jsonq "j['words']" | grep -qx 2 ||
	fail "a message with both words does not say words 2"
# Every word first, then some of them: phishing ransomware has no
# message with both, three with one.
search B "phishing ransomware" | ids "$rw" "$en" "$es" || fail "partial matches not newest first"
search B nothingatall | grep -q . && fail "a word of no message found something"
out=$("$SM" query --dir "$T/B" --text "- !" 2>&1) && fail "a text without a word was taken: $out"
echo "$out" | grep -q "no word" || fail "the refusal of a text without a word: $out"
# The other filters apply.
search B phishing --since 1h --category test | ids "$en" "$es" ||
	fail "--text with --since and --category"
"$SM" query --dir "$T/B" --text campana | grep -q "Campaña de phishing" ||
	fail "the table of query --text does not show the title"

# A comment is found by its text.
cm=$(printf 'Visto también en nuestra red: mismo señuelo\n' |
	"$SM" comment "$es" --dir "$T/B" --text - | tail -n 1)
[ ${#cm} -eq 64 ] || fail "comment printed no id: $cm"
wait_until 5 has A "$cm" || fail "the comment did not reach A"
search A senuelo | ids "$cm" || fail "the comment is not found by its text"

# AMBER to B: B and A find it by its words, C (not a recipient) does
# not, and neither store holds them in clear.
am=$(publish A --tlp amber --to B --title "Exfiltración confidencial zafiroazul" \
	--summary "Indicio reservado xilofonoverde")
wait_until 5 has B "$am" || fail "the amber message did not reach B"
for n in A B; do
	search $n ZAFIROAZUL | ids "$am" || fail "$n does not find the amber message by its title"
	search $n "xilofonoverde exfiltracion" | ids "$am" ||
		fail "$n does not find the amber message by its summary"
	for w in zafiroazul xilofonoverde; do
		grep -qa "$w" "$T/$n/store/data.mdb" && fail "$n's store holds '$w' in clear"
	done
	"$SM" check --dir "$T/$n" >/dev/null 2>&1 || fail "$n's store check: $("$SM" check --dir "$T/$n" 2>&1)"
done
search C zafiroazul | grep -q . && fail "C, not a recipient, finds the amber message"

finish
