#!/bin/sh
# The socmesh and socmeshd command lines: what they accept, what they refuse
# (one line on stderr, non-zero status, no partial effect).
set -u
. tests/integration/lib/nodes.sh
no() { fail "$@"; }
# expect_fail DESCRIPTION PATTERN COMMAND...: non-zero, one stderr line matching
expect_fail() {
	d=$1 pat=$2; shift 2
	if "$@" >"$T/out" 2>"$T/err"; then no "$d: succeeded"; return; fi
	[ "$(wc -l <"$T/err")" -eq 1 ] || { no "$d: stderr is not one line: $(cat "$T/err")"; return; }
	grep -q -- "$pat" "$T/err" || no "$d: stderr '$(cat "$T/err")' lacks '$pat'"
}

"$SM" init --dir "$T/a" --name soc-a --listen "tcp://127.0.0.1:$(free_port)" >/dev/null || no "init"
id=$("$SM" --dir "$T/a" id)
echo "$id" | grep -Eq '^[0-9a-f]{64}$' || no "id prints 64 hex digits: $id"
[ "$(stat -c %a "$T/a/node.key")" = 600 ] || no "node.key mode"
[ "$(stat -c %a "$T/a")" = 700 ] || no "node directory mode"
expect_fail "init twice" "exists already" "$SM" init --dir "$T/a" --name x --listen tcp://127.0.0.1:1
[ "$("$SM" --dir "$T/a" id)" = "$id" ] || no "identity changed by a refused init"
expect_fail "init bad name" "name" "$SM" init --dir "$T/b" --name "bad name" --listen tcp://127.0.0.1:1
expect_fail "init bad endpoint" "listen" "$SM" init --dir "$T/b" --name b --listen 127.0.0.1
[ ! -e "$T/b/node.key" ] || no "refused init left a key behind"
"$SMD" -n --dir "$T/a" 2>"$T/err" && grep -q "configuration OK" "$T/err" || no "socmeshd -n"

chmod 644 "$T/a/node.key"
expect_fail "secret key readable by others" "chmod 600" "$SMD" -n --dir "$T/a"
expect_fail "daemon with an open key" "too open" "$SMD" --dir "$T/a"
chmod 600 "$T/a/node.key"
expect_fail "publish without the daemon" "not running" "$SM" publish --dir "$T/a" --tlp clear --title t --category test --severity low
expect_fail "query without the daemon" "not running" "$SM" query --dir "$T/a"
expect_fail "show without the daemon" "not running" "$SM" show "$(printf '%064d' 0)" --dir "$T/a"

printf '[node]\nname = a\nlisten = tcp://127.0.0.1:1\nbogus = 1\n' >"$T/bad.conf"
cp "$T/a/socmesh.conf" "$T/good.conf"
cp "$T/bad.conf" "$T/a/socmesh.conf"
expect_fail "unknown config key" "socmesh.conf:4" "$SMD" -n --dir "$T/a"
cp "$T/good.conf" "$T/a/socmesh.conf"

"$SM" init --dir "$T/b" --name soc-b --listen "tcp://127.0.0.1:$(free_port)" >/dev/null || no "init b"
bid=$("$SM" --dir "$T/b" id)
"$SM" trust add --dir "$T/a" --name soc-b --key "$bid" --endpoint tcp://127.0.0.1:7101 || no "trust add"
expect_fail "trust add twice" "soc-b" "$SM" trust add --dir "$T/a" --name soc-b --key "$bid"
expect_fail "trust add bad key" "not a node id" "$SM" trust add --dir "$T/a" --name x --key 1234
expect_fail "trust add own key" "own id" "$SM" trust add --dir "$T/a" --name me --key "$id"
expect_fail "trust set unknown" "nobody" "$SM" trust set nobody --level member --dir "$T/a"
"$SM" trust set soc-b --level external --dir "$T/a" || no "trust set"
"$SM" trust set soc-b --endpoint tcp://127.0.0.1:7102 --dir "$T/a" || no "trust set --endpoint"
grep -q "^endpoint = tcp://127.0.0.1:7102" "$T/a/trust.conf" || no "trust set --endpoint not saved"
expect_fail "trust set bad endpoint" "bad endpoint" "$SM" trust set soc-b --endpoint "tcp://*:1" --dir "$T/a"
# Issue 10: a key changes by rotation, and trust set says so.
expect_fail "trust set --key" "rotation" "$SM" trust set soc-b --key "$bid" --dir "$T/a"
"$SM" trust list --dir "$T/a" --json | grep -q '"level":"external"' || no "trust list --json"
"$SM" trust list --dir "$T/a" | grep -q "^soc-b *external" || no "trust list"
start a

