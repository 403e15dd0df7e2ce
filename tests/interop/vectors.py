#!/usr/bin/python3
"""Independent check of the socmesh protocol test vectors.

Written from docs/PROTOCOL.md alone (no C source consulted).  For every
```vector block of section 11 it:

  * builds the message from the listed inputs (canonical MessagePack produced
    by the encoder below, not by a library), signs it and hashes it, and
    compares message bytes, signature and id with the block byte for byte;
  * decodes the expected bytes with a strict decoder (types of section 1,
    shortest forms, key order, field rules), verifies the signature;
  * for addressed messages, opens the sealed body as every recipient and as
    the origin (crypto_box_seal_open + XChaCha20-Poly1305) and checks that the
    plaintext is the canonical body that was encoded.

The governing kinds (roster, approve, endpoints: sections 4, 5.3-5.5), the
beacon (section 5.6), the rotation (section 5.7), the partial update and
the comment (sections 5.1, 5.8) are also checked against
tables of messages, each breaking one of their decoder rules (or none), which
the strict decoder must refuse with the reason the document gives (or
accept).  A rotation is verified with both of its signatures: the envelope's
by the origin (the old key) and the body's `proof` by the new key over
"socmesh-rotate-v1" || old id || new id.  The kind list of
section 4's envelope table is compared with the kinds section 5 specifies.

It then runs frames.py over the same text: the reconciliation vector of
section 12.4 replayed from the two sets it describes, every ```frame-vector
block of section 13.10 built from its inputs and parsed back, and a table of
malformed frames the reader must refuse.

Output is TAP: "1..N", then "ok N - name" / "not ok N - name" followed by
"# ..." diagnostics.  Exit status is 1 if any vector fails.

Usage: vectors.py [PATH-TO-PROTOCOL.md]   (default: docs/PROTOCOL.md)
Needs Debian's python3-nacl and python3-msgpack (msgpack is used only as a
cross-check of the hand-written canonical encoder).
"""

import hashlib
import re
import struct
import sys

import msgpack
import nacl.bindings as sodium
import nacl.exceptions

import frames  # sections 12 and 13, standard library only (same directory)


class ProtoError(Exception):
    """A rule of PROTOCOL.md is violated; .name is the section 10 name."""

    def __init__(self, name, detail):
        super().__init__("%s: %s" % (name, detail))
        self.name = name


# ---------------------------------------------------------------------------
# Section 1: canonical MessagePack.  Maps are represented as lists of
# (key, value) pairs so that the key order of the document is explicit.
# ---------------------------------------------------------------------------

class OMap(list):
    """Ordered map: a list of (key, value) pairs."""


def enc(obj):
    out = bytearray()
    _enc(obj, out)
    return bytes(out)


def _enc(o, out):
    if isinstance(o, bool):
        out.append(0xC3 if o else 0xC2)
    elif isinstance(o, int):
        if o < 0:
            raise ValueError("negative integers do not occur in the protocol")
        if o <= 0x7F:
            out.append(o)
        elif o <= 0xFF:
            out += b"\xcc" + struct.pack(">B", o)
        elif o <= 0xFFFF:
            out += b"\xcd" + struct.pack(">H", o)
        elif o <= 0xFFFFFFFF:
            out += b"\xce" + struct.pack(">I", o)
        elif o <= 0xFFFFFFFFFFFFFFFF:
            out += b"\xcf" + struct.pack(">Q", o)
        else:
            raise ValueError("integer too large")
    elif isinstance(o, str):
        b = o.encode("utf-8")
        n = len(b)
        if n <= 31:
            out.append(0xA0 | n)
        elif n <= 0xFF:
            out += b"\xd9" + struct.pack(">B", n)
        elif n <= 0xFFFF:
            out += b"\xda" + struct.pack(">H", n)
        else:
            out += b"\xdb" + struct.pack(">I", n)
        out += b
    elif isinstance(o, (bytes, bytearray)):
        n = len(o)
        if n <= 0xFF:
            out += b"\xc4" + struct.pack(">B", n)
        elif n <= 0xFFFF:
            out += b"\xc5" + struct.pack(">H", n)
        else:
            out += b"\xc6" + struct.pack(">I", n)
        out += o
    elif isinstance(o, OMap):
        n = len(o)
        if n <= 15:
            out.append(0x80 | n)
        elif n <= 0xFFFF:
            out += b"\xde" + struct.pack(">H", n)
        else:
            out += b"\xdf" + struct.pack(">I", n)
        for k, v in o:
            _enc(k, out)
            _enc(v, out)
    elif isinstance(o, (list, tuple)):
        n = len(o)
        if n <= 15:
            out.append(0x90 | n)
        elif n <= 0xFFFF:
            out += b"\xdc" + struct.pack(">H", n)
        else:
            out += b"\xdd" + struct.pack(">I", n)
        for v in o:
            _enc(v, out)
    else:
        raise TypeError("cannot encode %r" % (o,))


def to_plain(o):
    """OMap -> dict (insertion ordered) for the msgpack cross-check."""
    if isinstance(o, OMap):
        return {k: to_plain(v) for k, v in o}
    if isinstance(o, (list, tuple)):
        return [to_plain(v) for v in o]
    return o


class Decoder:
    """Strict decoder: only the types of section 1; lengths are checked
    against the remaining bytes before use; nothing is allocated from a
    count.  Canonical form is checked by re-encoding (section 9, item 4)."""

    def __init__(self, data):
        self.d = bytes(data)
        self.p = 0

    def need(self, n):
        if n > len(self.d) - self.p:
            raise ProtoError("truncated", "at offset %d: need %d bytes, %d remain"
                             % (self.p, n, len(self.d) - self.p))

    def take(self, n):
        self.need(n)
        b = self.d[self.p:self.p + n]
        self.p += n
        return b

    def uint(self, size):
        return int.from_bytes(self.take(size), "big")

    # Section 9: "at most five levels (message, envelope, body, the
    # `indicators`, `members` or `endpoints` array, one of its entries)":
    # message(1) > envelope(2) > body(3) > array(4) > entry(5).
    MAX_CONTAINER_DEPTH = 5

    def value(self, depth=0):
        start = self.p
        t = self.take(1)[0]
        if (0x80 <= t <= 0x9F or t in (0xDC, 0xDD, 0xDE, 0xDF)) \
                and depth + 1 > self.MAX_CONTAINER_DEPTH:
            raise ProtoError("bad-type", "containers nested deeper than %d at offset %d"
                             % (self.MAX_CONTAINER_DEPTH, start))
        if t <= 0x7F:
            return t
        if 0x80 <= t <= 0x8F:
            return self.map_body(t & 0x0F, depth)
        if 0x90 <= t <= 0x9F:
            return self.array_body(t & 0x0F, depth)
        if 0xA0 <= t <= 0xBF:
            return self.str_body(t & 0x1F)
        if t == 0xC2:
            return False
        if t == 0xC3:
            return True
        if t in (0xC4, 0xC5, 0xC6):
            n = self.uint({0xC4: 1, 0xC5: 2, 0xC6: 4}[t])
            return self.take(n)
        if t in (0xCC, 0xCD, 0xCE, 0xCF):
            return self.uint({0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}[t])
        if t in (0xD9, 0xDA, 0xDB):
            return self.str_body(self.uint({0xD9: 1, 0xDA: 2, 0xDB: 4}[t]))
        if t in (0xDC, 0xDD):
            return self.array_body(self.uint(2 if t == 0xDC else 4), depth)
        if t in (0xDE, 0xDF):
            return self.map_body(self.uint(2 if t == 0xDE else 4), depth)
        raise ProtoError("bad-type", "type byte 0x%02x at offset %d" % (t, start))

    def str_body(self, n):
        b = self.take(n)
        try:
            return b.decode("utf-8", errors="strict")
        except UnicodeDecodeError as e:
            raise ProtoError("bad-text", "invalid UTF-8: %s" % e)

    def array_body(self, n, depth):
        # every element takes at least one byte
        self.need(n)
        return [self.value(depth + 1) for _ in range(n)]

    def map_body(self, n, depth):
        # every pair takes at least two bytes
        if n > (len(self.d) - self.p) // 2:
            raise ProtoError("truncated", "map of %d pairs at offset %d" % (n, self.p))
        m = OMap()
        for _ in range(n):
            k = self.value(depth + 1)
            v = self.value(depth + 1)
            m.append((k, v))
        return m


def decode_canonical(data, what):
    d = Decoder(data)
    v = d.value()
    if d.p != len(data):
        raise ProtoError("bad-field", "%d bytes after the %s" % (len(data) - d.p, what))
    re_enc = enc(v)
    if re_enc != bytes(data):
        off = first_diff(re_enc, data)
        raise ProtoError("non-canonical", "%s: re-encoding differs at offset %d" % (what, off))
    return v


# ---------------------------------------------------------------------------
# Text, tokens, words (sections 1 and 5)
# ---------------------------------------------------------------------------

def check_text(s, what, multiline=False, lo=0, hi=None):
    if not isinstance(s, str):
        raise ProtoError("bad-type", "%s is not a str" % what)
    b = s.encode("utf-8")
    if len(b) < lo or (hi is not None and len(b) > hi):
        raise ProtoError("bad-length", "%s is %d bytes (allowed %d..%s)" % (what, len(b), lo, hi))
    for ch in s:
        c = ord(ch)
        if 0xD800 <= c <= 0xDFFF:
            raise ProtoError("bad-text", "%s holds a surrogate" % what)
        if c < 0x20 or c == 0x7F:
            if multiline and c in (0x0A, 0x09):
                continue
            raise ProtoError("bad-text", "%s holds control character 0x%02x" % (what, c))


TOKEN_RE = re.compile(r"[a-z0-9-]{1,64}\Z")
ATTACK_RE = re.compile(r"T[0-9]{4}(\.[0-9]{3})?\Z")
NAME_RE = re.compile(r"[A-Za-z0-9._-]{1,63}\Z")


def check_word(v, words, err, what):
    if not isinstance(v, str):
        raise ProtoError("bad-type", "%s is not a str" % what)
    if v not in words:
        raise ProtoError(err, "%s %r not one of %s" % (what, v, ", ".join(words)))


def sort_key_bytes(s):
    # byte-by-byte unsigned comparison, proper prefix first == bytes ordering
    return s.encode("utf-8")


def check_sorted_set(items, keyf, err, what):
    for a, b in zip(items, items[1:]):
        if not keyf(a) < keyf(b):
            raise ProtoError(err, "%s not a strictly ascending set (%r, %r)" % (what, a, b))


# ---------------------------------------------------------------------------
# Section 6: indicator normalization
# ---------------------------------------------------------------------------

def _bad(value, why):
    raise ProtoError("bad-indicator", "%r: %s" % (value, why))


DEC_RE = re.compile(r"(0|[1-9][0-9]{0,2})\Z")


def parse_ipv4(s):
    """inet_pton(AF_INET): exactly four decimal parts 0-255, no leading zeros."""
    parts = s.split(".")
    if len(parts) != 4:
        _bad(s, "not a dotted quad")
    out = []
    for p in parts:
        if not re.fullmatch(r"[0-9]{1,3}", p) or (len(p) > 1 and p[0] == "0"):
            _bad(s, "bad IPv4 part %r" % p)
        n = int(p)
        if n > 255:
            _bad(s, "IPv4 part above 255")
        out.append(n)
    return bytes(out)


