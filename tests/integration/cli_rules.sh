#!/bin/sh
# Issue 11, "The CLI": one set of command-line rules for every command.
# help CMD and CMD --help print the full usage; unknown options and
# commands name the nearest; errors start "socmesh CMD:" and name the field
# and the limit; text options take - and @FILE; words in any case and TLP:
# prefixes; --expires and --since take the same durations and dates, a date
# alone meaning the whole day; id prefixes; --json-array; received and
# cursor in JSON; retract of another SOC's message refused.
set -u
. tests/integration/lib/nodes.sh
PY=$(python3 -c 'import sys; print(sys.executable)')

# one_line_err DESCRIPTION PATTERN STATUS COMMAND...: exit STATUS, one
# stderr line that matches PATTERN
one_line_err() {
	d=$1 pat=$2 want=$3; shift 3
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = "$want" ] || fail "$d: exit $rc, not $want"
	[ "$(wc -l <"$T/err")" -eq 1 ] || fail "$d: stderr is not one line: $(cat "$T/err")"
	grep -q -- "$pat" "$T/err" || fail "$d: stderr '$(cat "$T/err")' lacks '$pat'"
}

# Every command's help, both ways, with every option of its table.
cmds=$("$SM" help | sed -n 's/^  \([a-z]*\) .*/\1/p')
[ "$(echo "$cmds" | wc -w)" -ge 20 ] || fail "socmesh help lists $(echo "$cmds" | wc -w) commands"
for c in $cmds; do
	"$SM" help "$c" >"$T/h1" 2>"$T/e1" || fail "help $c: exit $?"
	"$SM" "$c" --help >"$T/h2" 2>"$T/e2" || fail "$c --help: exit $?"
	cmp -s "$T/h1" "$T/h2" || fail "help $c and $c --help differ"
	head -n 1 "$T/h1" | grep -q "^usage: socmesh $c" || fail "help $c: $(head -n 1 "$T/h1")"
	grep -q -- "--dir DIR" "$T/h1" || fail "help $c lacks --dir"
	[ -s "$T/e1" ] && fail "help $c wrote to stderr: $(cat "$T/e1")"
done
for o in --type --impact --status --sector --scope --attack --action --expires --note --summary --text; do
	"$SM" help publish | grep -q -- "^  $o " || fail "help publish lacks $o"
done
for o in --indicator --since --until --origin --tlp --category --kind --severity --severity-min --limit --all; do
	"$SM" help query | grep -q -- "^  $o" || fail "help query lacks $o"
done
one_line_err "unknown option" "unknown option '--titel'; did you mean --title?" 2 \
	"$SM" publish --titel x
one_line_err "unknown command" "unknown command 'qeury'; did you mean 'query'?" 2 "$SM" qeury
one_line_err "help of an unknown command" "unknown command 'nope'" 2 "$SM" help nope
one_line_err "missing value" "socmesh query: --since needs a value" 2 "$SM" query --since
one_line_err "a single option twice" "socmesh publish: --title is given twice" 2 \
	"$SM" publish --title a --title b
one_line_err "an argument too many" "socmesh show: unexpected argument 'b'" 2 "$SM" show a b

node a
node b
trust a b member connect
trust b a member
start a
start b
wait_until 10 connected a b || fail "a and b do not connect"
SOCMESH_DIR="$T/a"
export SOCMESH_DIR

# Errors name the command, the field and the limit.
long=$(head -c 300 /dev/zero | tr '\0' x)
one_line_err "a long title" "^socmesh publish: title is 300 bytes; at most 256" 1 \
	"$SM" publish --tlp green --title "$long" --category test --severity low
one_line_err "a bad word" "^socmesh publish: --tlp: unknown value 'purple' (one of: clear, green" 1 \
	"$SM" publish --tlp purple --title t --category test --severity low
one_line_err "a bad date" "^socmesh query: --since: 'yesterday' is neither a duration" 1 \
	"$SM" query --since yesterday

# Words in any case, TLP: prefixes, text from stdin and from a file,
# --expires as a duration.
printf 'Seen on three hosts.\nSecond line.\n' >"$T/summary.txt"
g=$("$SM" publish --tlp TLP:GREEN --title "Phishing 🎣 wave" --category Fraud --severity High \
	--summary @"$T/summary.txt" --expires 7d --indicator 198.51.100.7 | tail -n 1)
echo "$g" | grep -Eq '^[0-9a-f]{64}$' || fail "publish with words in any case: $g"
"$SM" show "$g" --json >"$T/g.json" || fail "show $g"
jsonq 'j["tlp"] == "green" and j["severity"] == "high" and j["category"] == "fraud"' <"$T/g.json" >/dev/null ||
	fail "words not normalized: $(cut -c 1-300 "$T/g.json")"
jsonq 'j["summary"] == "Seen on three hosts.\nSecond line."' <"$T/g.json" >/dev/null ||
	fail "--summary @FILE: $(jsonq 'j.get("summary")' <"$T/g.json")"