expect_fail "publish unknown category" "category" "$SM" publish --dir "$T/a" --tlp green --title t --category nope --severity low
expect_fail "publish mistyped indicator type" "unknown type 'hash'" "$SM" publish --dir "$T/a" --tlp green --title t --category test --severity low --indicator hash:abc
expect_fail "publish bad indicator" "not a valid ipv4" "$SM" publish --dir "$T/a" --tlp green --title t --category test --severity low --indicator ipv4:300.1.1.1
expect_fail "amber without recipient" "recipient" "$SM" publish --dir "$T/a" --tlp amber --title t --category test --severity low
expect_fail "amber to an external peer" "external" "$SM" publish --dir "$T/a" --tlp amber --to soc-b --title t --category test --severity low
expect_fail "unknown recipient" "neither" "$SM" publish --dir "$T/a" --tlp amber --to soc-z --title t --category test --severity low
expect_fail "publish without a TLP" "tlp is required" "$SM" publish --dir "$T/a" --title t --category test --severity low
expect_fail "incident without a category" "category is required" "$SM" publish --dir "$T/a" --tlp green --title t --severity low
expect_fail "incident without a severity" "severity is required" "$SM" publish --dir "$T/a" --tlp green --title t --category test
expect_fail "update without ref" "ref is required" "$SM" publish --dir "$T/a" --kind update --tlp green --title t --category test --severity low
[ "$("$SM" query --dir "$T/a" --json | wc -l)" -eq 0 ] || no "refused publishes stored something"

mid=$("$SM" publish --dir "$T/a" --tlp green --title "Scan from 192.0.2.7" --category information-gathering --severity low --indicator 192.0.2.7 | tail -n 1)
echo "$mid" | grep -Eq '^[0-9a-f]{64}$' || no "publish prints the id last: $mid"
printf '{"tlp":"clear","title":"From file","category":"test","severity":"medium","indicators":[{"type":"domain","value":"File.Example"}]}' >"$T/m.json"
fid=$("$SM" publish --dir "$T/a" --file "$T/m.json" --severity high | tail -n 1)
"$SM" show "$fid" --dir "$T/a" --json | grep -q '"severity":"high"' || no "flags override --file fields"
"$SM" show "$fid" --dir "$T/a" --json | grep -q '"value":"file.example"' || no "indicator from file normalized"
"$SM" show "$fid" --dir "$T/a" --json | grep -q '"origin":{"id":"[0-9a-f]*","name":"soc-a"}' ||
	no "show --json does not name this node as the origin"