def fmt_ipv4(b):
    return ".".join(str(x) for x in b)


def parse_ipv6(s):
    """RFC 4291 section 2.2 text forms (1-4 hex digits per field, at most one
    '::', optional trailing dotted quad).  No zone index, no brackets."""
    if not s or any(c not in "0123456789abcdefABCDEF:." for c in s):
        _bad(s, "not IPv6 text")
    tail4 = b""
    if "." in s:
        cut = s.rfind(":")
        if cut < 0:
            _bad(s, "not IPv6 text")
        tail4 = parse_ipv4(s[cut + 1:])
        s6 = s[:cut + 1]
        # keep "::" intact when the quad follows it directly; otherwise drop the ':'
        if not s6.endswith("::"):
            s6 = s6[:-1]
    else:
        s6 = s
    nfields = 8 - len(tail4) // 2
    if s6.count("::") > 1:
        _bad(s, "more than one '::'")

    def fields(t):
        if t == "":
            return []
        fs = t.split(":")
        for f in fs:
            if not re.fullmatch(r"[0-9a-fA-F]{1,4}", f):
                _bad(s, "bad IPv6 field %r" % f)
        return [int(f, 16) for f in fs]

    if "::" in s6:
        head, tail = s6.split("::")
        h, t = fields(head), fields(tail)
        if len(h) + len(t) > nfields - 1:
            _bad(s, "too many fields with '::'")
        words = h + [0] * (nfields - len(h) - len(t)) + t
    else:
        words = fields(s6)
        if len(words) != nfields:
            _bad(s, "wrong number of fields")
    return b"".join(struct.pack(">H", w) for w in words) + tail4


def fmt_ipv6(b):
    """RFC 5952: lower case, no leading zeros, the longest run of two or more
    zero fields replaced by '::' (the first if tied).  IPv4-mapped addresses
    (::ffff:0:0/96) use the mixed notation of RFC 5952 section 5."""
    words = list(struct.unpack(">8H", b))
    if b[:12] == b"\0" * 10 + b"\xff\xff":
        return "::ffff:" + fmt_ipv4(b[12:])
    best_i, best_n = -1, 0
    i = 0
    while i < 8:
        if words[i] == 0:
            j = i
            while j < 8 and words[j] == 0:
                j += 1
            if j - i > best_n:
                best_i, best_n = i, j - i
            i = j
        else:
            i += 1
    hx = ["%x" % w for w in words]
    if best_n >= 2:
        return ":".join(hx[:best_i]) + "::" + ":".join(hx[best_i + best_n:])
    return ":".join(hx)


LABEL_RE = re.compile(r"[A-Za-z0-9_-]{1,63}\Z")


def norm_domain(v, min_labels=1):
    s = v[:-1] if v.endswith(".") else v
    if not s:
        _bad(v, "empty domain")
    if len(s) > 253:
        _bad(v, "domain longer than 253 bytes")
    labels = s.split(".")
    if len(labels) < min_labels:
        _bad(v, "needs at least %d labels" % min_labels)
    for lab in labels:
        if not LABEL_RE.match(lab):
            _bad(v, "bad label %r" % lab)
        if lab[0] == "-" or lab[-1] == "-":
            _bad(v, "label %r starts or ends with '-'" % lab)
    return s.lower()


def norm_url(v):
    if len(v.encode("utf-8")) > 2048:
        _bad(v, "longer than 2048 bytes")
    if any(not (0x21 <= ord(c) <= 0x7E) for c in v):
        _bad(v, "not printable ASCII without space")
    m = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", v)
    if not m:
        _bad(v, "no scheme://")
    scheme = m.group(1)
    rest = v[m.end():]
    end = len(rest)
    for c in "/?#":
        k = rest.find(c)
        if k >= 0:
            end = min(end, k)
    authority, tail = rest[:end], rest[end:]
    at = authority.rfind("@")
    userinfo, host = (authority[:at + 1], authority[at + 1:]) if at >= 0 else ("", authority)
    if not host:
        _bad(v, "empty host")
    return scheme.lower() + "://" + userinfo + host.lower() + tail


def norm_email(v):
    at = v.rfind("@")
    if at < 0:
        _bad(v, "no '@'")
    local, dom = v[:at], v[at + 1:]
    if not (1 <= len(local.encode("utf-8")) <= 64):
        _bad(v, "local part length")
    if any(not (0x21 <= ord(c) <= 0x7E) or c == "@" for c in local):
        _bad(v, "local part not printable ASCII without space or '@'")
    return local + "@" + norm_domain(dom, min_labels=2)


def norm_hex(v, n):
    if not re.fullmatch(r"[0-9a-fA-F]{%d}" % n, v):
        _bad(v, "not %d hex digits" % n)
    return v.lower()


