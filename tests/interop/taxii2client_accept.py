#!/usr/bin/env python3
"""Acceptance of socmesh's TAXII 2.1 server with the OASIS taxii2-client.

    python3 tests/interop/taxii2client_accept.py DISCOVERY-URL CACERT \\
        GREEN-USER:PASS AMBER-USER:PASS N

The OASIS client (the `taxii2client` package, oasis-open/cti-taxii-client,
with requests, six and pytz) is not in Debian, and PyPI is not reachable
where socmesh is tested: tests/integration/taxii.sh runs this script when
the package can be imported (PYTHONPATH), else it says it did not.  It
pulls a GREEN collection whole with the client's own pager (as_pages), gets
an object and its versions, pages the manifest, checks that a GREEN user
is offered no AMBER collection and an AMBER user is, pushes an envelope to
the inbox and waits for its status, and sees a wrong password refused.
Exit 0 when every check passed.
"""
import json
import sys

from taxii2client.v21 import Server, as_pages

disc, cacert, green_user, amber_user, n = sys.argv[1:6]
n = int(n)
fails = 0


def check(ok, what):
    global fails
    print(("ok   " if ok else "FAIL ") + what)
    fails += 0 if ok else 1
    return ok


def server(cred, password=None):
    user, _, pw = cred.partition(":")
    return Server(disc, user=user, password=password or pw, verify=cacert)


srv = server(green_user)
check(srv.title is not None, "discovery: title %r" % srv.title)
roots = srv.api_roots
check(len(roots) == 1, "api roots: %d" % len(roots))
root = roots[0]
check("application/taxii+json;version=2.1" in root.versions,
      "api root versions %r" % root.versions)
cols = {c.title: c for c in root.collections}
check("TLP:GREEN" in cols and "TLP:AMBER" not in cols, "GREEN user's collections %r" % sorted(cols))
green = cols["TLP:GREEN"]
objs, pages = [], 0
for env in as_pages(green.get_objects, per_request=100):
    pages += 1
    objs.extend(env.get("objects", []))
seen = [(o["id"], o.get("modified")) for o in objs]
check(len(seen) == len(set(seen)), "as_pages: %d objects in %d pages, none twice" % (len(objs), pages))
inds = [o for o in objs if o["type"] == "indicator"]
if check(len(inds) >= n, "indicators: %d" % len(inds)):
    one = green.get_object(inds[0]["id"])
    check(one["objects"][0]["id"] == inds[0]["id"], "get_object %s" % inds[0]["id"])
    vers = green.object_versions(inds[0]["id"])
    check(len(vers["versions"]) >= 1, "object_versions %r" % vers["versions"])
man = []
for env in as_pages(green.get_manifest, per_request=100):
    man.extend(env.get("objects", []))
check(len(man) == len(objs), "manifest: %d records" % len(man))
amber = {c.title for c in server(amber_user).api_roots[0].collections}
check("TLP:AMBER" in amber, "AMBER user's collections %r" % sorted(amber))
inbox = [c for c in root.collections if c.can_write][0]
envelope = {"objects": [{
    "type": "indicator", "spec_version": "2.1",
    "id": "indicator--0b2a84f5-7a93-4a42-8a4b-3f4c5c7d2a11",
    "created": "2026-12-01T10:00:00.000Z", "modified": "2026-12-01T10:00:00.000Z",
    "name": "pushed by taxii2-client", "pattern": "[domain-name:value = 'pushed.example.org']",
    "pattern_type": "stix", "valid_from": "2026-12-01T10:00:00Z",
    "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}]}
st = inbox.add_objects(json.dumps(envelope), wait_for_completion=True, poll_interval=1, timeout=30)
check(st.status == "complete" and st.success_count == 1,
      "add_objects: %s, %d of %d" % (st.status, st.success_count, st.total_count))
try:
    server(green_user, password="wrong").refresh()
    check(False, "a wrong password was accepted")
except Exception as e:  # the client raises requests' HTTPError
    check("401" in str(e), "wrong password: %s" % str(e)[:60])
print("taxii2client_accept: %d checks failed" % fails)
sys.exit(1 if fails else 0)
