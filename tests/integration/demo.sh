#!/bin/sh
# The demo, quiet, with its own assertions: it can never rot.
DEMO_QUIET=1 exec sh deploy/demo.sh