def norm_cidr(v):
    if v.count("/") != 1:
        _bad(v, "not ADDR/LEN")
    addr, ln = v.split("/")
    if not re.fullmatch(r"0|[1-9][0-9]{0,2}", ln):
        _bad(v, "bad prefix length")
    n = int(ln)
    if ":" in addr:
        raw, bits, fmt = parse_ipv6(addr), 128, fmt_ipv6
    else:
        raw, bits, fmt = parse_ipv4(addr), 32, fmt_ipv4
    if n > bits:
        _bad(v, "prefix length above %d" % bits)
    x = int.from_bytes(raw, "big")
    mask = ((1 << bits) - 1) ^ ((1 << (bits - n)) - 1)
    return fmt((x & mask).to_bytes(bits // 8, "big")) + "/" + str(n)


def norm_filename(v):
    check_text(v, "filename", lo=1, hi=255)
    if "/" in v or "\\" in v or v in (".", ".."):
        _bad(v, "not a plain file name")
    return v


def norm_cve(v):
    if not re.fullmatch(r"[Cc][Vv][Ee]-[0-9]{4}-[0-9]{4,12}", v):
        _bad(v, "not CVE-YYYY-NNNN")
    return v.upper()


def norm_asn(v):
    m = re.fullmatch(r"(?:[Aa][Ss])?([0-9]{1,10})", v)
    if not m:
        _bad(v, "not an AS number")
    d = m.group(1)
    if len(d) > 1 and d[0] == "0":
        _bad(v, "leading zero")
    if int(d) > 4294967295:
        _bad(v, "above 4294967295")
    return "AS" + d


NORMALIZERS = {
    "ipv4": lambda v: fmt_ipv4(parse_ipv4(v)),
    "ipv6": lambda v: fmt_ipv6(parse_ipv6(v)),
    "cidr": norm_cidr,
    "domain": norm_domain,
    "url": norm_url,
    "email": norm_email,
    "md5": lambda v: norm_hex(v, 32),
    "ja3": lambda v: norm_hex(v, 32),
    "sha1": lambda v: norm_hex(v, 40),
    "sha256": lambda v: norm_hex(v, 64),
    "filename": norm_filename,
    "cve": norm_cve,
    "asn": norm_asn,
}


def normalize_indicator(typ, value):
    if typ not in NORMALIZERS:
        raise ProtoError("bad-indicator", "unknown indicator type %r" % typ)
    return NORMALIZERS[typ](value)


def indicator_key(pair):
    # "ordered by type word first, then by value" (section 5.1)
    return (pair[0].encode("utf-8"), pair[1].encode("utf-8"))


# ---------------------------------------------------------------------------
# Sections 4 and 5: field tables
# ---------------------------------------------------------------------------

TLPS = ["clear", "green", "amber", "amber+strict", "red"]
ADDRESSED = ("amber", "amber+strict", "red")
KINDS = ["incident", "update", "comment", "sighting", "retract", "roster", "approve",
         "endpoints", "beacon", "rotate"]
# Section 4: the governing kinds, never addressed, TLP fixed by kind and body.
GOVERNING = ("roster", "approve", "endpoints")
# Section 5.6: a beacon is TLP:GREEN only, without `ref` or `to`.
BEACON = "beacon"
BEACON_KEYS = ["epoch", "version", "peers", "store", "flaps"]      # section 5.6
# Section 5.7: a rotation is TLP:CLEAR only, without `ref` or `to`; its
# origin is the old key, `peer` the new one, `proof` the new key's signature
# of ROTATE_PREFIX || old id || new id (81 bytes).
ROTATE = "rotate"
ROTATE_KEYS = ["peer", "proof"]
ROTATE_PREFIX = b"socmesh-rotate-v1"
# Section 4: kinds for which `ref` is required; forbidden for `roster`.
REF_REQUIRED = ("update", "comment", "sighting", "retract", "approve", "endpoints")
CATEGORIES = ["abusive-content", "malicious-code", "information-gathering",
              "intrusion-attempts", "intrusions", "availability",
              "information-content-security", "fraud", "vulnerable", "other", "test"]
SEVERITIES = ["low", "medium", "high", "very-high", "critical"]
STATUSES = ["open", "contained", "resolved", "false-positive"]
LEVELS = ["blocked", "external", "member"]

ENVELOPE_KEYS = ["v", "origin", "seq", "time", "tlp", "kind", "ref", "to", "body", "sealed"]
INCIDENT_KEYS = ["title", "summary", "category", "type", "severity", "impact", "status",
                 "sectors", "scope", "indicators", "attack", "actions", "detection",
                 "effects", "response", "lessons", "expires"]
# Section 5.1: what a case taught, free text like `summary`.
LESSON_KEYS = ["detection", "effects", "response", "lessons"]
INCIDENT_REQUIRED = {"title", "category", "severity", "status"}
# Section 5.1: an update's keys are an incident's and `lead`, each optional,
# at least one present.
UPDATE_KEYS = INCIDENT_KEYS + ["lead"]
# Section 5.8: a comment's text, and optionally indicators.
COMMENT_KEYS = ["text", "indicators"]
NOTE_KEYS = ["note"]
ROSTER_KEYS = ["peer", "name", "level", "coordinator"]          # legacy form
MEMBERSHIP_KEYS = ["network", "epoch", "threshold", "members"]    # section 5.3
ENDPOINTS_KEYS = ["endpoints"]                                   # section 5.5
MAX_MEMBERS = 512
MAX_ENDPOINTS = 512


def roster_form(m):
    """Section 5.3: the form is told by the body's first key, `network`
    (membership) or `peer` (legacy); any other first key, or none, is
    refused (bad-field)."""
    if not isinstance(m, OMap):
        raise ProtoError("bad-type", "roster body is not a map")
    first = m[0][0] if m else None
    if first == "network":
        return "membership"
    if first == "peer":
        return "legacy"
    raise ProtoError("bad-field", "roster body begins with %r, not network or peer" % (first,))


def body_keys(kind, m):
    if kind == "incident":
        return INCIDENT_KEYS, INCIDENT_REQUIRED
    if kind == "update":
        return UPDATE_KEYS, set()
    if kind == "comment":
        return COMMENT_KEYS, {"text"}
    if kind in ("sighting", "retract", "approve"):
        return NOTE_KEYS, set()
    if kind == "endpoints":
        return ENDPOINTS_KEYS, set(ENDPOINTS_KEYS)
    if kind == BEACON:
        return BEACON_KEYS, set(BEACON_KEYS)
    if kind == ROTATE:
        return ROTATE_KEYS, set(ROTATE_KEYS)
    if roster_form(m) == "membership":
        return MEMBERSHIP_KEYS, set(MEMBERSHIP_KEYS)
    return ROSTER_KEYS, set(ROSTER_KEYS)


def check_uint(v, what):
    if isinstance(v, bool) or not isinstance(v, int):
        raise ProtoError("bad-type", "%s is not a uint" % what)
    return v


def check_node_id(v, what):
    if not isinstance(v, bytes):
        raise ProtoError("bad-type", "%s is not a bin" % what)
    if len(v) != 32:
        raise ProtoError("bad-length", "%s is bin %d, not bin 32" % (what, len(v)))
    return v


def check_name(v, what):
    """Section 5.3: network and member names, 1-63 bytes of A-Z a-z 0-9 . _ -
    (bad-token)."""
    if not isinstance(v, str):
        raise ProtoError("bad-type", "%s is not a str" % what)
    if not NAME_RE.match(v):
        raise ProtoError("bad-token", "%s %r" % (what, v))
    return v


def check_ascending_ids(entries, what):
    """Entries in strictly ascending order of their node ids, byte order
    (hence no repeated id): non-canonical otherwise (sections 5.3, 5.5)."""
    for i in range(1, len(entries)):
        if not entries[i - 1][0] < entries[i][0]:
            raise ProtoError("non-canonical", "%s entries %d and %d out of order of node id"
                             % (what, i - 1, i))


def validate_membership(f):
    check_name(f["network"], "network")
    if check_uint(f["epoch"], "epoch") == 0:
        raise ProtoError("bad-field", "roster epoch is 0")
    threshold = check_uint(f["threshold"], "threshold")
    members = f["members"]
    if not isinstance(members, list):
        raise ProtoError("bad-type", "members is not an array")
    if not 1 <= len(members) <= MAX_MEMBERS:
        raise ProtoError("too-many", "members has %d entries (allowed 1..%d)"
                         % (len(members), MAX_MEMBERS))
    names = set()
    coordinators = 0
    for i, e in enumerate(members):
        what = "members[%d]" % i
        if not isinstance(e, list):
            raise ProtoError("bad-type", "%s is not an array" % what)
        if len(e) != 4:
            raise ProtoError("bad-field", "%s has %d elements, not 4" % (what, len(e)))
        check_node_id(e[0], what + " id")
        check_name(e[1], what + " name")
        check_word(e[2], LEVELS, "bad-level", what + " level")
        if not isinstance(e[3], bool):
            raise ProtoError("bad-type", "%s coordinator flag is not a bool" % what)
        # "no two entries of one roster have the same name (compared byte for byte)"
        if e[1] in names:
            raise ProtoError("bad-token", "%s repeats the name %r" % (what, e[1]))
        names.add(e[1])
        coordinators += e[3]
    check_ascending_ids(members, "members")
    if not 1 <= threshold <= coordinators:
        raise ProtoError("too-many", "threshold %d, with %d coordinators listed"
                         % (threshold, coordinators))


def check_endpoint(v, what):
    """Section 5.5: `tcp://` followed by bytes 0x21-0x7E, 7 to 255 bytes in
    all (bad-field)."""
    if not isinstance(v, str):
        raise ProtoError("bad-type", "%s is not a str" % what)
    b = v.encode("utf-8")
    if not (7 <= len(b) <= 255 and b.startswith(b"tcp://")
            and all(0x21 <= c <= 0x7E for c in b)):
        raise ProtoError("bad-field", "%s %r breaks the endpoint rule" % (what, v))


def validate_beacon(f):
    """Section 5.6: epoch, peers, store, flaps uints (epoch 0 allowed: no
    roster in force); version 1 to 32 bytes 0x21-0x7E: bad-length when
    empty or longer, bad-field when it holds other bytes."""
    for k in ("epoch", "peers", "store", "flaps"):
        check_uint(f[k], k)
    v = f["version"]
    if not isinstance(v, str):
        raise ProtoError("bad-type", "version is not a str")
    b = v.encode("utf-8")
    if not 1 <= len(b) <= 32:
        raise ProtoError("bad-length", "version is %d bytes (allowed 1..32)" % len(b))
    if not all(0x21 <= c <= 0x7E for c in b):
        raise ProtoError("bad-field", "version %r holds bytes outside 0x21-0x7E" % v)


def validate_rotate(f):
    """Section 5.7: `peer` bin 32, `proof` bin 64 (bad-length for another
    length).  The proof itself is checked with the signature
    (verify_rotation), since it covers the origin."""
    if not isinstance(f["peer"], bytes):
        raise ProtoError("bad-type", "rotate peer is not a bin")
    if len(f["peer"]) != 32:
        raise ProtoError("bad-length", "rotate peer is bin %d, not bin 32" % len(f["peer"]))
    if not isinstance(f["proof"], bytes):
        raise ProtoError("bad-type", "rotate proof is not a bin")
    if len(f["proof"]) != 64:
        raise ProtoError("bad-length", "rotate proof is bin %d, not bin 64" % len(f["proof"]))


def rotation_statement(old_id, new_id):
    """Section 5.7: the 81 bytes the new key signs."""
    m = ROTATE_PREFIX + old_id + new_id
    assert len(ROTATE_PREFIX) == 17 and len(m) == 81
    return m


def verify_rotation(f):
    """Section 5.7: "verifying it checks both signatures, and a proof that
    does not verify is bad-signature".  f: the envelope fields of a message
    whose envelope signature has been verified."""
    if f["kind"] != ROTATE:
        return
    b = dict(f["body"])
    try:
        sodium.crypto_sign_open(b["proof"] + rotation_statement(f["origin"], b["peer"]),
                                b["peer"])
    except nacl.exceptions.BadSignatureError:
        raise ProtoError("bad-signature", "rotate proof does not verify under peer")


def validate_endpoints(f):
    entries = f["endpoints"]
    if not isinstance(entries, list):
        raise ProtoError("bad-type", "endpoints is not an array")
    # 0 entries allowed: the one required array that may be empty (section 1)
    if len(entries) > MAX_ENDPOINTS:
        raise ProtoError("too-many", "endpoints has %d entries (max %d)"
                         % (len(entries), MAX_ENDPOINTS))
    for i, e in enumerate(entries):
        what = "endpoints[%d]" % i
        if not isinstance(e, list):
            raise ProtoError("bad-type", "%s is not an array" % what)
        if len(e) != 2:
            raise ProtoError("bad-field", "%s has %d elements, not 2" % (what, len(e)))
        check_node_id(e[0], what + " id")
        check_endpoint(e[1], what + " endpoint")
    check_ascending_ids(entries, "endpoints")


def governing_tlps(kind, body):
    """Section 4 / 5.3-5.5: the TLPs a governing message may have."""
    if kind == "approve":
        return ("clear",)
    if kind == "endpoints":
        return ("green",)
    if roster_form(body) == "membership":
        return ("clear",)
    return ("clear", "green")


def check_keys(m, order, required, what):
    if not isinstance(m, OMap):
        raise ProtoError("bad-type", "%s is not a map" % what)
    pos = -1
    seen = set()
    for k, _ in m:
        if not isinstance(k, str):
            raise ProtoError("bad-type", "%s key is not a str" % what)
        if k not in order:
            raise ProtoError("bad-field", "unknown key %r in %s" % (k, what))
        if k in seen:
            raise ProtoError("bad-field", "repeated key %r in %s" % (k, what))
        i = order.index(k)
        if i < pos:
            raise ProtoError("bad-field", "misplaced key %r in %s" % (k, what))
        pos = i
        seen.add(k)
    missing = required - seen
    if missing:
        raise ProtoError("bad-field", "missing %s in %s" % (", ".join(sorted(missing)), what))
    return dict(m)


def check_str_array(v, what, maxn, elem_check, sorted_set):
    if not isinstance(v, list):
        raise ProtoError("bad-type", "%s is not an array" % what)
    if not v:
        raise ProtoError("bad-field", "%s present but empty" % what)
    if len(v) > maxn:
        raise ProtoError("too-many", "%s has %d elements (max %d)" % (what, len(v), maxn))
    for x in v:
        if not isinstance(x, str):
            raise ProtoError("bad-type", "%s element is not a str" % what)
        elem_check(x)
    if sorted_set:
        check_sorted_set(v, sort_key_bytes, "bad-token", what)


def check_indicators(inds):
    """Section 5.1: at most 1,000 [type, value] pairs, normalized, a sorted set."""
    if not isinstance(inds, list):
        raise ProtoError("bad-type", "indicators is not an array")
    if not inds:
        raise ProtoError("bad-field", "indicators present but empty")
    if len(inds) > 1000:
        raise ProtoError("bad-indicators", "more than 1000 indicators")
    for p in inds:
        if (not isinstance(p, list) or len(p) != 2
                or not all(isinstance(x, str) for x in p)):
            raise ProtoError("bad-indicator", "indicator is not [str, str]")
        if normalize_indicator(p[0], p[1]) != p[1]:
            raise ProtoError("bad-indicator", "%r not normalized" % (p,))
    check_sorted_set(inds, indicator_key, "bad-indicators", "indicators")


def validate_body(kind, m):
    if not isinstance(m, OMap):
        raise ProtoError("bad-type", "%s body is not a map" % kind)
    order, req = body_keys(kind, m)
    f = check_keys(m, order, req, "%s body" % kind)
    if kind == "update" and not f:
        # section 5.1: "An update holds at least one key"
        raise ProtoError("bad-field", "update body holds no key")
    if kind == "comment":
        check_text(f["text"], "text", multiline=True, lo=1, hi=4096)
        if "indicators" in f:
            check_indicators(f["indicators"])
    elif kind in ("incident", "update"):
        if "title" in f:
            check_text(f["title"], "title", lo=1, hi=256)
        if "summary" in f:
            check_text(f["summary"], "summary", multiline=True, lo=1, hi=16384)
        if "category" in f:
            check_word(f["category"], CATEGORIES, "bad-category", "category")
        if "type" in f:
            if not isinstance(f["type"], str) or not TOKEN_RE.match(f["type"]):
                raise ProtoError("bad-token", "type %r" % (f["type"],))
        if "severity" in f:
            check_word(f["severity"], SEVERITIES, "bad-severity", "severity")
        if "impact" in f:
            check_word(f["impact"], SEVERITIES, "bad-severity", "impact")
        if "status" in f:
            check_word(f["status"], STATUSES, "bad-status", "status")
        if "lead" in f:
            check_node_id(f["lead"], "lead")
        if "sectors" in f:
            def tok(x):
                if not TOKEN_RE.match(x):
                    raise ProtoError("bad-token", "sector %r" % x)
            check_str_array(f["sectors"], "sectors", 32, tok, True)
        if "scope" in f:
            check_text(f["scope"], "scope", multiline=True, lo=1, hi=4096)
        for k in LESSON_KEYS:
            if k in f:
                check_text(f[k], k, multiline=True, lo=1, hi=16384)
        if "indicators" in f:
            check_indicators(f["indicators"])
        if "attack" in f:
            def tech(x):
                if not ATTACK_RE.match(x):
                    raise ProtoError("bad-token", "ATT&CK id %r" % x)
            check_str_array(f["attack"], "attack", 64, tech, True)
        if "actions" in f:
            check_str_array(f["actions"], "actions", 32,
                            lambda x: check_text(x, "action", lo=1, hi=1024), False)
        if "expires" in f:
            e = f["expires"]
            if isinstance(e, bool) or not isinstance(e, int):
                raise ProtoError("bad-type", "expires is not a uint")
            if e == 0:
                raise ProtoError("bad-field", "expires is 0")
    elif kind in ("sighting", "retract", "approve"):
        if "note" in f:
            check_text(f["note"], "note", multiline=True, lo=1, hi=4096)
    elif kind == "endpoints":
        validate_endpoints(f)
    elif kind == BEACON:
        validate_beacon(f)
    elif kind == ROTATE:
        validate_rotate(f)
    elif "network" in f:
        validate_membership(f)
    else:
        if not isinstance(f["peer"], bytes) or len(f["peer"]) != 32:
            raise ProtoError("bad-length", "peer is not bin 32")
        if not isinstance(f["name"], str) or not NAME_RE.match(f["name"]):
            raise ProtoError("bad-token", "name %r" % (f["name"],))
        check_word(f["level"], LEVELS, "bad-level", "level")
        if not isinstance(f["coordinator"], bool):
            raise ProtoError("bad-type", "coordinator is not a bool")
    return f


def validate_envelope(env):
    f = check_keys(env, ENVELOPE_KEYS, {"v", "origin", "seq", "time", "tlp", "kind"},
                   "envelope")
    if f["v"] != 1 or isinstance(f["v"], bool):
        raise ProtoError("bad-version", "v = %r" % (f["v"],))
    if not isinstance(f["origin"], bytes) or len(f["origin"]) != 32:
        raise ProtoError("bad-length", "origin is not bin 32")
    for k in ("seq", "time"):
        if isinstance(f[k], bool) or not isinstance(f[k], int):
            raise ProtoError("bad-type", "%s is not a uint" % k)
    if not isinstance(f["tlp"], str) or f["tlp"] not in TLPS:
        raise ProtoError("bad-tlp", "tlp %r" % (f["tlp"],))
    if not isinstance(f["kind"], str) or f["kind"] not in KINDS:
        raise ProtoError("bad-kind", "kind %r" % (f["kind"],))
    kind, tlp = f["kind"], f["tlp"]
    if "ref" in f:
        if kind in ("roster", BEACON, ROTATE):
            raise ProtoError("bad-ref", "ref on a %s message" % kind)
        if not isinstance(f["ref"], bytes) or len(f["ref"]) != 32:
            raise ProtoError("bad-length", "ref is not bin 32")
    elif kind in REF_REQUIRED:
        raise ProtoError("bad-ref", "ref missing for %s" % kind)
    if tlp in ADDRESSED:
        if kind in GOVERNING or kind in (BEACON, ROTATE):
            raise ProtoError("bad-tlp", "%s messages are not addressed" % kind)
        if "to" not in f:
            raise ProtoError("bad-recipients", "to missing")
        to = f["to"]
        if not isinstance(to, list) or not (1 <= len(to) <= 64):
            raise ProtoError("bad-recipients", "to must hold 1..64 ids")
        for r in to:
            if not isinstance(r, bytes) or len(r) != 32:
                raise ProtoError("bad-length", "recipient is not bin 32")
        for a, b in zip(to, to[1:]):
            if not a < b:
                raise ProtoError("bad-recipients", "to not sorted or repeated")
        if f["origin"] in to:
            raise ProtoError("bad-recipients", "to contains the origin")
        if "body" in f or "sealed" not in f:
            raise ProtoError("bad-sealed", "addressed message needs sealed, not body")
        s = check_keys(f["sealed"], ["nonce", "keys", "box"], {"nonce", "keys", "box"}, "sealed")
        if not isinstance(s["nonce"], bytes) or len(s["nonce"]) != 24:
            raise ProtoError("bad-sealed", "nonce is not bin 24")
        ks = s["keys"]
        if not isinstance(ks, list) or len(ks) != len(to) + 1:
            raise ProtoError("bad-sealed", "keys must hold len(to)+1 entries")
        for k in ks:
            if not isinstance(k, bytes) or len(k) != 80:
                raise ProtoError("bad-sealed", "sealed key is not bin 80")
        if not isinstance(s["box"], bytes) or len(s["box"]) < 16:
            raise ProtoError("bad-sealed", "box shorter than 16 bytes")
    else:
        if "to" in f:
            raise ProtoError("bad-recipients", "to present on a %s message" % tlp)
        if "sealed" in f or "body" not in f:
            raise ProtoError("bad-field", "clear/green message needs body, not sealed")
        validate_body(kind, f["body"])
        if kind in GOVERNING and tlp not in governing_tlps(kind, f["body"]):
            raise ProtoError("bad-tlp", "tlp %s not allowed for this %s" % (tlp, kind))
        if kind == BEACON and tlp != "green":
            raise ProtoError("bad-tlp", "tlp %s not allowed for a beacon" % tlp)
        if kind == ROTATE and tlp != "clear":
            raise ProtoError("bad-tlp", "tlp %s not allowed for a rotation" % tlp)
    return f


# ---------------------------------------------------------------------------
# Keys, sealing, signing (sections 2, 7, 8)
# ---------------------------------------------------------------------------

def ed_keypair(seed):
    pk, sk = sodium.crypto_sign_seed_keypair(seed)
    return pk, sk


def x_keypair(seed):
    pk, sk = ed_keypair(seed)
    return (sodium.crypto_sign_ed25519_pk_to_curve25519(pk),
            sodium.crypto_sign_ed25519_sk_to_curve25519(sk))


def blake2b(data, n):
    return hashlib.blake2b(data, digest_size=n).digest()


def seal_key(K, node_id, esk):
    pk = sodium.crypto_sign_ed25519_pk_to_curve25519(node_id)
    epk = sodium.crypto_scalarmult_base(esk)
    n = blake2b(epk + pk, 24)
    # PyNaCl's crypto_box strips the NaCl zero padding and so returns
    # MAC(16) || ciphertext, i.e. exactly crypto_box_easy's output.
    return epk + sodium.crypto_box(K, n, pk, esk)


class Rand:
    def __init__(self, data):
        self.d, self.p = data, 0

    def draw(self, n, what):
        if self.p + n > len(self.d):
            raise ValueError("randomness stream exhausted drawing %s" % what)
        b = self.d[self.p:self.p + n]
        self.p += n
        return b


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b)) if len(a) != len(b) else -1


