#!/usr/bin/env python3
"""A TAXII 2.1 client (Python 3 standard library only) that checks a socmesh
node's TAXII server as the OASIS TAXII 2.1 specification says a server
behaves.  tests/integration/taxii.sh runs it.

    python3 tests/interop/taxii_client.py --discovery URL --cacert PEM \\
        --green NAME:PASSWORD --amber NAME:PASSWORD --bulk N \\
        --amber-title TITLE --versions-title TITLE [--retracted-title TITLE] [--peer-title TITLE] [--out FILE]

Every request sends Accept: application/taxii+json;version=2.1 and every
reply's Content-Type is checked.  --bulk N: the GREEN collection holds at
least N reports.  --amber-title: the title of an AMBER case that the AMBER
user sees and the GREEN user never does.  --versions-title: a GREEN case
with one update (two versions of its report).  --retracted-title: a GREEN
case retracted by its origin (served once, revoked; two versions).
--peer-title: a GREEN case of another SOC (its own identity).  --out FILE: every object
pulled, as one envelope, for tests/interop/schema.py.  Exit 0 when every
check passes; else each failure is printed and the status is 1.
"""

import argparse
import base64
import http.client
import json
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

MEDIA = "application/taxii+json;version=2.1"
STIX_MEDIA = "application/stix+json;version=2.1"
AMBER_MARKINGS = {
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
}
# The OASIS TC's identity, which created the TLP 2.0 extension definition.
OASIS_IDENTITY = "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01"
RED_MARKING = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


def media_ok(value):
    """Whether a Content-Type is application/taxii+json;version=2.1."""
    if value is None:
        return False
    parts = [p.strip() for p in value.split(";")]
    if parts[0].lower() != "application/taxii+json":
        return False
    params = {}
    for p in parts[1:]:
        if "=" in p:
            k, v = p.split("=", 1)
            params[k.strip().lower()] = v.strip().strip('"')
    return params.get("version") == "2.1"


class Client:
    def __init__(self, ctx, user=None):
        self.ctx = ctx
        self.user = user

    def request(self, url, method="GET", body=None, accept=MEDIA, content_type=MEDIA,
                auth=True):
        """(status, headers, parsed JSON body or None)."""
        headers = {}
        if accept is not None:
            headers["Accept"] = accept
        if auth and self.user is not None:
            token = base64.b64encode(self.user.encode()).decode()
            headers["Authorization"] = "Basic " + token
        if body is not None:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=60) as r:
                status, hdrs, raw = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, raw = e.code, e.headers, e.read()
        check(media_ok(hdrs.get("Content-Type")),
              "%s %s: Content-Type %r" % (method, url, hdrs.get("Content-Type")))
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            fail("%s %s: the body is not JSON: %r" % (method, url, raw[:200]))
            doc = None
        if status >= 400:
            check(isinstance(doc, dict) and isinstance(doc.get("title"), str)
                  and doc.get("http_status") == str(status),
                  "%s %s: %d without a TAXII error message: %r" % (method, url, status, doc))
        return status, hdrs, doc

    def get(self, url, **kw):
        return self.request(url, **kw)


def with_params(url, params):
    if not params:
        return url
    return url + "?" + urllib.parse.urlencode(params)


def pull(client, url, params, follow="next"):
    """Every object of a collection's objects (or manifest) endpoint, page by
    page: by "next" while "more", or by added_after = the page's
    X-TAXII-Date-Added-Last.  Returns (objects, pages)."""
    out, pages, params = [], [], dict(params)
    for _ in range(10000):
        status, hdrs, doc = client.get(with_params(url, params))
        if not check(status == 200, "GET %s: status %d %r" % (url, status, doc)):
            break
        objs = doc.get("objects", [])
        check(isinstance(doc.get("more"), bool), "%s: no boolean more: %r" % (url, doc))
        check(len(objs) <= int(params.get("limit", 100)),
              "%s: %d objects, limit %s" % (url, len(objs), params.get("limit")))
        if objs:
            check(hdrs.get("X-TAXII-Date-Added-First") is not None
                  and hdrs.get("X-TAXII-Date-Added-Last") is not None,
                  "%s: a page without X-TAXII-Date-Added-First/-Last" % url)
        pages.append((hdrs, doc))
        out.extend(objs)
        if not doc.get("more"):
            check("next" not in doc or follow != "next",
                  "%s: next without more" % url)
            break
        if follow == "next":
            if not check(isinstance(doc.get("next"), str), "%s: more without next" % url):
                break
            params["next"] = doc["next"]
        else:
            last = hdrs.get("X-TAXII-Date-Added-Last")
            if not check(last is not None, "%s: more without X-TAXII-Date-Added-Last" % url):
                break
            params["added_after"] = last
    return out, pages


