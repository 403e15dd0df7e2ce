#!/bin/sh
# Issue 9: the daemon is the store's only writer, so the CLI is a client of
# the control socket: build/socmesh links neither the peer protocol, the
# ingest pipeline, the control socket's server side, nor the ways the
# daemon writes messages (publish, import).  What it may still link is the
# store itself, for the commands that need no daemon by nature (init,
# check of a stopped node, backup, restore).
set -u
. tests/integration/lib/nodes.sh

for sym in gossip_new gossip_push ingest_new ingest_submit control_new node_judge node_prepare \
	eligible_set accept_judge; do
	nm "$SM" | grep -q " T $sym\$" && fail "the CLI links $sym"
	nm "$SMD" | grep -q " T $sym\$" || fail "socmeshd lacks $sym (is the check still meaningful?)"
done
a=$(stat -c %s "$SM") d=$(stat -c %s "$SMD")
[ "$a" -lt "$d" ] || fail "the CLI ($a bytes) is not smaller than the daemon ($d bytes)"
finish