# ---------------------------------------------------------------------------
# Vector blocks (section 11)
# ---------------------------------------------------------------------------

def parse_blocks(text):
    blocks = []
    cur = None
    for lineno, line in enumerate(text.splitlines(), 1):
        s = line.rstrip("\r")
        if cur is None:
            if s.strip() == "```vector":
                cur = {"_line": lineno, "_fields": []}
            continue
        if s.strip() == "```":
            blocks.append(cur)
            cur = None
            continue
        if not s.strip():
            continue
        m = re.match(r"([A-Za-z][A-Za-z0-9_-]*):(?: (.*))?\Z", s)
        if not m:
            raise ValueError("line %d: cannot parse %r" % (lineno, s))
        cur["_fields"].append((m.group(1), m.group(2) or ""))
    if cur is not None:
        raise ValueError("unterminated ```vector block at line %d" % cur["_line"])
    return blocks


SCALAR = {"name", "seed", "seq", "time", "tlp", "kind", "ref", "id", "sig", "v",
          "title", "summary", "category", "type", "severity", "impact", "status",
          "scope", "expires", "note", "peer", "peer-seed", "level", "coordinator",
          "network", "epoch", "threshold", "version", "peers", "store", "flaps",
          "new-seed", "text", "lead", "detection", "effects", "response", "lessons"}
# `peer`, `peer-seed`, `level`, `coordinator` and a second `name:` are this
# checker's inputs for a roster of the legacy form; section 11 defines none
# (there is no legacy roster vector).  The first `name:` is the vector's
# name, a second one the legacy roster's `name`.
REPEAT = {"to-seed", "random", "bytes", "sector", "indicator", "attack", "action",
          "member", "endpoint"}

# Inputs that belong to one group of kinds only: a vector that gives one for
# another kind is malformed (it would otherwise be silently ignored).
INPUT_KINDS = {
    "title": ("incident", "update"), "summary": ("incident", "update"),
    "category": ("incident", "update"), "type": ("incident", "update"),
    "severity": ("incident", "update"), "impact": ("incident", "update"),
    "status": ("incident", "update"), "scope": ("incident", "update"),
    "expires": ("incident", "update"), "sector": ("incident", "update"),
    "indicator": ("incident", "update", "comment"), "attack": ("incident", "update"),
    "action": ("incident", "update"),
    "detection": ("incident", "update"), "effects": ("incident", "update"),
    "response": ("incident", "update"), "lessons": ("incident", "update"),
    "lead": ("update",), "text": ("comment",),
    "note": ("sighting", "retract", "approve"),
    "network": ("roster",), "epoch": ("roster", "beacon"), "threshold": ("roster",),
    "member": ("roster",),
    "peer": ("roster",), "peer-seed": ("roster",), "roster-name": ("roster",),
    "level": ("roster",), "coordinator": ("roster",),
    "endpoint": ("endpoints",),
    "version": ("beacon",), "peers": ("beacon",), "store": ("beacon",),
    "flaps": ("beacon",),
    "new-seed": ("rotate",),
}


def block_fields(b):
    one, many = {}, {}
    for k, v in b["_fields"]:
        if k in REPEAT:
            many.setdefault(k, []).append(v)
        elif k == "name" and "name" in one and "roster-name" not in one:
            one["roster-name"] = v
        elif k in SCALAR:
            if k in one:
                raise ValueError("field %r given twice" % k)
            one[k] = v
        else:
            raise ValueError("unknown vector field %r" % k)
    return one, many


def hexb(s, n=None, what="hex"):
    b = bytes.fromhex(s)
    if n is not None and len(b) != n:
        raise ValueError("%s must be %d bytes" % (what, n))
    return b


def decimal(s, what):
    if not re.fullmatch(r"0|[1-9][0-9]*", s):
        raise ValueError("%s %r is not a decimal integer" % (what, s))
    return int(s)


def seed_id(s, what):
    """The node id (Ed25519 public key) that a 32-byte hex seed makes."""
    return ed_keypair(hexb(s, 32, what))[0]


def sorted_by_id(entries, what):
    """Section 11: entries are sorted by node id, not by seed.  Two inputs
    for one node id are a malformed vector, not something to drop."""
    entries = sorted(entries, key=lambda e: e[0])
    for a, b in zip(entries, entries[1:]):
        if a[0] == b[0]:
            raise ValueError("two %s inputs for node id %s" % (what, a[0].hex()))
    return entries


def build_membership(one, many):
    """Section 5.3, membership form, from `network`, `epoch`, `threshold`
    and `member: SEED NAME LEVEL coordinator|-` lines."""
    members = []
    for line in many.get("member", []):
        parts = line.split(" ")
        if len(parts) != 4:
            raise ValueError("member %r is not SEED NAME LEVEL coordinator|-" % line)
        seed, name, level, flag = parts
        if flag not in ("coordinator", "-"):
            raise ValueError("member %r: last word is neither coordinator nor -" % line)
        members.append([seed_id(seed, "member seed"), name, level, flag == "coordinator"])
    return OMap([("network", one["network"]),
                 ("epoch", decimal(one["epoch"], "epoch")),
                 ("threshold", decimal(one["threshold"], "threshold")),
                 ("members", sorted_by_id(members, "member"))])


