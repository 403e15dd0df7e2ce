#!/bin/sh
# Operations (issue 4): make install and uninstall, the systemd unit, the
# example configuration, sd_notify, log levels and syslog, no secret in a
# log, socmesh stats --prometheus, hot backup and restore.
set -u
. tests/integration/lib/nodes.sh

# ---- make install / uninstall into a DESTDIR ------------------------------
R="$T/root"
make --no-print-directory -s install SAN="${SAN:-}" DESTDIR="$R" PREFIX=/usr >"$T/install.log" 2>&1 ||
	fail "make install: $(tail -n 3 "$T/install.log")"
for f in bin/socmesh sbin/socmeshd share/man/man1/socmesh.1 share/man/man5/socmesh.conf.5 \
	share/man/man8/socmeshd.8 share/doc/socmesh/socmesh.conf.example \
	lib/systemd/system/socmeshd.service lib/sysusers.d/socmesh.conf; do
	[ -f "$R/usr/$f" ] || fail "make install did not install /usr/$f"
done
[ -x "$R/usr/sbin/socmeshd" ] || fail "installed socmeshd is not executable"
unit="$R/usr/lib/systemd/system/socmeshd.service"
grep -qx 'ExecStart=/usr/sbin/socmeshd --dir /var/lib/socmesh' "$unit" ||
	fail "installed unit does not start /usr/sbin/socmeshd: $(grep ExecStart "$unit")"

# ---- the unit: required hardening, and systemd-analyze verify ------------
for d in Type=notify User=socmesh StateDirectory=socmesh NoNewPrivileges=yes \
	ProtectSystem=strict ProtectHome=yes PrivateTmp=yes PrivateDevices=yes \
	ProtectKernelTunables=yes ProtectKernelModules=yes ProtectKernelLogs=yes \
	ProtectControlGroups=yes 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
	RestrictNamespaces=yes LockPersonality=yes MemoryDenyWriteExecute=yes \
	SystemCallFilter=@system-service CapabilityBoundingSet= UMask=0077; do
	grep -qx "$d" deploy/socmeshd.service || fail "socmeshd.service lacks $d"
done
# verify checks the binary and the man pages it names: point both at the
# DESTDIR copy.
mkdir -p "$T/unit"
sed "s|^ExecStart=/usr/sbin/socmeshd|ExecStart=$R/usr/sbin/socmeshd|" "$unit" >"$T/unit/socmeshd.service"
if ! MANPATH="$R/usr/share/man" systemd-analyze verify "$T/unit/socmeshd.service" >"$T/verify" 2>&1 ||
	[ -s "$T/verify" ]; then
	fail "systemd-analyze verify: $(cat "$T/verify")"
fi
# ... and it would notice a mistake.
printf '[Service]\nProtectSystem=bogus\n' >>"$T/unit/socmeshd.service"
MANPATH="$R/usr/share/man" systemd-analyze verify "$T/unit/socmeshd.service" >"$T/verify" 2>&1
[ -s "$T/verify" ] || fail "systemd-analyze verify did not notice a bad value"

