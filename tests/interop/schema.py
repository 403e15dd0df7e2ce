#!/usr/bin/python3
"""Validate socmesh's exports against the standards' own JSON schemas.

    python3 tests/interop/schema.py [--shared DIR] stix FILE...
    python3 tests/interop/schema.py [--shared DIR] misp FILE...

stix: each FILE is a STIX 2.1 bundle (or a TAXII envelope {"objects": [...]},
or one STIX object);
the bundle is checked against common/bundle.json (but for its objects), and
every object against the schema of its type (sdos/, sros/, observables/, common/ marking and
extension definitions, common/core.json for a custom type), with every schema
file of DIR/stix2-json-schemas/schemas loaded into the resolver and formats
checked.

misp: each FILE holds one {"Event": ...}, a list of them, or {"response":
[...]}; every event is checked against DIR/misp/schema.json.

DIR defaults to ../shared/interop relative to the repository root (found from
this script's own path).  Exit 0 when every file is valid; else each error is
printed as FILE: OBJECT: PATH: MESSAGE and the exit status is 1 (2 for bad
usage or an unreadable file).
"""

import argparse
import json
import os
import sys

import jsonschema
from jsonschema import Draft202012Validator

try:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012
except ImportError:  # jsonschema before 4.18: RefResolver only
    Registry = None

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_SHARED = os.path.join(os.path.dirname(ROOT), "shared", "interop")


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class Stix:
    """The STIX 2.1 schemas of a folder, and a validator per schema file."""

    def __init__(self, folder):
        self.folder = folder
        self.store = {}  # $id -> schema
        self.byfile = {}  # "sdos/report.json" -> $id
        for sub in sorted(os.listdir(folder)):
            d = os.path.join(folder, sub)
            if not os.path.isdir(d):
                continue
            for name in sorted(os.listdir(d)):
                if not name.endswith(".json"):
                    continue
                schema = load_json(os.path.join(d, name))
                sid = schema.get("$id") or "file://" + os.path.join(d, name)
                self.store[sid] = schema
                self.byfile[sub + "/" + name] = sid
        self.validators = {}
        if Registry is not None:
            self.registry = Registry().with_resources(
                (sid, Resource.from_contents(s, default_specification=DRAFT202012))
                for sid, s in self.store.items())

    def validator(self, relpath):
        if relpath not in self.validators:
            sid = self.byfile[relpath]
            schema = self.store[sid]
            fc = Draft202012Validator.FORMAT_CHECKER
            if Registry is not None:
                v = Draft202012Validator(schema, registry=self.registry, format_checker=fc)
            else:
                resolver = jsonschema.RefResolver(sid, schema, store=self.store)
                v = Draft202012Validator(schema, resolver=resolver, format_checker=fc)
            self.validators[relpath] = v
        return self.validators[relpath]

    def schema_of(self, obj):
        t = obj.get("type") if isinstance(obj, dict) else None
        if not isinstance(t, str):
            return "common/core.json"
        for sub in ("sdos", "sros", "observables", "common"):
            rel = "%s/%s.json" % (sub, t)
            if rel in self.byfile and sub != "common":
                return rel
        if t in ("marking-definition", "extension-definition", "language-content"):
            return "common/%s.json" % t
        if t == "bundle":
            return "common/bundle.json"
        return "common/core.json"


def errors_of(validator, instance):
    return sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))


def where(err):
    return "/" + "/".join(str(p) for p in err.absolute_path)


def check_stix(stix, path, doc, out):
    ok = True
    if not isinstance(doc, dict):
        out.append("%s: -: /: not a JSON object" % path)
        return False
    if doc.get("type") == "bundle":
        for e in errors_of(stix.validator("common/bundle.json"), doc):
            # an object of the bundle is checked below by the schema of its
            # type: the bundle schema's own check of its items is a oneOf
            # that types it does not list (note, grouping, location,
            # extension-definition, ...) fail, as core and cyber-observable
            # core both match them
            p = list(e.absolute_path)
            if len(p) >= 2 and p[0] == "objects" and isinstance(p[1], int):
                continue
            out.append("%s: %s: %s: %.300s" % (path, doc.get("id"), where(e), e.message))
            ok = False
    elif isinstance(doc.get("type"), str) and "objects" not in doc:
        doc = {"objects": [doc]}  # one STIX object alone
    elif not isinstance(doc.get("objects"), list):
        out.append("%s: -: /: neither a bundle nor an envelope with objects" % path)
        return False
    for i, obj in enumerate(doc.get("objects") or []):
        rel = stix.schema_of(obj)
        oid = obj.get("id") if isinstance(obj, dict) else None
        for e in errors_of(stix.validator(rel), obj):
            out.append("%s: %s: /objects/%d%s: %.300s (%s)" % (path, oid or i, i, where(e),
                                                          e.message, rel))
            ok = False
    return ok


def events_of(doc):
    if isinstance(doc, dict) and "response" in doc:
        doc = doc["response"]
    if isinstance(doc, dict):
        return [doc]
    if isinstance(doc, list):
        return doc
    return [doc]


def check_misp(validator, path, doc, out):
    ok = True
    for i, ev in enumerate(events_of(doc)):
        if not isinstance(ev, dict) or "Event" not in ev:
            ev = {"Event": ev}
        uuid = ev["Event"].get("uuid") if isinstance(ev["Event"], dict) else None
        for e in errors_of(validator, ev):
            out.append("%s: %s: event %d%s: %s" % (path, uuid or "-", i, where(e), e.message))
            ok = False
    return ok


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", default=DEFAULT_SHARED,
                    help="the folder of the standards' artefacts (default: %(default)s)")
    ap.add_argument("format", choices=("stix", "misp"))
    ap.add_argument("files", nargs="+", metavar="FILE")
    a = ap.parse_args(argv)
    out = []
    ok = True
    try:
        if a.format == "stix":
            stix = Stix(os.path.join(a.shared, "stix2-json-schemas", "schemas"))
            for f in a.files:
                ok &= check_stix(stix, f, load_json(f), out)
        else:
            schema = load_json(os.path.join(a.shared, "misp", "schema.json"))
            cls = jsonschema.validators.validator_for(schema)
            validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
            for f in a.files:
                ok &= check_misp(validator, f, load_json(f), out)
    except (OSError, ValueError) as e:
        print("schema.py: %s" % e, file=sys.stderr)
        return 2
    for line in out:
        print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