def build_endpoints(many):
    """Section 5.5, from `endpoint: SEED ENDPOINT` lines; the array is
    present even when empty."""
    entries = []
    for line in many.get("endpoint", []):
        seed, sep, endpoint = line.partition(" ")
        if not sep:
            raise ValueError("endpoint %r is not SEED ENDPOINT" % line)
        entries.append([seed_id(seed, "endpoint seed"), endpoint])
    return OMap([("endpoints", sorted_by_id(entries, "endpoint"))])


def build_body(kind, one, many):
    for k in list(one) + list(many):
        if k in INPUT_KINDS and kind not in INPUT_KINDS[k]:
            raise ValueError("input %r does not apply to a %s message" % (k, kind))
    body = OMap()
    inds = []
    for item in many.get("indicator", []):
        typ, sep, val = item.partition(":")
        if not sep:
            raise ValueError("indicator %r is not TYPE:VALUE" % item)
        inds.append([typ, normalize_indicator(typ, val)])
    inds = [list(p) for p in sorted({tuple(p) for p in inds}, key=indicator_key)]
    if kind == "comment":
        # section 5.8: text, then indicators when there are some
        body.append(("text", one["text"]))
        if inds:
            body.append(("indicators", inds))
    elif kind in ("incident", "update"):
        fields = {
            "title": one.get("title"),
            "summary": one.get("summary"),
            "category": one.get("category"),
            "type": one.get("type"),
            "severity": one.get("severity"),
            "impact": one.get("impact"),
            # section 11: an incident's absent status is open, an update's absent
            "status": one.get("status", "open" if kind == "incident" else None),
            "sectors": sorted(set(many.get("sector", [])), key=sort_key_bytes),
            "scope": one.get("scope"),
            "indicators": inds,
            "attack": sorted(set(many.get("attack", [])), key=sort_key_bytes),
            "actions": list(many.get("action", [])),
            "detection": one.get("detection"),
            "effects": one.get("effects"),
            "response": one.get("response"),
            "lessons": one.get("lessons"),
            "expires": int(one["expires"]) if "expires" in one else None,
            "lead": hexb(one["lead"], 32, "lead") if "lead" in one else None,
        }
        for k in (UPDATE_KEYS if kind == "update" else INCIDENT_KEYS):
            v = fields[k]
            # absent and empty are the same content (section 1)
            if v is None or v == "" or v == []:
                continue
            body.append((k, v))
    elif kind in ("sighting", "retract", "approve"):
        if one.get("note"):
            body.append(("note", one["note"]))
    elif kind == "endpoints":
        body = build_endpoints(many)
    elif kind == BEACON:
        # section 5.6, keys in the table's order; section 11, vector 8:
        # `epoch` as for vectors 5 to 7, `version`, `peers`, `store`, `flaps`
        body = OMap([("epoch", decimal(one["epoch"], "epoch")),
                     ("version", one["version"]),
                     ("peers", decimal(one["peers"], "peers")),
                     ("store", decimal(one["store"], "store")),
                     ("flaps", decimal(one["flaps"], "flaps"))])
    elif kind == ROTATE:
        # section 11, vector 9: `new-seed` makes the new key pair; `peer` is
        # its public key and `proof` its signature of section 5.7's 81 bytes,
        # the old id being the origin, the public key of `seed`
        old_id = seed_id(one["seed"], "seed")
        new_id, new_sk = ed_keypair(hexb(one["new-seed"], 32, "new-seed"))
        proof = sodium.crypto_sign(rotation_statement(old_id, new_id), new_sk)[:64]
        body = OMap([("peer", new_id), ("proof", proof)])
    elif kind == "roster" and "network" in one:
        body = build_membership(one, many)
    elif kind == "roster":
        if "peer" in one:
            peer = hexb(one["peer"].lower(), 32, "peer")
        else:
            peer = ed_keypair(hexb(one["peer-seed"], 32, "peer-seed"))[0]
        body.append(("peer", peer))
        body.append(("name", one["roster-name"]))
        body.append(("level", one["level"]))
        body.append(("coordinator", {"true": True, "false": False}[one["coordinator"]]))
    else:
        raise ValueError("unknown kind %r" % kind)
    validate_body(kind, body)
    return body


def run_vector(b, ids_by_name):
    """Returns (name, list of failure diagnostics)."""
    fails = []
    one, many = block_fields(b)
    name = one.get("name", "line-%d" % b["_line"])

    seed = hexb(one["seed"], 32, "seed")
    opk, osk = ed_keypair(seed)
    kind, tlp = one["kind"], one["tlp"]

    env = OMap()
    env.append(("v", int(one.get("v", "1"))))
    env.append(("origin", opk))
    env.append(("seq", int(one["seq"])))
    env.append(("time", int(one["time"])))
    if kind == BEACON and one["seq"] != one["time"]:
        # section 5.6: "Its `seq` is its `time`"
        fails.append("beacon vector: seq %s is not its time %s" % (one["seq"], one["time"]))
    env.append(("tlp", tlp))
    env.append(("kind", kind))
    if "ref" in one:
        r = one["ref"]
        if r.startswith("@"):
            if r[1:] not in ids_by_name:
                raise ValueError("ref to unknown (or later) vector %r" % r[1:])
            env.append(("ref", ids_by_name[r[1:]]))
        else:
            env.append(("ref", hexb(r, 32, "ref")))

    body = build_body(kind, one, many)
    plaintext = enc(body)
    recipients = []  # (node id, seed)
    for s in many.get("to-seed", []):
        rs = hexb(s, 32, "to-seed")
        recipients.append((ed_keypair(rs)[0], rs))
    recipients.sort(key=lambda t: t[0])
    rand = Rand(b"".join(hexb(x) for x in many.get("random", [])))

    if tlp in ADDRESSED:
        to = [r[0] for r in recipients]
        env.append(("to", to))
        K = rand.draw(32, "body key")
        N = rand.draw(24, "nonce")
        box = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, b"", N, K)
        keys = [seal_key(K, nid, rand.draw(32, "ephemeral key %d" % i))
                for i, nid in enumerate(to + [opk])]
        env.append(("sealed", OMap([("nonce", N), ("keys", keys), ("box", box)])))
    else:
        if recipients:
            raise ValueError("to-seed given for a %s message" % tlp)
        env.append(("body", body))
    if rand.p != len(rand.d):
        fails.append("randomness stream has %d unused bytes" % (len(rand.d) - rand.p))

    env_bytes = enc(env)
    sig = sodium.crypto_sign(env_bytes, osk)[:64]
    msg = enc([env, sig])
    assert msg == b"\x92" + env_bytes + b"\xc4\x40" + sig
    mid = blake2b(msg, 32)

    # cross-check the hand-written encoder with msgpack's packer
    mp = msgpack.packb(to_plain([env, sig]), use_bin_type=True)
    if mp != msg:
        fails.append("own encoder and msgpack.packb differ at byte offset %d"
                     % first_diff(mp, msg))

    exp_bytes = hexb("".join(many.get("bytes", [])))
    exp_sig = hexb(one["sig"], 64, "sig")
    exp_id = hexb(one["id"], 32, "id")
    ids_by_name[name] = exp_id

    if msg != exp_bytes:
        off = first_diff(msg, exp_bytes)
        fails.append("bytes differ: first differing byte offset %d (got %s, want %s; lengths %d/%d)"
                     % (off, msg[off:off + 8].hex(), exp_bytes[off:off + 8].hex(),
                        len(msg), len(exp_bytes)))
    if sig != exp_sig:
        fails.append("sig differs: first differing byte offset %d" % first_diff(sig, exp_sig))
    if mid != exp_id:
        fails.append("id differs: first differing byte offset %d (got %s)"
                     % (first_diff(mid, exp_id), mid.hex()))
    if blake2b(exp_bytes, 32) != exp_id:
        fails.append("id: line is not BLAKE2b-256 of the bytes: lines")

    # --- decode the expected bytes and check them against the rules ---
    try:
        if len(exp_bytes) > 262144:
            raise ProtoError("too-big", "%d bytes" % len(exp_bytes))
        top = decode_canonical(exp_bytes, "message")
        if not isinstance(top, list) or len(top) != 2:
            raise ProtoError("bad-type", "message is not a two-element array")
        denv, dsig = top
        if not isinstance(dsig, bytes) or len(dsig) != 64:
            raise ProtoError("bad-length", "signature is not bin 64")
        if dsig != exp_sig:
            fails.append("decoded signature differs from the sig: line")
        signed = exp_bytes[1:-66]
        if enc(denv) != signed:
            raise ProtoError("non-canonical", "envelope element is not bytes[1:-66]")
        f = validate_envelope(denv)
        try:
            sodium.crypto_sign_open(dsig + signed, f["origin"])
        except nacl.exceptions.BadSignatureError:
            raise ProtoError("bad-signature", "signature does not verify")
        verify_rotation(f)
        if f["origin"] != opk:
            fails.append("decoded origin is not the seed's public key")
        if f["tlp"] in ADDRESSED:
            s = dict(f["sealed"])
            to = f["to"]
            readers = [(rs, "recipient %s" % nid.hex()[:16]) for nid, rs in recipients]
            readers.append((seed, "origin"))
            if len(to) != len(recipients):
                fails.append("decoded to has %d ids, vector lists %d" % (len(to), len(recipients)))
            for rseed, label in readers:
                nid = ed_keypair(rseed)[0]
                i = len(to) if nid == f["origin"] else (to.index(nid) if nid in to else None)
                if i is None:
                    fails.append("%s is not in to" % label)
                    continue
                xpk, xsk = x_keypair(rseed)
                try:
                    K2 = sodium.crypto_box_seal_open(s["keys"][i], xpk, xsk)
                    P2 = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
                        s["box"], b"", s["nonce"], K2)
                except nacl.exceptions.CryptoError as e:
                    fails.append("%s: decrypt-failed (%s)" % (label, e))
                    continue
                try:
                    dbody = decode_canonical(P2, "sealed body")
                    validate_body(f["kind"], dbody)
                except ProtoError as e:
                    fails.append("%s: plaintext rejected: %s" % (label, e))
                if P2 != plaintext:
                    fails.append("%s: plaintext differs from the encoded body at byte offset %d"
                                 % (label, first_diff(P2, plaintext)))
            # the ephemeral public keys follow from the randomness stream
            rand2 = Rand(b"".join(hexb(x) for x in many.get("random", [])))
            rand2.draw(56, "K and N")
            for i, k in enumerate(s["keys"]):
                esk = rand2.draw(32, "esk")
                if k[:32] != sodium.crypto_scalarmult_base(esk):
                    fails.append("sealed key %d: epk is not X25519(esk %d, base point)" % (i, i))
        else:
            if enc(f["body"]) != plaintext:
                fails.append("decoded body differs from the encoded body at byte offset %d"
                             % first_diff(enc(f["body"]), plaintext))
    except ProtoError as e:
        fails.append("decoding the expected bytes: %s" % e)
    return name, fails


# ---------------------------------------------------------------------------
# The governing kinds' decoder rules (sections 4, 5.3-5.5): a table of
# messages, each breaking one rule (or none), signed and decoded strictly.
# ---------------------------------------------------------------------------