exp=$(jsonq 'j["expires"]' <"$T/g.json")
d7=$(date -u -d '+7 days' +%Y-%m-%d)
case "$exp" in "$d7"*) ;; *) fail "--expires 7d gave $exp, not $d7" ;; esac
jsonq 'j["title"] == "Phishing 🎣 wave"' <"$T/g.json" >/dev/null || fail "JSON title: $(cut -c 1-200 "$T/g.json")"
"$SM" query | grep -q "Phishing 🎣 wave" || fail "text output changes the title's UTF-8: $("$SM" query)"
s=$(echo "from stdin" | "$SM" sight "$g" --note - | tail -n 1)
"$SM" show "$s" --json | jsonq 'j["note"] == "from stdin"' >/dev/null || fail "--note -"
echo '{"tlp":"green","title":"from a file on stdin","category":"test","severity":"low"}' |
	"$SM" publish --file - >/dev/null || fail "--file -"
"$SM" sight "$g" --tlp clear >/dev/null || fail "sight --tlp"

# Dates: a date alone is the whole day, a time to the minute is taken.
today=$(date -u +%Y-%m-%d)
n=$("$SM" query --since "$today" --until "$today" --json | wc -l)
[ "$n" -ge 4 ] || fail "--since $today --until $today found $n"
"$SM" query --since "${today}T00:00" --json >/dev/null || fail "--since ${today}T00:00"
[ "$("$SM" query --until 2000-01-01 --json | wc -l)" -eq 0 ] || fail "--until 2000-01-01 found some"

# Severity filters; repeated --indicator is any of them, each message once.
"$SM" publish --tlp green --title "low one" --category test --severity low --indicator 203.0.113.9 >/dev/null
[ "$("$SM" query --severity high --json | wc -l)" -eq 1 ] || fail "--severity high"
[ "$("$SM" query --severity-min medium --json | wc -l)" -eq 1 ] || fail "--severity-min medium"
[ "$("$SM" query --indicator 198.51.100.7 --indicator 203.0.113.9 --json | wc -l)" -eq 2 ] ||
	fail "repeated --indicator: $("$SM" query --indicator 198.51.100.7 --indicator 203.0.113.9)"
[ "$("$SM" query --indicator 198.51.100.7 --indicator 198.51.100.7 --json | wc -l)" -eq 1 ] ||
	fail "repeated --indicator counted a message twice"

# JSON: one document with --json-array; received and cursor on every line.
"$SM" query --json-array | python3 -m json.tool >/dev/null || fail "--json-array is not one JSON document"
"$SM" query --json | jsonq 'all(isinstance(o["cursor"], int) and o["received"].endswith("Z") for o in j)' >/dev/null ||
	fail "query --json lacks received or cursor: $("$SM" query --json | head -n 1 | cut -c 1-200)"
"$SM" peers --json | jsonq 'j["last_seen"] is None or j["last_seen"].endswith("Z")' >/dev/null ||
	fail "peers --json times: $("$SM" peers --json)"
"$SM" export "$g" --json | jsonq 'j["id"] == "'"$g"'"' >/dev/null || fail "export --json is not JSON"

# Id prefixes: the 12 digits query prints, and 8.
short=$(echo "$g" | cut -c 1-12)
"$SM" show "$short" >/dev/null || fail "show by the 12-digit prefix"
"$SM" show "$(echo "$g" | cut -c 1-8)" --json | jsonq 'j["id"] == "'"$g"'"' >/dev/null ||
	fail "show by an 8-digit prefix"
one_line_err "a 7-digit prefix" "not a message id (64 hex digits, or a prefix of 8 or more)" 1 \
	"$SM" show "$(echo "$g" | cut -c 1-7)"
one_line_err "an unknown prefix" "^socmesh show: no message id starts with" 1 "$SM" show 0000000000
u=$("$SM" publish --kind update --ref "$short" --status contained | tail -n 1)
"$SM" show "$u" --json | jsonq 'j["ref"] == "'"$g"'"' >/dev/null || fail "--ref by prefix"

# Retracting another SOC's message is refused, naming its origin.
bm=$("$SM" publish --dir "$T/b" --tlp green --title "b's" --category test --severity low | tail -n 1)
wait_until 10 has a "$bm" || fail "b's message did not reach a"
one_line_err "retract of another SOC's message" "^socmesh retract: $bm is b's: only its origin may retract it" 1 \
	"$SM" retract "$bm"
one_line_err "publish --kind retract of it" "only its origin may retract it" 1 \
	"$SM" publish --kind retract --ref "$bm"
r=$("$SM" retract "$g" --note "false positive" | tail -n 1)
"$SM" show "$r" --json | jsonq 'j["kind"] == "retract"' >/dev/null || fail "retract of its own"

# Tables fit their content: a long name keeps the columns aligned.
node a-peer-with-a-rather-long-name
trust a a-peer-with-a-rather-long-name member
"$SM" trust list | awk 'NR > 1 && NF < 6 { bad = 1 } END { exit bad }' || fail "trust list columns: $("$SM" trust list)"

finish
