#!/bin/sh
# Independent interoperability check of docs/PROTOCOL.md sections 11 to 13:
# re-derives every test vector (messages, reconciliation, frames) in Python
# (Debian's python3-nacl and python3-msgpack, no pip) and prints TAP.  Exit
# status is non-zero on any failure, including missing dependencies (never
# a silent skip).
cd "$(dirname "$0")/../.." || exit 1
if ! /usr/bin/python3 -c 'import nacl.bindings, msgpack' >/dev/null 2>&1; then
    echo "1..1"
    echo "not ok 1 - python3-nacl/python3-msgpack missing (make deps installs them)"
    exit 1
fi
/usr/bin/python3 tests/interop/vectors.py docs/PROTOCOL.md
exit $?