def strict_decode(data):
    """Section 9 for a message in clear: size, canonical form, envelope and
    body rules, signature.  Returns the envelope fields or raises."""
    if len(data) > 262144:
        raise ProtoError("too-big", "%d bytes" % len(data))
    top = decode_canonical(data, "message")
    if not isinstance(top, list) or len(top) != 2:
        raise ProtoError("bad-type", "message is not a two-element array")
    denv, dsig = top
    if not isinstance(dsig, bytes) or len(dsig) != 64:
        raise ProtoError("bad-length", "signature is not bin 64")
    f = validate_envelope(denv)
    try:
        sodium.crypto_sign_open(dsig + data[1:-66], f["origin"])
    except nacl.exceptions.BadSignatureError:
        raise ProtoError("bad-signature", "signature does not verify")
    verify_rotation(f)
    return f


def governing_message(kind, tlp, body, ref=True, sealed=False, to=False, seq=9,
                      sign_seed=None):
    """A message of origin seed 01..01, signed by that key, or by the key of
    sign_seed (a signature by another key than the origin's)."""
    seed = bytes([1]) * 32
    opk, osk = ed_keypair(seed)
    if sign_seed is not None:
        osk = ed_keypair(sign_seed)[1]
    env = OMap([("v", 1), ("origin", opk), ("seq", seq), ("time", 1767229200000),
                ("tlp", tlp), ("kind", kind)])
    if ref:
        env.append(("ref", bytes([0x11]) * 32))
    if to and not sealed:
        # a `to` beside a body in clear (section 4: forbidden for clear, green)
        env.append(("to", [seed_id("02" * 32, "to")]))
    if sealed:
        # well-formed as far as section 7's sizes go, so that only the TLP
        # rule of the governing kinds is broken
        env.append(("to", [seed_id("02" * 32, "to")]))
        env.append(("sealed", OMap([("nonce", bytes(24)), ("keys", [bytes(80)] * 2),
                                    ("box", bytes(16 + len(enc(body))))])))
    else:
        env.append(("body", body))
    env_bytes = enc(env)
    sig = sodium.crypto_sign(env_bytes, osk)[:64]
    return enc([env, sig])


def check_governing_rules():
    A, B, C = (seed_id(("%02x" % i) * 32, "seed") for i in (1, 2, 3))
    A, B, C = sorted([A, B, C])

    def roster(network="example-net", epoch=1, threshold=1, members=None, keys=None):
        if members is None:
            members = [[A, "soc-a", "member", True], [B, "soc-b", "member", False],
                       [C, "soc-c", "external", False]]
        m = OMap([("network", network), ("epoch", epoch), ("threshold", threshold),
                  ("members", members)])
        if keys is not None:
            m = OMap([(k, dict(m)[k] if k in dict(m) else 1) for k in keys])
        return m

    def legacy():
        return OMap([("peer", B), ("name", "soc-b"), ("level", "member"),
                     ("coordinator", False)])

    def eps(entries):
        return OMap([("endpoints", entries)])

    def many(n, coordinators=1):
        return [[i.to_bytes(32, "big"), "n%d" % i, "member", i <= coordinators]
                for i in range(1, n + 1)]

    ep = [[A, "tcp://192.0.2.10:7000"], [B, "tcp://192.0.2.20:7000"]]
    R = "roster"
    # (what, kind, tlp, body, ref, sealed, expected reason or None)
    cases = [
        ("membership roster, clear", R, "clear", roster(), False, False, None),
        ("membership roster, green", R, "green", roster(), False, False, "bad-tlp"),
        ("membership roster, amber", R, "amber", roster(), False, True, "bad-tlp"),
        ("membership roster with ref", R, "clear", roster(), True, False, "bad-ref"),
        ("roster body beginning with epoch", R, "clear",
         roster(keys=["epoch", "threshold", "members"]), False, False, "bad-field"),
        ("roster body beginning with name", R, "clear",
         OMap([("name", "x"), ("peer", B)]), False, False, "bad-field"),
        ("empty roster body", R, "clear", OMap(), False, False, "bad-field"),
        ("membership roster without threshold", R, "clear",
         roster(keys=["network", "epoch", "members"]), False, False, "bad-field"),
        ("membership roster, threshold before epoch", R, "clear",
         roster(keys=["network", "threshold", "epoch", "members"]), False, False, "bad-field"),
        ("membership roster with an unknown key", R, "clear",
         OMap(list(roster()) + [("note", "x")]), False, False, "bad-field"),
        ("network with a space", R, "clear", roster(network="example net"),
         False, False, "bad-token"),
        ("network of 63 bytes", R, "clear", roster(network="n" * 63), False, False, None),
        ("network of 64 bytes", R, "clear", roster(network="n" * 64), False, False, "bad-token"),
        ("network not a str", R, "clear", roster(network=b"example-net"),
         False, False, "bad-type"),
        ("epoch 0", R, "clear", roster(epoch=0), False, False, "bad-field"),
        ("epoch not a uint", R, "clear", roster(epoch=True), False, False, "bad-type"),
        ("threshold 0", R, "clear", roster(threshold=0), False, False, "too-many"),
        ("threshold above the coordinators", R, "clear", roster(threshold=2),
         False, False, "too-many"),
        ("threshold equal to the coordinators", R, "clear",
         roster(threshold=2, members=[[A, "a", "member", True], [B, "b", "external", True]]),
         False, False, None),
        ("no coordinator", R, "clear",
         roster(members=[[A, "a", "member", False]]), False, False, "too-many"),
        ("members empty", R, "clear", roster(members=[]), False, False, "too-many"),
        ("512 members", R, "clear", roster(members=many(512)), False, False, None),
        ("513 members", R, "clear", roster(members=many(513)), False, False, "too-many"),
        ("members out of order", R, "clear",
         roster(members=[[B, "soc-b", "member", False], [A, "soc-a", "member", True]]),
         False, False, "non-canonical"),
        ("member id repeated", R, "clear",
         roster(members=[[A, "soc-a", "member", True], [A, "soc-b", "member", False]]),
         False, False, "non-canonical"),
        ("member name repeated", R, "clear",
         roster(members=[[A, "soc", "member", True], [B, "soc", "member", False]]),
         False, False, "bad-token"),
        ("member names differing in case", R, "clear",
         roster(members=[[A, "soc", "member", True], [B, "SOC", "member", False]]),
         False, False, None),
        ("member name with a slash", R, "clear",
         roster(members=[[A, "soc/a", "member", True]]), False, False, "bad-token"),
        ("member name empty", R, "clear",
         roster(members=[[A, "", "member", True]]), False, False, "bad-token"),
        ("member of 3 elements", R, "clear",
         roster(members=[[A, "soc-a", "member"]]), False, False, "bad-field"),
        ("member of 5 elements", R, "clear",
         roster(members=[[A, "soc-a", "member", True, True]]), False, False, "bad-field"),
        ("member not an array", R, "clear", roster(members=[A]), False, False, "bad-type"),
        ("member level unknown", R, "clear",
         roster(members=[[A, "soc-a", "admin", True]]), False, False, "bad-level"),
        ("member id of 31 bytes", R, "clear",
         roster(members=[[A[:31], "soc-a", "member", True]]), False, False, "bad-length"),
        ("member coordinator flag not a bool", R, "clear",
         roster(members=[[A, "soc-a", "member", 1]]), False, False, "bad-type"),
        ("legacy roster, clear", R, "clear", legacy(), False, False, None),
        ("legacy roster, green", R, "green", legacy(), False, False, None),
        ("legacy roster, red", R, "red", legacy(), False, True, "bad-tlp"),
        ("approve, clear, no note", "approve", "clear", OMap(), True, False, None),
        ("approve, clear, with a note", "approve", "clear",
         OMap([("note", "ok\nline two")]), True, False, None),
        ("approve, green", "approve", "green", OMap(), True, False, "bad-tlp"),
        ("approve, amber+strict", "approve", "amber+strict", OMap(), True, True, "bad-tlp"),
        ("approve without ref", "approve", "clear", OMap(), False, False, "bad-ref"),
        ("approve with an unknown key", "approve", "clear",
         OMap([("peer", A)]), True, False, "bad-field"),
        ("endpoints, green", "endpoints", "green", eps(ep), True, False, None),
        ("endpoints, green, empty", "endpoints", "green", eps([]), True, False, None),
        ("endpoints, clear", "endpoints", "clear", eps(ep), True, False, "bad-tlp"),
        ("endpoints, amber", "endpoints", "amber", eps(ep), True, True, "bad-tlp"),
        ("endpoints without ref", "endpoints", "green", eps(ep), False, False, "bad-ref"),
        ("endpoints body empty", "endpoints", "green", OMap(), True, False, "bad-field"),
        ("endpoints out of order", "endpoints", "green", eps(ep[::-1]),
         True, False, "non-canonical"),
        ("endpoints id repeated", "endpoints", "green", eps([ep[0], ep[0]]),
         True, False, "non-canonical"),
        ("512 endpoints", "endpoints", "green",
         eps([[i.to_bytes(32, "big"), "tcp://h:%d" % i] for i in range(1, 513)]),
         True, False, None),
        ("513 endpoints", "endpoints", "green",
         eps([[i.to_bytes(32, "big"), "tcp://h:%d" % i] for i in range(1, 514)]),
         True, False, "too-many"),
        ("endpoint entry of 3 elements", "endpoints", "green",
         eps([ep[0] + ["x"]]), True, False, "bad-field"),
        ("endpoint entry of 1 element", "endpoints", "green",
         eps([[A]]), True, False, "bad-field"),
        ("endpoint id of 33 bytes", "endpoints", "green",
         eps([[A + b"\0", "tcp://h:1"]]), True, False, "bad-length"),
        ("endpoint of 7 bytes", "endpoints", "green", eps([[A, "tcp://h"]]), True, False, None),
        ("endpoint tcp:// alone", "endpoints", "green", eps([[A, "tcp://"]]),
         True, False, "bad-field"),
        ("endpoint of 255 bytes", "endpoints", "green",
         eps([[A, "tcp://" + "h" * 249]]), True, False, None),
        ("endpoint of 256 bytes", "endpoints", "green",
         eps([[A, "tcp://" + "h" * 250]]), True, False, "bad-field"),
        ("endpoint of another scheme", "endpoints", "green",
         eps([[A, "udp://192.0.2.1:7000"]]), True, False, "bad-field"),
        ("endpoint with a space", "endpoints", "green",
         eps([[A, "tcp://192.0.2.1 :7000"]]), True, False, "bad-field"),
        ("endpoint with a non-ASCII byte", "endpoints", "green",
         eps([[A, "tcp://h\u00e9:1"]]), True, False, "bad-field"),
        ("endpoint not a str", "endpoints", "green",
         eps([[A, b"tcp://h:1"]]), True, False, "bad-type"),
    ]
    return run_cases([c[:6] + ({},) + c[6:] for c in cases])