printf '{"tlp":"clear","bogus":1}' >"$T/bad.json"
expect_fail "publish --file unknown field" "bogus" "$SM" publish --dir "$T/a" --file "$T/bad.json"
printf '{"tlp":' >"$T/broken.json"
expect_fail "publish --file broken JSON" "broken.json:1" "$SM" publish --dir "$T/a" --file "$T/broken.json"
[ "$("$SM" query --dir "$T/a" --json | wc -l)" -eq 2 ] || no "two messages stored"
[ "$("$SM" query --dir "$T/a" --indicator 192.0.2.7 --json | wc -l)" -eq 1 ] || no "query by indicator"
[ "$("$SM" query --dir "$T/a" --tlp clear --json | wc -l)" -eq 1 ] || no "query by tlp"
[ "$("$SM" query --dir "$T/a" --limit 1 --json | wc -l)" -eq 1 ] || no "query --limit"
"$SM" query --dir "$T/a" --json --limit 1 | grep -q "\"id\":\"$fid\"" || no "query is newest first"
printf '{"tlp":"clear","title":"Old line","category":"test","severity":"low","time":"2001-01-01T00:00:00Z","seq":99}' >"$T/old.json"
oid=$("$SM" publish --dir "$T/a" --file "$T/old.json" | tail -n 1)
"$SM" show "$oid" --dir "$T/a" --json | grep -q '"time":"2001' && no "publish --file back-dated a message"
"$SM" show "$oid" --dir "$T/a" --json | grep -q '"seq":99' && no "publish --file took the file's seq"
cid=$("$SM" publish --dir "$T/a" --tlp clear --title "colons" --category test --severity low \
	--indicator filename:hash:abc --indicator dead:beef::1 | tail -n 1)
"$SM" show "$cid" --dir "$T/a" --json | grep -q '"type":"filename","value":"hash:abc"' || no "filename:hash:abc"
"$SM" show "$cid" --dir "$T/a" --json | grep -q '"type":"ipv6"' || no "dead:beef::1 is not ipv6"
uid=$("$SM" publish --dir "$T/a" --tlp clear --title "upper case types" --category test --severity low \
	--indicator SHA1:da39a3ee5e6b4b0d3255bfef95601890afd80709 --indicator Domain:Upper.Example | tail -n 1)
"$SM" show "$uid" --dir "$T/a" --json | grep -q '"type":"sha1"' || no "SHA1: is not sha1"
"$SM" show "$uid" --dir "$T/a" --json | grep -q '"type":"domain","value":"upper.example"' || no "Domain: is not domain"
printf '{"tlp":null,"title":"null tlp","category":"test","severity":"low"}' >"$T/null.json"
expect_fail "publish with a null TLP" "tlp is required" "$SM" publish --dir "$T/a" --file "$T/null.json"
[ "$("$SM" query --dir "$T/a" --since 2099-01-01 --json | wc -l)" -eq 0 ] || no "query --since"
expect_fail "query bad since" "since" "$SM" query --dir "$T/a" --since yesterday
expect_fail "show unknown id" "no message" "$SM" show "$(printf '%064d' 0)" --dir "$T/a"
expect_fail "show bad id" "not a message id" "$SM" show 1234 --dir "$T/a"

# Retraction hides the message from queries, keeps it for audit.
rid=$("$SM" publish --dir "$T/a" --kind retract --tlp green --ref "$mid" --note "false positive" | tail -n 1) || no "retract"
"$SM" query --dir "$T/a" --indicator 192.0.2.7 --json | grep -q "$mid" && no "retracted message still listed"
"$SM" query --dir "$T/a" --indicator 192.0.2.7 --all --json | grep -q '"retracted":true' || no "query --all shows it retracted"

# Import goes through the daemon, the store's only writer: refused while b
# is stopped (and nothing written), done once it runs.  Garbage and
# oversized input are refused with a reason.
"$SM" export "$fid" --dir "$T/a" >"$T/f.msg"
expect_fail "import into a stopped node" "not running" "$SM" import --dir "$T/b" "$T/f.msg"
expect_fail "export from a stopped node" "not running" "$SM" export "$fid" --dir "$T/b"
start b
head -c 300 /dev/urandom >"$T/garbage"
expect_fail "import garbage" "rejected" "$SM" import --dir "$T/b" "$T/garbage"
head -c 300000 /dev/zero >"$T/huge"
expect_fail "import oversized" "larger" "$SM" import --dir "$T/b" "$T/huge"
expect_fail "import from unknown origin" "origin" "$SM" import --dir "$T/b" "$T/f.msg"
"$SM" trust add --dir "$T/b" --name soc-a --key "$id" --level member
expect_fail "import --from an unknown peer" "no peer 'soc-z'" "$SM" import --dir "$T/b" --from soc-z "$T/f.msg"
"$SM" import --dir "$T/b" --from soc-a "$T/f.msg" | grep -q "^stored" || no "import from a member"
"$SM" show "$fid" --dir "$T/b" >/dev/null || no "b does not show the imported message"
"$SM" check --dir "$T/b" | grep -q "store OK" || no "check"