make --no-print-directory -s uninstall DESTDIR="$R" PREFIX=/usr >/dev/null 2>&1 || fail "make uninstall"
left=$(find "$R" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"

# ---- the example configuration documents every key and is accepted -------
node E
keys() { grep -E '^[a-z_]+ *=' "$1" | sed 's/ *=.*//' | sort; }
[ "$(keys deploy/socmesh.conf.example)" = "$(keys "$T/E/socmesh.conf")" ] ||
	fail "socmesh.conf.example and the keys socmesh init writes differ"
cp deploy/socmesh.conf.example "$T/E/socmesh.conf"
"$SMD" -n --dir "$T/E" 2>"$T/err" && grep -q "configuration OK" "$T/err" ||
	fail "socmeshd -n refuses socmesh.conf.example: $(cat "$T/err")"

# ---- options -----------------------------------------------------------------
"$SMD" --log-level loud --dir "$T/E" 2>"$T/err"
[ $? -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "log-level" "$T/err" ||
	fail "--log-level loud: $(cat "$T/err")"

# --syslog: nothing on stderr
"$SMD" --syslog --dir "$T/E" 2>"$T/E.err" &
echo $! >"$T/E.pid"
wait_until 10 "$SM" peers --dir "$T/E" || fail "E did not start with --syslog"
stop E
[ -s "$T/E.err" ] && fail "--syslog still wrote to stderr: $(cat "$T/E.err")"

# ---- sd_notify: READY=1 when the socket and the listener are up ---------
node A; node B
trust A B member connect; trust B A member
# The listener checks, the moment READY=1 arrives, that the control socket
# and the peer port take connections.
python3 - "$T/notify" "$T/A/control.sock" "$(cat "$T/A.port")" >"$T/notify.log" 2>&1 <<'EOF' &
import socket, sys
def takes(family, addr):
    c = socket.socket(family, socket.SOCK_STREAM)
    try:
        c.connect(addr)
        return "ok"
    except OSError as e:
        return "refused (%s)" % e
    finally:
        c.close()
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
checked = False
while True:
    m = s.recv(4096).decode()
    print(m, flush=True)
    if "READY=1" in m and not checked:
        checked = True
        print("at READY: control %s, listener %s" % (takes(socket.AF_UNIX, sys.argv[2]),
              takes(socket.AF_INET, ("127.0.0.1", int(sys.argv[3])))), flush=True)
    if "STOPPING=1" in m:
        break
EOF
echo $! >"$T/listener.pid"
wait_until 5 test -S "$T/notify" || fail "notify listener did not start"
NOTIFY_SOCKET="$T/notify" "$SMD" --dir "$T/A" --log-level debug 2>>"$T/A.log" &
echo $! >"$T/A.pid"
wait_until 10 grep -q "^at READY" "$T/notify.log" || fail "no READY=1 from socmeshd"
grep -qx "at READY: control ok, listener ok" "$T/notify.log" ||
	fail "READY=1 came too early: $(grep '^at READY' "$T/notify.log")"
"$SMD" --dir "$T/A" 2>"$T/err" && fail "a second socmeshd started for the same node"
grep -q "is using this node" "$T/err" || fail "second socmeshd: $(cat "$T/err")"
kill -HUP "$(cat "$T/A.pid")"
wait_until 5 grep -q "^RELOADING=1" "$T/notify.log" || fail "no RELOADING=1 on SIGHUP"
grep -A1 "^RELOADING=1" "$T/notify.log" | grep -q "^MONOTONIC_USEC=[0-9]" ||
	fail "RELOADING=1 without MONOTONIC_USEC"
wait_until 5 sh -c "[ \$(grep -cx READY=1 $T/notify.log) -ge 2 ]" || fail "no READY=1 after the reload"

# ---- two nodes talking: prometheus figures, logs without secrets --------
# B logs to "journald": a stderr whose device and inode are JOURNAL_STREAM.
: >"$T/B.log"
JOURNAL_STREAM=$(stat -c %d:%i "$T/B.log") "$SMD" --dir "$T/B" --log-level debug 2>>"$T/B.log" &
echo $! >"$T/B.pid"
wait_until 10 "$SM" peers --dir "$T/B" || fail "B did not start"
grep -q '^<6>node B ' "$T/B.log" || fail "no journald priority prefix: $(head -n 1 "$T/B.log")"
grep -q '^<6>' "$T/A.log" && fail "a priority prefix on a stderr that is not the journal"
wait_until 5 connected A B || fail "A-B not connected"
SECRET_TITLE="Wire transfer fraud ring zq7x"
SECRET_NOTE="the board was told on call 4417"
g=$(publish A --tlp green --title "Green note" --indicator 192.0.2.41)
a=$(publish A --tlp amber --to B --title "$SECRET_TITLE" --summary "$SECRET_NOTE" \
	--indicator 203.0.113.99)
wait_until 5 has B "$a" || fail "amber did not reach B"
wait_until 5 has B "$g" || fail "green did not reach B"
# A sync interval is 1 s: wait for a completed reconciliation.
wait_until 10 sh -c "$SM stats --prometheus --dir $T/A | grep -q '^socmesh_reconciliations_total{peer=\"B\"} [1-9]'" ||
	fail "no completed reconciliation in stats --prometheus"
"$SM" stats --prometheus --dir "$T/A" >"$T/prom" || fail "stats --prometheus"
for want in 'socmesh_peers_connected 1' 'socmesh_peer_up{peer="B",level="member"} 1' \
	'socmesh_messages{tlp="green"} 1' 'socmesh_messages{tlp="amber"} 1' \
	'socmesh_messages_by_kind{kind="incident"} 2' 'socmesh_peers{level="member"} 1'; do
	grep -qxF "$want" "$T/prom" || fail "stats --prometheus lacks '$want'"
done
for q in 0.99 1; do
	grep -Eq "^socmesh_loop_lag_seconds\\{quantile=\"$q\"\\} [0-9]+\\.[0-9]{6}\$" "$T/prom" ||
		fail "stats --prometheus lacks the loop lag's $q quantile"
done
grep -Eq '^socmesh_peer_sent_total\{peer="B"\} ([2-9]|[1-9][0-9]+)$' "$T/prom" ||
	fail "stats --prometheus: A sent B fewer than 2 messages"
for m in socmesh_store_used_bytes socmesh_store_size_bytes socmesh_uptime_seconds \
	'socmesh_reconciliation_lag_seconds{peer="B"}' socmesh_rejections_total; do
	grep -q "^$m\|^# TYPE $m" "$T/prom" || fail "stats --prometheus lacks $m"
done
# The exposition format: HELP and TYPE before each metric's samples, and
# every sample "name{labels} number".
awk '/^# TYPE /{t[$3]=1; next} /^#/{next}
	!/^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.]+$/ {print "bad line: " $0; bad=1}
	{n=$1; sub(/\{.*/, "", n); if (!(n in t)) {print "no TYPE before " n; bad=1}}
	END {exit bad}' "$T/prom" >"$T/awk" || fail "stats --prometheus format: $(cat "$T/awk")"
"$SM" stats --prometheus --json --dir "$T/A" >/dev/null 2>&1 && fail "--prometheus with --json accepted"

for n in A B; do
	grep -q "stored\|reconciliation complete" "$T/$n.log" || fail "$n: --log-level debug logged no debug line"
	for secret in "$SECRET_TITLE" "$SECRET_NOTE" "$(cat "$T/$n/node.key")"; do
		grep -qF "$secret" "$T/$n.log" && fail "$n's log holds a secret: $secret"
	done
done

# ---- hot backup while A runs and publishes; restore only when stopped --
for i in 1 2 3 4 5; do publish A --tlp green --title "before backup $i" >/dev/null; done
( for i in 1 2 3 4 5 6 7 8 9 10; do publish A --tlp green --title "during backup $i" >/dev/null; done ) &
writer=$!
"$SM" backup --dir "$T/A" --to "$T/a.backup" >"$T/out" 2>"$T/err" || fail "backup: $(cat "$T/err")"
wait $writer
grep -q "^backup of [0-9]* messages written to $T/a.backup" "$T/out" || fail "backup said: $(cat "$T/out")"
[ "$(stat -c %a "$T/a.backup")" = 600 ] || fail "backup file mode is not 600"
held=$(sed 's/^backup of \([0-9]*\) .*/\1/' "$T/out")
[ "$held" -ge 7 ] || fail "backup holds $held messages, fewer than the 7 before it"
"$SM" restore --dir "$T/A" --from "$T/a.backup" 2>"$T/err" && fail "restore accepted while socmeshd runs"
grep -q "stop it first" "$T/err" || fail "restore while running: $(cat "$T/err")"
late=$(publish A --tlp green --title "after the backup")
wait_until 5 has B "$late" || fail "B did not get the message published after the backup"
seq_of() { "$SM" show "$2" --dir "$T/$1" --json | sed -n 's/.*"seq":\([0-9]*\).*/\1/p'; }
lseq=$(seq_of A "$late")
total=$(count A)
kill -TERM "$(cat "$T/A.pid")"
wait "$(cat "$T/A.pid")" || fail "socmeshd A did not exit 0 on SIGTERM"
rm -f "$T/A.pid"
wait_until 5 grep -qx STOPPING=1 "$T/notify.log" || fail "no STOPPING=1 at shutdown"
wait "$(cat "$T/listener.pid")" 2>/dev/null; rm -f "$T/listener.pid"

# Refused restores and backups leave the store as it was.
stored() { "$SM" check --dir "$T/$1" | sed -n 's/^store OK: \([0-9]*\) messages.*/\1/p'; }
refused() { # refused PATTERN DESCRIPTION COMMAND...
	pat=$1 what=$2; shift 2
	if "$@" >/dev/null 2>"$T/err"; then fail "$what: accepted"
	else grep -q -- "$pat" "$T/err" || fail "$what: $(cat "$T/err")"; fi
}
head -c 100000 /dev/urandom >"$T/junk"
refused "not a socmesh backup" "restore from random bytes" "$SM" restore --dir "$T/A" --from "$T/junk"
: >"$T/empty"
refused "holds no messages" "restore from an empty file" "$SM" restore --dir "$T/A" --from "$T/empty"
mkfifo "$T/fifo"
refused "not a regular file" "restore from a FIFO" "$SM" restore --dir "$T/A" --from "$T/fifo"
"$SM" backup --dir "$T/B" --to "$T/b.backup" >/dev/null || fail "backup of B"
refused "another node" "restore of B's backup into A" "$SM" restore --dir "$T/A" --from "$T/b.backup"
refused "not inside the node directory" "backup over the live store" \
	"$SM" backup --dir "$T/A" --to "$T/A/store/data.mdb"
refused "not inside the node directory" "backup into the node directory" \
	"$SM" backup --dir "$T/A" --to "$T/A/node.key"
refused "No such file" "backup into a missing directory" "$SM" backup --dir "$T/A" --to "$T/none/x"
# A process with the store open holds LMDB's read lock on its lock file
# (as a CLI command beside the stopped daemon would): no restore then.
python3 -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 1, 0)
print("held", flush=True)
time.sleep(60)' "$T/A/store/lock.mdb" >"$T/holder.out" &
echo $! >"$T/holder.pid"
wait_until 5 grep -q held "$T/holder.out" || fail "could not hold the store's lock file"
refused "open in another process" "restore while the store is open" \
	"$SM" restore --dir "$T/A" --from "$T/a.backup"
kill "$(cat "$T/holder.pid")"; wait "$(cat "$T/holder.pid")" 2>/dev/null; rm -f "$T/holder.pid"
[ ! -e "$T/A/store/.restore" ] || fail "a refused restore left its staging directory"
[ "$(stored A)" = "$total" ] || fail "refused restores changed the store: $(stored A) messages, not $total"

# Restore over a store that has more: the old one is kept, and a second
# restore waits until it is moved away.
"$SM" restore --dir "$T/A" --from "$T/a.backup" >"$T/out" 2>"$T/err" || fail "restore: $(cat "$T/err")"
grep -q "kept as $T/A/store/data.mdb.before-restore" "$T/out" || fail "restore said: $(cat "$T/out")"
[ "$(stored A)" = "$held" ] || fail "restored store holds $(stored A) messages, not the backup's $held"
cp -r "$T/A" "$T/A2" && mv "$T/A2/store/data.mdb.before-restore" "$T/A2/store/data.mdb" &&
	rm -f "$T/A2/store/lock.mdb"
[ "$(stored A2)" = "$total" ] || fail "the kept store holds $(stored A2) messages, not $total"
refused "earlier restore" "a second restore" "$SM" restore --dir "$T/A" --from "$T/a.backup"
[ -f "$T/A/store/data.mdb.before-restore" ] || fail "a refused second restore lost the kept store"

# The restored node never hands out again a seq it used after the backup
# (B is down: nothing comes back from it first).
stop B
start A
has A "$late" && fail "the restored store holds what came after the backup"
new=$(publish A --tlp green --title "after the restore")
[ "$(seq_of A "$new")" -gt "$lseq" ] ||
	fail "seq $(seq_of A "$new") after the restore; $lseq was used before it"
stop A

# Disaster: the store is lost.  Restore, start, and catch up from B.
mv "$T/A/store/data.mdb.before-restore" "$T/before-restore.mdb"
rm -f "$T/A/store/data.mdb" "$T/A/store/lock.mdb"
"$SM" restore --dir "$T/A" --from "$T/a.backup" >"$T/out" 2>"$T/err" || fail "restore: $(cat "$T/err")"
[ "$(stored A)" = "$held" ] || fail "restored store holds $(stored A) messages, not the backup's $held"
[ -f "$T/A/store/data.mdb.before-restore" ] && fail "restore into a lost store invented a previous one"
start B; start A
wait_until 10 has A "$late" || fail "the restored node did not catch up from B"
"$SM" show "$a" --dir "$T/A" | grep -qF "$SECRET_TITLE" || fail "restored node cannot read its own amber message"

# ---- IPv6: a node listening on [::1], dialled over IPv6 -------------------
if ! python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	echo "no IPv6 loopback here: the IPv6 part is skipped"
	finish
	exit
fi
for n in V W; do
	"$SM" init --dir "$T/$n" --name "$n" --listen "tcp://[::1]:$(free_port)" >/dev/null || fail "init $n"
done
"$SM" trust add --dir "$T/W" --name V --key "$(id_of V)" --endpoint "$(sed -n 's/^listen = //p' "$T/V/socmesh.conf")"
"$SM" trust add --dir "$T/V" --name W --key "$(id_of W)"
start V; start W
wait_until 5 connected W V || fail "no connection over IPv6 loopback"
v6=$(publish W --tlp green --title "over IPv6")
wait_until 5 has V "$v6" || fail "a message did not cross the IPv6 link"
finish