def run_cases(cases):
    """cases: (what, kind, tlp, body, ref, sealed, extra message arguments,
    expected reason or None).  The expected reason may be a tuple: a message
    that breaks several rules may be refused for any of them (section 10.1)."""
    fails = []
    for what, kind, tlp, body, ref, sealed, extra, want in cases:
        try:
            strict_decode(governing_message(kind, tlp, body, ref, sealed, **extra))
            got = None
        except ProtoError as e:
            got, detail = e.name, str(e)
        except Exception as e:  # a decoder that crashes is not strict
            got, detail = "no reason", "%s: %s" % (type(e).__name__, e)
        wants = want if isinstance(want, tuple) else (want,)
        if got not in wants:
            fails.append("%s: %s, expected %s%s" % (
                what, "accepted" if got is None else "refused " + got,
                "acceptance" if want is None else " or ".join(wants),
                "" if got is None else " (%s)" % detail))
    return fails


# ---------------------------------------------------------------------------
# The beacon's decoder rules (sections 4 and 5.6)
# ---------------------------------------------------------------------------

def check_beacon_rules():
    def beacon(epoch=1, version="0.10.0", peers=7, store=1048576, flaps=0, keys=None):
        m = OMap([("epoch", epoch), ("version", version), ("peers", peers),
                  ("store", store), ("flaps", flaps)])
        if keys is not None:
            m = OMap([(k, dict(m)[k]) for k in keys])
        return m

    B = BEACON
    T = 1767229200000  # governing_message's time: a beacon's seq is its time
    s = {"seq": T}
    # (what, kind, tlp, body, ref, sealed, extra, expected reason or None)
    cases = [
        ("beacon, green", B, "green", beacon(), False, False, s, None),
        ("beacon, epoch 0 (no roster in force)", B, "green", beacon(epoch=0),
         False, False, s, None),
        ("beacon, all counts 0", B, "green", beacon(epoch=0, peers=0, store=0),
         False, False, s, None),
        ("beacon, uint64 store", B, "green", beacon(store=2 ** 64 - 1),
         False, False, s, None),
        ("beacon, clear", B, "clear", beacon(), False, False, s, "bad-tlp"),
        ("beacon, amber", B, "amber", beacon(), False, True, s, "bad-tlp"),
        ("beacon, amber+strict", B, "amber+strict", beacon(), False, True, s, "bad-tlp"),
        ("beacon, red", B, "red", beacon(), False, True, s, "bad-tlp"),
        ("beacon, unknown tlp", B, "white", beacon(), False, False, s, "bad-tlp"),
        ("beacon with ref", B, "green", beacon(), True, False, s, "bad-ref"),
        ("beacon with to", B, "green", beacon(), False, False, dict(s, to=True),
         "bad-recipients"),
        ("beacon version of 1 byte", B, "green", beacon(version="1"),
         False, False, s, None),
        ("beacon version of bytes 0x21 and 0x7e", B, "green", beacon(version="!~"),
         False, False, s, None),
        ("beacon version of 32 bytes", B, "green", beacon(version="v" * 32),
         False, False, s, None),
        ("beacon version empty", B, "green", beacon(version=""),
         False, False, s, "bad-length"),
        ("beacon version of 33 bytes", B, "green", beacon(version="v" * 33),
         False, False, s, "bad-length"),
        ("beacon version of 255 bytes", B, "green", beacon(version="v" * 255),
         False, False, s, "bad-length"),
        ("beacon version with a space", B, "green", beacon(version="0.10.0 rc1"),
         False, False, s, "bad-field"),
        ("beacon version with a non-ASCII byte", B, "green", beacon(version="0.10.0\u00e9"),
         False, False, s, "bad-field"),
        # also control characters, which the text rule of section 1 refuses
        ("beacon version with DEL", B, "green", beacon(version="0.10\x7f"),
         False, False, s, ("bad-field", "bad-text")),
        ("beacon version with a tab", B, "green", beacon(version="0.10\t0"),
         False, False, s, ("bad-field", "bad-text")),
        ("beacon version not a str", B, "green", beacon(version=b"0.10.0"),
         False, False, s, "bad-type"),
        ("beacon epoch not a uint", B, "green", beacon(epoch=True),
         False, False, s, "bad-type"),
        ("beacon peers not a uint", B, "green", beacon(peers="7"),
         False, False, s, "bad-type"),
        ("beacon store not a uint", B, "green", beacon(store=b"\x00"),
         False, False, s, "bad-type"),
        ("beacon flaps not a uint", B, "green", beacon(flaps=False),
         False, False, s, "bad-type"),
        ("beacon without flaps", B, "green",
         beacon(keys=["epoch", "version", "peers", "store"]), False, False, s, "bad-field"),
        ("beacon without epoch", B, "green",
         beacon(keys=["version", "peers", "store", "flaps"]), False, False, s, "bad-field"),
        ("beacon, version before epoch", B, "green",
         beacon(keys=["version", "epoch", "peers", "store", "flaps"]),
         False, False, s, "bad-field"),
        ("beacon, flaps before store", B, "green",
         beacon(keys=["epoch", "version", "peers", "flaps", "store"]),
         False, False, s, "bad-field"),
        ("beacon with an unknown key", B, "green",
         OMap(list(beacon()) + [("note", "x")]), False, False, s, "bad-field"),
        ("beacon with a repeated key", B, "green",
         OMap(list(beacon()) + [("flaps", 0)]), False, False, s, "bad-field"),
        ("beacon body empty", B, "green", OMap(), False, False, s, "bad-field"),
        ("beacon with a sighting's body", B, "green", OMap([("note", "x")]),
         False, False, s, "bad-field"),
        ("beacon body not a map", B, "green", [1, "0.10.0", 7, 0, 0],
         False, False, s, "bad-type"),
    ]
    return run_cases(cases)


# ---------------------------------------------------------------------------
# The rotation's decoder rules and its two signatures (sections 4, 5.7)
# ---------------------------------------------------------------------------

def check_rotate_rules():
    old_seed, new_seed, other_seed = (bytes([i]) * 32 for i in (1, 4, 3))
    OLD, OLD_SK = ed_keypair(old_seed)   # governing_message's origin
    NEW, NEW_SK = ed_keypair(new_seed)
    OTHER, OTHER_SK = ed_keypair(other_seed)

    def sign(sk, m):
        return sodium.crypto_sign(m, sk)[:64]

    def rot(peer=NEW, proof=None, keys=None):
        if proof is None:
            proof = sign(NEW_SK, rotation_statement(OLD, NEW))
        m = OMap([("peer", peer), ("proof", proof)])
        if keys is not None:
            m = OMap([(k, dict(m)[k]) for k in keys])
        return m

    good = sign(NEW_SK, rotation_statement(OLD, NEW))
    flipped = bytes([good[0] ^ 1]) + good[1:]
    Rt = ROTATE
    # (what, kind, tlp, body, ref, sealed, extra, expected reason or None)
    cases = [
        ("rotate, clear", Rt, "clear", rot(), False, False, {}, None),
        ("rotate, green", Rt, "green", rot(), False, False, {}, "bad-tlp"),
        ("rotate, amber", Rt, "amber", rot(), False, True, {}, "bad-tlp"),
        ("rotate, amber+strict", Rt, "amber+strict", rot(), False, True, {}, "bad-tlp"),
        ("rotate, red", Rt, "red", rot(), False, True, {}, "bad-tlp"),
        ("rotate, unknown tlp", Rt, "white", rot(), False, False, {}, "bad-tlp"),
        ("rotate with ref", Rt, "clear", rot(), True, False, {}, "bad-ref"),
        ("rotate with to", Rt, "clear", rot(), False, False, {"to": True},
         "bad-recipients"),
        ("rotate peer of 31 bytes", Rt, "clear", rot(peer=NEW[:31]),
         False, False, {}, "bad-length"),
        ("rotate peer of 33 bytes", Rt, "clear", rot(peer=NEW + b"\0"),
         False, False, {}, "bad-length"),
        ("rotate peer empty", Rt, "clear", rot(peer=b""), False, False, {}, "bad-length"),
        ("rotate proof of 63 bytes", Rt, "clear", rot(proof=good[:63]),
         False, False, {}, "bad-length"),
        ("rotate proof of 65 bytes", Rt, "clear", rot(proof=good + b"\0"),
         False, False, {}, "bad-length"),
        ("rotate proof empty", Rt, "clear", rot(proof=b""), False, False, {}, "bad-length"),
        ("rotate peer not a bin", Rt, "clear", rot(peer=NEW.hex()),
         False, False, {}, "bad-type"),
        ("rotate proof not a bin", Rt, "clear", rot(proof=[good]),
         False, False, {}, "bad-type"),
        # the proof: by the new key, over "socmesh-rotate-v1" || old || new
        ("rotate proof by the old key", Rt, "clear",
         rot(proof=sign(OLD_SK, rotation_statement(OLD, NEW))), False, False, {},
         "bad-signature"),
        ("rotate proof by a third key", Rt, "clear",
         rot(proof=sign(OTHER_SK, rotation_statement(OLD, NEW))), False, False, {},
         "bad-signature"),
        ("rotate proof by a third key, which is not the peer", Rt, "clear",
         rot(peer=NEW, proof=sign(OTHER_SK, rotation_statement(OLD, OTHER))),
         False, False, {}, "bad-signature"),
        ("rotate proof over another old id (lifted from another rotation)", Rt, "clear",
         rot(proof=sign(NEW_SK, rotation_statement(OTHER, NEW))), False, False, {},
         "bad-signature"),
        ("rotate proof over old and new swapped", Rt, "clear",
         rot(proof=sign(NEW_SK, ROTATE_PREFIX + NEW + OLD)), False, False, {},
         "bad-signature"),
        ("rotate proof over another text (socmesh-rotate-v2)", Rt, "clear",
         rot(proof=sign(NEW_SK, b"socmesh-rotate-v2" + OLD + NEW)), False, False, {},
         "bad-signature"),
        ("rotate proof without the text", Rt, "clear",
         rot(proof=sign(NEW_SK, OLD + NEW)), False, False, {}, "bad-signature"),
        ("rotate proof over the text with a NUL (18 bytes)", Rt, "clear",
         rot(proof=sign(NEW_SK, ROTATE_PREFIX + b"\0" + OLD + NEW)), False, False, {},
         "bad-signature"),
        ("rotate proof over 82 bytes", Rt, "clear",
         rot(proof=sign(NEW_SK, rotation_statement(OLD, NEW) + b"\0")), False, False, {},
         "bad-signature"),
        ("rotate proof over the new id alone", Rt, "clear",
         rot(proof=sign(NEW_SK, NEW)), False, False, {}, "bad-signature"),
        ("rotate proof with a bit flipped", Rt, "clear", rot(proof=flipped),
         False, False, {}, "bad-signature"),
        ("rotate proof of zeros", Rt, "clear", rot(proof=bytes(64)),
         False, False, {}, "bad-signature"),
        ("rotate peer that is not a public key", Rt, "clear",
         rot(peer=b"\xff" * 32), False, False, {}, "bad-signature"),
        # the envelope: by the origin, the old key, as any message (section 8)
        ("rotate signed by the new key, not the origin", Rt, "clear", rot(),
         False, False, {"sign_seed": new_seed}, "bad-signature"),
        ("rotate signed by a third key", Rt, "clear", rot(),
         False, False, {"sign_seed": other_seed}, "bad-signature"),
        # the body's keys (section 5.7's table, section 9 item 3)
        ("rotate without proof", Rt, "clear", rot(keys=["peer"]),
         False, False, {}, "bad-field"),
        ("rotate without peer", Rt, "clear", rot(keys=["proof"]),
         False, False, {}, "bad-field"),
        ("rotate, proof before peer", Rt, "clear", rot(keys=["proof", "peer"]),
         False, False, {}, "bad-field"),
        ("rotate with a repeated peer", Rt, "clear",
         OMap(list(rot()) + [("peer", NEW)]), False, False, {}, "bad-field"),
        ("rotate with an unknown key", Rt, "clear",
         OMap(list(rot()) + [("note", "x")]), False, False, {}, "bad-field"),
        ("rotate body empty", Rt, "clear", OMap(), False, False, {}, "bad-field"),
        ("rotate with a legacy roster's body", Rt, "clear",
         OMap([("peer", NEW), ("name", "soc-b"), ("level", "member"),
               ("coordinator", False)]), False, False, {}, "bad-field"),
        ("rotate body not a map", Rt, "clear", [NEW, good], False, False, {}, "bad-type"),
        ("a rotation's body under kind roster", "roster", "clear", rot(),
         False, False, {}, "bad-field"),
    ]
    return run_cases(cases)