# Review regressions: sightings inherit TLP and recipients; RED is never
# exported; init leaves nothing behind; parallel trust edits all land.
"$SM" trust set soc-b --level member --dir "$T/a"
amb=$("$SM" publish --dir "$T/a" --tlp amber --to soc-b --title "internal" --category test --severity low | tail -n 1)
sid=$("$SM" sight "$amb" --dir "$T/a" --note "seen" | tail -n 1)
"$SM" show "$sid" --dir "$T/a" --json | grep -q '"tlp":"amber"' || no "sighting of amber is not amber"
"$SM" show "$sid" --dir "$T/a" --json | grep -q "\"recipients\":\[{\"id\":\"$bid\"" || no "sighting lost the recipients"
# A node's own message, exported and imported again (a restore), amber too
"$SM" export "$amb" --dir "$T/a" >"$T/own.msg"
"$SM" import --dir "$T/a" "$T/own.msg" | grep -q "^duplicate" || no "re-import of an own message"
red=$("$SM" publish --dir "$T/a" --tlp red --to soc-b --title "red" --category test --severity low | tail -n 1)
expect_fail "export red" "never exported" "$SM" export "$red" --dir "$T/a"
mkdir -p "$T/c" && : >"$T/c/store"
expect_fail "init over a stray store file" "exists already" "$SM" init --dir "$T/c" --name c --listen tcp://127.0.0.1:1
[ "$(ls "$T/c")" = store ] || no "refused init left files: $(ls "$T/c")"
rm "$T/c/store"
"$SM" init --dir "$T/c" --name c --listen tcp://127.0.0.1:1 >/dev/null || no "init after a refused one"
for i in 1 2 3 4 5 6 7 8; do
	k=$("$SM" init --dir "$T/k$i" --name "k$i" --listen tcp://127.0.0.1:1 >/dev/null && "$SM" id --dir "$T/k$i")
	"$SM" trust add --dir "$T/c" --name "p$i" --key "$k" &
	adds="${adds:-} $!"
done
# shellcheck disable=SC2086
wait $adds
[ "$("$SM" trust list --dir "$T/c" --json | wc -l)" -eq 8 ] || no "parallel trust adds lost some"
expect_fail "long --origin" "origin" "$SM" query --dir "$T/a" --origin "$(head -c 5000 /dev/zero | tr '\0' A)"

expect_fail "unknown command" "unknown command" "$SM" frobnicate --dir "$T/a"
"$SM" trust --dir "$T/a" 2>/dev/null; [ $? -eq 2 ] || no "trust without a subcommand is not a usage error"
expect_fail "missing node directory" "no node directory" "$SM" trust list --dir "$T/none"

# Another user: one line that says what to do, for the daemon's commands
# and for those that read the store.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 711 "$T" "$T/a"
	cp "$SM" "$T/sm-copy" && chmod 755 "$T/sm-copy"
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$T/sm-copy" "$@"; }
	expect_fail "peers as another user" "permission denied: run socmesh as the node's user" as_nobody peers --dir "$T/a"
	expect_fail "check as another user" "permission denied: run socmesh as the node's user" as_nobody check --dir "$T/a"
	chmod 700 "$T/a"
	# root works on a node as its owner: trust.conf stays the owner's
	"$SM" init --dir "$T/owned" --name owned --listen tcp://127.0.0.1:1 >/dev/null
	chown -R 65534:65534 "$T/owned"
	"$SM" trust add --dir "$T/owned" --name soc-b --key "$bid" || no "trust add as root on another user's node"
	[ "$(stat -c %u "$T/owned/trust.conf")" = 65534 ] || no "root's trust add left trust.conf to root"
	chmod 700 "$T"
fi

finish