def key(o):
    return (o["id"], o.get("modified") or o.get("created") or "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--discovery", required=True)
    ap.add_argument("--cacert", required=True)
    ap.add_argument("--green", required=True)
    ap.add_argument("--amber", required=True)
    ap.add_argument("--bulk", type=int, default=1000)
    ap.add_argument("--amber-title", required=True)
    ap.add_argument("--versions-title", required=True)
    ap.add_argument("--retracted-title")
    ap.add_argument("--peer-title")
    ap.add_argument("--out")
    a = ap.parse_args()

    ctx = ssl.create_default_context(cafile=a.cacert)
    green, amber = Client(ctx, a.green), Client(ctx, a.amber)
    nobody = Client(ctx, None)
    wrong = Client(ctx, a.green.split(":", 1)[0] + ":not-the-password")

    # Authentication, negotiation.
    for c, what in ((nobody, "no credentials"), (wrong, "a wrong password")):
        status, hdrs, _ = c.get(a.discovery)
        check(status == 401, "discovery with %s: %d, not 401" % (what, status))
        check((hdrs.get("WWW-Authenticate") or "").startswith("Basic "),
              "401 without WWW-Authenticate: Basic (%r)" % hdrs.get("WWW-Authenticate"))
    status, _, _ = green.get(a.discovery, accept="application/json")
    check(status == 406, "Accept: application/json gave %d, not 406" % status)
    status, _, _ = green.get(a.discovery, accept="application/taxii+json;version=2.0")
    check(status == 406, "Accept: version=2.0 gave %d, not 406" % status)

    # Discovery and the API root.
    status, _, disc = green.get(a.discovery)
    check(status == 200, "discovery: %d" % status)
    check(isinstance(disc.get("title"), str) and disc["title"], "discovery: no title")
    roots = disc.get("api_roots") or []
    check(len(roots) == 1 and disc.get("default") == roots[0],
          "discovery: api_roots %r, default %r" % (roots, disc.get("default")))
    root = roots[0]
    status, _, api = green.get(root)
    check(status == 200, "API root: %d" % status)
    check(isinstance(api.get("title"), str) and MEDIA in api.get("versions", [])
          and isinstance(api.get("max_content_length"), int)
          and api["max_content_length"] > 0, "API root: %r" % api)
    max_len = api.get("max_content_length", 16 << 20)

    # Collections per user.
    cols = {}
    for c, name, want in ((green, "green", ["TLP:CLEAR", "TLP:GREEN", "Inbox"]),
                          (amber, "amber", ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "Inbox"])):
        status, _, doc = c.get(root + "collections/")
        check(status == 200, "%s: collections: %d" % (name, status))
        got = {col["title"]: col for col in doc.get("collections", [])}
        check(sorted(got) == sorted(want), "%s: collections %r, not %r" % (name, sorted(got), want))
        for col in got.values():
            check(set(col) >= {"id", "title", "can_read", "can_write"}, "collection %r" % col)
            inbox = col["title"] == "Inbox"
            check(col["can_read"] is (not inbox) and col["can_write"] is inbox,
                  "collection %s: can_read %r, can_write %r" % (col["title"], col["can_read"],
                                                                 col["can_write"]))
            status, _, one = c.get(root + "collections/" + col["id"] + "/")
            check(status == 200 and one == col, "GET collection %s: %d %r" % (col["id"], status, one))
        cols[name] = got
    gid = cols["green"]["TLP:GREEN"]["id"]
    aid = cols["amber"]["TLP:AMBER"]["id"]
    inbox = cols["green"]["Inbox"]["id"]
    gurl = root + "collections/" + gid + "/"
    aurl = root + "collections/" + aid + "/"
    iurl = root + "collections/" + inbox + "/"

    # The GREEN user never sees AMBER.
    for path in ("", "objects/", "manifest/"):
        status, _, _ = green.get(aurl + path)
        check(status == 404, "green user GET amber collection %s: %d, not 404" % (path, status))
    status, _, _ = green.get(iurl + "objects/")
    check(status == 403, "GET objects of the inbox: %d, not 403" % status)

    # Paging through the GREEN collection: by next with limit=100, against
    # limit=1000, and resumed by added_after.
    t0 = time.time()
    by100, pages = pull(green, gurl + "objects/", {"limit": "100"})
    print("paged %d objects in %d pages of at most 100 in %.1f s" %
          (len(by100), len(pages), time.time() - t0), flush=True)
    by1000, _ = pull(green, gurl + "objects/", {"limit": "1000"})
    check([key(o) for o in by100] == [key(o) for o in by1000],
          "limit=100 and limit=1000 give different objects (%d, %d)" % (len(by100), len(by1000)))
    keys = [key(o) for o in by100]
    check(len(keys) == len(set(keys)), "an object came twice (%d, %d distinct)" %
          (len(keys), len(set(keys))))
    ids = [o["id"] for o in by100]
    check(len(ids) == len(set(ids)), "match[version] last gave an object twice")
    reports = [o for o in by100 if o["type"] == "report"]
    check(len(reports) >= a.bulk, "%d reports, not at least %d" % (len(reports), a.bulk))
    check(len(pages) >= len(by100) // 100, "%d pages for %d objects" % (len(pages), len(by100)))
    for o in by100:
        marks = set(o.get("object_marking_refs", []))
        check(not marks & AMBER_MARKINGS and RED_MARKING not in marks and
              o.get("name") != a.amber_title, "the GREEN collection serves %s" % o["id"])
    # What the objects name is served with them: identities and markings.
    served = {o["id"] for o in by100}
    for o in by100:
        for ref in [o.get("created_by_ref")] + o.get("object_marking_refs", []):
            check(ref is None or ref in served or ref == OASIS_IDENTITY,
                  "%s names %s, not served" % (o["id"], ref))
    idents = [o for o in by100 if o["type"] == "identity"]
    check(len(idents) == len({o["id"] for o in idents}), "an identity came twice")
    if a.peer_title:
        peer = [o for o in by100 if o["type"] == "report" and o.get("name") == a.peer_title]
        mine = {o.get("created_by_ref") for o in reports if o.get("name") != a.peer_title}
        check(len(peer) == 1 and peer[0].get("created_by_ref") not in mine and len(idents) >= 2,
              "the other SOC's case: %r, %d identities" % (peer and peer[0].get("created_by_ref"),
                                                          len(idents)))
    by_date, _ = pull(green, gurl + "objects/", {"limit": "100"}, follow="added_after")
    check([key(o) for o in by_date] == keys,
          "resuming with added_after gives %d objects, not the %d of next" %
          (len(by_date), len(keys)))
    # One page, then the rest from its X-TAXII-Date-Added-Last.
    status, hdrs, first = green.get(with_params(gurl + "objects/", {"limit": "100"}))
    rest, _ = pull(green, gurl + "objects/",
                   {"limit": "100", "added_after": hdrs.get("X-TAXII-Date-Added-Last")})
    check([key(o) for o in first.get("objects", []) + rest] == keys,
          "first page + added_after its last date: %d objects, not %d" %
          (len(first.get("objects", [])) + len(rest), len(keys)))

    # Filters.
    only, _ = pull(green, gurl + "objects/", {"limit": "1000", "match[type]": "indicator"})
    check(only and all(o["type"] == "indicator" for o in only), "match[type]=indicator")
    check(len(only) == sum(1 for o in by100 if o["type"] == "indicator"),
          "match[type]=indicator: %d" % len(only))
    some = [o["id"] for o in by100[5:8]]
    got, _ = pull(green, gurl + "objects/", {"match[id]": ",".join(some)})
    check(sorted(o["id"] for o in got) == sorted(some), "match[id]: %r" % [o["id"] for o in got])
    got, _ = pull(green, gurl + "objects/", {"match[spec_version]": "2.0"})
    check(got == [], "match[spec_version]=2.0 gave %d objects" % len(got))
    status, _, _ = green.get(with_params(gurl + "objects/", {"limit": "x"}))
    check(status == 400, "limit=x: %d, not 400" % status)
    status, _, _ = green.get(with_params(gurl + "objects/", {"next": "bogus"}))
    check(status == 400, "next=bogus: %d, not 400" % status)
    status, _, _ = green.get(with_params(gurl + "objects/", {"added_after": "yesterday"}))
    check(status == 400, "added_after=yesterday: %d, not 400" % status)

    # Manifest: the same objects, by added_after.
    man, _ = pull(green, gurl + "manifest/", {"limit": "100"}, follow="added_after")
    check([(m["id"], m["version"]) for m in man] == keys,
          "manifest: %d records, not the %d objects" % (len(man), len(keys)))
    man2, _ = pull(green, gurl + "manifest/", {"limit": "100"})
    check(man2 == man, "manifest by next: %d records, by added_after %d" % (len(man2), len(man)))
    check(all(m.get("media_type") == STIX_MEDIA and "date_added" in m for m in man),
          "manifest records without media_type or date_added")

    # An object by id and its versions: the case with one update.
    case = [o for o in by100 if o["type"] == "report" and o.get("name") == a.versions_title]
    if check(len(case) == 1, "the case %r: %d reports" % (a.versions_title, len(case))):
        rid = case[0]["id"]
        ourl = gurl + "objects/" + rid + "/"
        status, _, doc = green.get(ourl + "versions/")
        vs = doc.get("versions", []) if doc else []
        check(status == 200 and len(vs) == 2 and vs[0] < vs[1],
              "versions of %s: %d %r" % (rid, status, doc))
        status, _, doc = green.get(ourl)
        objs = doc.get("objects", []) if doc else []
        check(status == 200 and len(objs) == 1 and vs and objs[0].get("modified") == vs[-1],
              "GET %s: %r" % (rid, [key(o) for o in objs]))
        check(objs and objs[0] == case[0], "GET %s differs from its object in the list" % rid)
        status, _, doc = green.get(with_params(ourl, {"match[version]": "all"}))
        check(status == 200 and len(doc.get("objects", [])) == 2, "match[version]=all")
        status, _, doc = green.get(with_params(ourl, {"match[version]": "first"}))
        check(status == 200 and vs and [o.get("modified") for o in doc.get("objects", [])] ==
              [vs[0]], "match[version]=first")
        if vs:
            status, _, doc = green.get(with_params(ourl, {"match[version]": vs[0]}))
            check(status == 200 and len(doc.get("objects", [])) == 1, "match[version]=TIME")
        allv, _ = pull(green, gurl + "objects/", {"match[version]": "all", "match[id]": rid})
        check(len(allv) == 2, "objects with match[version]=all,match[id]: %d" % len(allv))
    if a.retracted_title:
        gone = [o for o in by100 if o["type"] == "report" and o.get("name") == a.retracted_title]
        if check(len(gone) == 1 and gone[0].get("revoked") is True,
                 "the retracted case: %r" % [key(o) + (o.get("revoked"),) for o in gone]):
            status, _, doc = green.get(gurl + "objects/" + gone[0]["id"] + "/versions/")
            check(status == 200 and len(doc.get("versions", [])) == 2,
                  "versions of the retracted case: %r" % doc)
    ind = next((o for o in by100 if o["type"] == "indicator"), None)
    if check(ind is not None, "no indicator"):
        status, _, doc = green.get(gurl + "objects/" + ind["id"] + "/")
        check(status == 200 and doc.get("objects") == [ind], "GET indicator %s: %d" %
              (ind["id"], status))
    for o in by100:
        if o["type"] in ("identity", "marking-definition", "extension-definition"):
            status, _, doc = green.get(gurl + "objects/" + o["id"] + "/")
            check(status == 200 and doc.get("objects") == [o], "GET shared object %s: %d %r" %
                  (o["id"], status, doc))
    status, _, _ = green.get(gurl + "objects/indicator--00000000-0000-4000-8000-000000000000/")
    check(status == 404, "GET an unknown object: %d, not 404" % status)

    # The AMBER user sees the AMBER case; the GREEN user cannot get it.
    aobjs, _ = pull(amber, aurl + "objects/", {"limit": "100"})
    acase = [o for o in aobjs if o.get("name") == a.amber_title]
    check(len(acase) == 1, "the AMBER user sees %d AMBER cases titled %r" %
          (len(acase), a.amber_title))
    for o in aobjs:
        check(o["type"] in ("identity", "marking-definition", "extension-definition") or
              set(o.get("object_marking_refs", [])) & AMBER_MARKINGS,
              "the AMBER collection serves %s without an AMBER marking" % o["id"])
    if acase:
        status, _, _ = green.get(aurl + "objects/" + acase[0]["id"] + "/")
        check(status == 404, "green user GET an AMBER object: %d" % status)
        got, _ = pull(green, gurl + "objects/", {"match[id]": acase[0]["id"]})
        check(got == [], "the GREEN collection finds the AMBER case by id")

    # POST to the inbox.
    before = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 1))
    green_mark = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
    env = {"objects": [
        {"type": "indicator", "spec_version": "2.1",
         "id": "indicator--6b1d2f3e-7c8a-4e5b-9f0a-1b2c3d4e5f60",
         "created": "2026-11-30T10:00:00.000Z", "modified": "2026-11-30T10:00:00.000Z",
         "name": "posted over TAXII", "indicator_types": ["malicious-activity"],
         "pattern": "[ipv4-addr:value = '192.0.2.201']", "pattern_type": "stix",
         "valid_from": "2026-11-30T10:00:00Z", "object_marking_refs": [green_mark]},
        {"type": "x-unknown-thing", "spec_version": "2.1",
         "id": "x-unknown-thing--0b7e1d34-62a4-4bd3-9a1e-4f1f1b2c3d4e",
         "created": "2026-11-30T10:00:00.000Z", "modified": "2026-11-30T10:00:00.000Z",
         "object_marking_refs": [green_mark]},
    ]}
    body = json.dumps(env).encode()
    status, _, st = green.request(iurl + "objects/", "POST", body)
    if check(status == 202 and isinstance(st, dict), "POST: %d %r" % (status, st)):
        check(st.get("status") == "complete" and st.get("total_count") == 2 and
              st.get("success_count", 0) + st.get("failure_count", 0) +
              st.get("pending_count", 0) == 2 and st.get("success_count") == 1,
              "status: %r" % st)
        check(any(f.get("id", "").startswith("x-unknown-thing--")
                  for f in st.get("failures", [])), "the unknown type is no failure: %r" % st)
        status, _, again = green.get(root + "status/" + st["id"] + "/")
        check(status == 200 and again == st, "GET status: %d %r" % (status, again))
        status, _, _ = amber.get(root + "status/" + st["id"] + "/")
        check(status == 404, "another user's status: %d, not 404" % status)
        new, _ = pull(green, gurl + "objects/", {"added_after": before, "match[type]": "indicator"})
        check(any("192.0.2.201" in o.get("pattern", "") for o in new),
              "the posted indicator is not served: %r" % [o.get("pattern") for o in new])
        status, _, st2 = green.request(iurl + "objects/", "POST", body)
        check(status == 202 and st2.get("success_count") == 1 and
              all(s.get("message") != "published" for s in st2.get("successes", [])),
              "POST twice published again: %r" % st2)
    status, _, _ = green.request(gurl + "objects/", "POST", body)
    check(status == 403, "POST to a read-only collection: %d, not 403" % status)
    status, _, _ = green.request(iurl + "objects/", "POST", body, content_type="application/json")
    check(status == 415, "POST as application/json: %d, not 415" % status)
    status, _, _ = green.request(iurl + "objects/", "POST", b'{"objects": [')
    check(status == 400, "POST of malformed JSON: %d, not 400" % status)
    status, _, _ = green.request(iurl + "objects/", "POST", b"[" * 100000 + b"]" * 100000)
    check(status in (400, 422), "POST of deep nesting: %d" % status)
    status, _, _ = green.request(iurl + "objects/", "POST", b'{"type": "bundle"}')
    check(status in (400, 422), "POST of no envelope: %d" % status)

    # 100 MB: refused from its Content-Length, without the body being read.
    u = urllib.parse.urlsplit(iurl)
    conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=30)
    conn.putrequest("POST", u.path + "objects/")
    conn.putheader("Accept", MEDIA)
    conn.putheader("Content-Type", MEDIA)
    conn.putheader("Authorization", "Basic " + base64.b64encode(a.green.encode()).decode())
    conn.putheader("Content-Length", str(100 * 1024 * 1024))
    conn.endheaders()
    r = conn.getresponse()
    raw = r.read()
    check(r.status == 413 and media_ok(r.getheader("Content-Type")),
          "100 MB by Content-Length: %d %r" % (r.status, raw[:200]))
    conn.close()
    # More than max_content_length, chunked: 413 once it is over.
    conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=60)
    chunk = b" " * (1 << 20)
    conn.request("POST", u.path + "objects/",
                 body=iter([chunk] * (max_len // len(chunk) + 2)),
                 headers={"Accept": MEDIA, "Content-Type": MEDIA,
                          "Authorization": "Basic " + base64.b64encode(a.green.encode()).decode()},
                 encode_chunked=True)
    r = conn.getresponse()
    r.read()
    check(r.status == 413, "a chunked body over max_content_length: %d" % r.status)
    conn.close()
    status, _, _ = green.get(root + "nothing/here/")
    check(status == 404, "an unknown path: %d" % status)
    status, _, _ = green.request(a.discovery, "DELETE")
    check(status == 405, "DELETE discovery: %d" % status)

    if a.out:
        with open(a.out, "w") as f:
            json.dump({"objects": by100 + aobjs}, f)
    print("taxii_client: %d checks failed" % len(failures) if failures else "taxii_client: ok",
          flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