# ---------------------------------------------------------------------------
# The partial update and the comment (sections 4, 5.1, 5.8)
# ---------------------------------------------------------------------------

def check_case_rules():
    LEAD = seed_id("02" * 32, "lead")

    def case(*pairs):
        return OMap(list(pairs))

    incident = [("title", "t"), ("category", "test"), ("severity", "low"), ("status", "open")]
    ind = ("indicators", [["ipv4", "192.0.2.45"]])
    U, C, I = "update", "comment", "incident"
    # (what, kind, tlp, body, ref, sealed, extra, expected reason or None)
    cases = [
        ("update of a status alone", U, "green", case(("status", "contained")),
         True, False, {}, None),
        ("update of a lead alone", U, "green", case(("lead", LEAD)), True, False, {}, None),
        ("update of a status and a lead", U, "clear",
         case(("status", "contained"), ("lead", LEAD)), True, False, {}, None),
        ("update of every incident key but the title", U, "green",
         case(*incident[1:], ("expires", 1769904000000)), True, False, {}, None),
        ("update of indicators alone", U, "green", case(ind), True, False, {}, None),
        ("update, amber", U, "amber", case(("status", "contained")), True, True, {}, None),
        ("update body empty", U, "green", OMap(), True, False, {}, "bad-field"),
        ("update without ref", U, "green", case(("status", "resolved")),
         False, False, {}, "bad-ref"),
        ("update, lead before status", U, "green",
         case(("lead", LEAD), ("status", "contained")), True, False, {}, "bad-field"),
        ("update, lead of 31 bytes", U, "green", case(("lead", LEAD[:31])),
         True, False, {}, "bad-length"),
        ("update, lead of 33 bytes", U, "green", case(("lead", LEAD + b"\0")),
         True, False, {}, "bad-length"),
        ("update, lead not a bin", U, "green", case(("lead", LEAD.hex())),
         True, False, {}, "bad-type"),
        ("update, unknown status", U, "green", case(("status", "closed")),
         True, False, {}, "bad-status"),
        ("update with a note", U, "green", case(("note", "x")), True, False, {}, "bad-field"),
        ("update with text", U, "green", case(("text", "x")), True, False, {}, "bad-field"),
        ("update, repeated status", U, "green",
         case(("status", "open"), ("status", "resolved")), True, False, {}, "bad-field"),
        ("incident with its four keys", I, "green", case(*incident), False, False, {}, None),
        ("incident with a lead", I, "green", case(*incident, ("lead", LEAD)),
         False, False, {}, "bad-field"),
        ("incident without a status", I, "green", case(*incident[:3]),
         False, False, {}, "bad-field"),
        ("incident without a title", I, "green", case(*incident[1:]),
         False, False, {}, "bad-field"),
        ("update of lessons alone", U, "green", case(("lessons", "patch sooner")),
         True, False, {}, None),
        ("update of the four lesson keys", U, "amber",
         case(("detection", "d"), ("effects", "e"), ("response", "r"), ("lessons", "l")),
         True, True, {}, None),
        ("incident with lessons of two lines", I, "green",
         case(*incident[:3], ("status", "resolved"), ("lessons", "a\n\tb")),
         False, False, {}, None),
        ("incident, detection of 16,384 bytes", I, "green",
         case(*incident, ("detection", "x" * 16384)), False, False, {}, None),
        ("incident, effects of 16,385 bytes", I, "green",
         case(*incident, ("effects", "x" * 16385)), False, False, {}, "bad-length"),
        ("update, lessons before detection", U, "green",
         case(("lessons", "l"), ("detection", "d")), True, False, {}, "bad-field"),
        ("update, expires before lessons", U, "green",
         case(("expires", 1769904000000), ("lessons", "l")), True, False, {}, "bad-field"),
        ("update, response empty", U, "green", case(("status", "open"), ("response", "")),
         True, False, {}, ("bad-length", "non-canonical")),
        ("update, lessons with a control character", U, "green",
         case(("lessons", "a\x07b")), True, False, {}, "bad-text"),
        ("update, lessons not a str", U, "green", case(("lessons", b"l")),
         True, False, {}, "bad-type"),
        ("comment with lessons", C, "green", case(("text", "x"), ("lessons", "l")),
         True, False, {}, "bad-field"),
        ("comment", C, "green", case(("text", "we see it too")), True, False, {}, None),
        ("comment with indicators", C, "clear", case(("text", "x"), ind), True, False, {}, None),
        ("comment of two lines and a tab", C, "green", case(("text", "a\n\tb")),
         True, False, {}, None),
        ("comment of 4,096 bytes", C, "green", case(("text", "x" * 4096)),
         True, False, {}, None),
        ("comment, amber", C, "amber", case(("text", "x")), True, True, {}, None),
        ("comment, red", C, "red", case(("text", "x")), True, True, {}, None),
        ("comment without ref", C, "green", case(("text", "x")), False, False, {}, "bad-ref"),
        ("comment with to, green", C, "green", case(("text", "x")), True, False,
         {"to": True}, "bad-recipients"),
        ("comment without text", C, "green", case(ind), True, False, {}, "bad-field"),
        ("comment body empty", C, "green", OMap(), True, False, {}, "bad-field"),
        ("comment with a note instead", C, "green", case(("note", "x")),
         True, False, {}, "bad-field"),
        ("comment, indicators before text", C, "green", case(ind, ("text", "x")),
         True, False, {}, "bad-field"),
        ("comment with a status", C, "green", case(("text", "x"), ("status", "open")),
         True, False, {}, "bad-field"),
        ("comment, text empty", C, "green", case(("text", "")), True, False, {},
         ("bad-length", "non-canonical")),
        ("comment, text of 4,097 bytes", C, "green", case(("text", "x" * 4097)),
         True, False, {}, "bad-length"),
        ("comment, text with a control character", C, "green", case(("text", "a\x01b")),
         True, False, {}, "bad-text"),
        ("comment, text not a str", C, "green", case(("text", b"x")),
         True, False, {}, "bad-type"),
        ("comment, indicators empty", C, "green", case(("text", "x"), ("indicators", [])),
         True, False, {}, ("bad-field", "non-canonical")),
        ("comment, indicator not normalized", C, "green",
         case(("text", "x"), ("indicators", [["domain", "Example.COM"]])),
         True, False, {}, "bad-indicator"),
        ("a comment's body under kind sighting", "sighting", "green", case(("text", "x")),
         True, False, {}, "bad-field"),
    ]
    return run_cases(cases)


# ---------------------------------------------------------------------------
# Section 4's kind list against the kinds section 5 specifies
# ---------------------------------------------------------------------------

def check_kind_list(text):
    """The `kind` row of section 4's envelope table enumerates the kinds; it
    must name exactly the kinds whose bodies section 5 specifies (the
    `### 5.N` headings), which are the kinds this checker decodes."""
    fails = []
    sec4 = re.search(r"^## 4\. .*?(?=^## 5\. )", text, re.S | re.M)
    sec5 = re.search(r"^## 5\. .*?(?=^## 6\. )", text, re.S | re.M)
    if not sec4 or not sec5:
        return ["cannot find sections 4 and 5"]
    row = re.search(r"^\| `kind` \|[^\n]*", sec4.group(0), re.M)
    if not row:
        return ["section 4: no `kind` row in the envelope table"]
    listed = re.findall(r"`([a-z+-]+)`", row.group(0).split("|")[4])
    specified = []
    for h in re.findall(r"^### 5\.[0-9]+ (.*)$", sec5.group(0), re.M):
        specified += re.findall(r"`([a-z+-]+)`", h)
    if len(set(listed)) != len(listed):
        fails.append("section 4 lists a kind twice: %s" % ", ".join(listed))
    for k in specified:
        if k not in listed:
            fails.append("section 4's kind list (%s) lacks %r, which section 5 specifies"
                         % (", ".join(listed), k))
    for k in listed:
        if k not in specified:
            fails.append("section 4 lists %r, which no heading of section 5 specifies" % k)
    if sorted(specified) != sorted(KINDS):
        fails.append("section 5 specifies %s; this checker decodes %s"
                     % (", ".join(specified), ", ".join(KINDS)))
    return fails


def main(argv):
    path = argv[1] if len(argv) > 1 else "docs/PROTOCOL.md"
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    blocks = parse_blocks(text)
    results = []
    if not blocks:
        results.append(("message vectors", ["no ```vector blocks found in %s" % path]))
    ids_by_name = {}
    for b in blocks:
        try:
            name, fails = run_vector(b, ids_by_name)
        except Exception as e:  # malformed block or input outside the rules
            name = next((v for k, v in b["_fields"] if k == "name"), "line-%d" % b["_line"])
            fails = ["cannot build the vector: %s: %s" % (type(e).__name__, e)]
        results.append((name, fails))
    try:
        gov = check_governing_rules()
    except Exception as e:
        gov = ["%s: %s" % (type(e).__name__, e)]
    results.append(("governing kinds: decoder rules of sections 4, 5.3-5.5", gov))
    try:
        bea = check_beacon_rules()
    except Exception as e:
        bea = ["%s: %s" % (type(e).__name__, e)]
    results.append(("beacon: decoder rules of sections 4, 5.6", bea))
    try:
        rot = check_rotate_rules()
    except Exception as e:
        rot = ["%s: %s" % (type(e).__name__, e)]
    results.append(("rotate: decoder rules and both signatures, sections 4, 5.7", rot))
    try:
        cas = check_case_rules()
    except Exception as e:
        cas = ["%s: %s" % (type(e).__name__, e)]
    results.append(("update and comment: decoder rules of sections 4, 5.1, 5.8", cas))
    try:
        kl = check_kind_list(text)
    except Exception as e:
        kl = ["%s: %s" % (type(e).__name__, e)]
    results.append(("section 4's kind list names every kind of section 5", kl))
    # Sections 12 and 13: the reconciliation vector and the frame vectors.
    try:
        results += frames.run(text)
    except Exception as e:  # malformed block
        results.append(("peer protocol vectors", ["%s: %s" % (type(e).__name__, e)]))
    print("1..%d" % len(results))
    failed = 0
    for n, (name, fails) in enumerate(results, 1):
        print("%s %d - %s" % ("not ok" if fails else "ok", n, name))
        for f in fails:
            print("# " + f)
        failed += bool(fails)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
