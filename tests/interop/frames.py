#!/usr/bin/python3
"""Independent check of the socmesh peer protocol: section 12
(reconciliation) and section 13 (frames) of docs/PROTOCOL.md.

Written from docs/PROTOCOL.md alone (no C source consulted), with nothing
but the Python standard library:

  * reconciliation (section 12): items, bounds, fingerprints, the message
    format and the answering rules, written out below; the ```recon-vector
    block of section 12.4 is replayed as an exchange between the two sets
    it describes, and every message must match the block byte for byte;
  * frames (section 13.2): every ```frame-vector block is built from its
    inputs (version and features, role and exchange id, items, tokens,
    refusal kind, class and reason) and compared with its payload, then the
    payload is parsed back by a strict reader and must give the inputs back;
  * the reader also rejects a table of malformed payloads, each chosen from
    a rule of section 13.2, so that it is known to be strict.

Used by vectors.py, which prints one TAP plan for all the vectors; run
alone it prints its own: frames.py [PATH-TO-PROTOCOL.md].
"""

import hashlib
import re
import sys

# ---------------------------------------------------------------------------
# Section 12: reconciliation
# ---------------------------------------------------------------------------

FANOUT = 4          # a differing range is split into four sub-ranges
IDLIST_MAX = 4      # at most four items: an id list instead
FP_LEN = 8
PREFIX_LEN = 16
RECON_MAX = 524288
INF = "infinity"    # the infinity bound, past every item
START = "start"     # the start of the first range


class ReconError(Exception):
    pass


def blake2b(data, n):
    return hashlib.blake2b(data, digest_size=n).digest()


def item_id(i):
    """Item i of the section 12.4 vector: BLAKE2b-256 of the single byte i."""
    return blake2b(bytes([i]), 32)


def fingerprint(items):
    s = sum(int.from_bytes(i[1], "little") for i in items) % (1 << 256)
    return blake2b(s.to_bytes(32, "little") + len(items).to_bytes(8, "little"), 16)[:FP_LEN]


def below(item, bound):
    """Does item (time, id) sort before bound (time, prefix)?"""
    if bound is INF:
        return True
    t, prefix = bound
    return (item[0], item[1]) < (t, prefix + bytes(32 - len(prefix)))


def between(a, b):
    """The shortest bound with a below it and b not (a < b)."""
    if a[0] != b[0]:
        return (b[0], b"")
    k = 0
    while a[1][k] == b[1][k]:
        k += 1
    return (b[0], b[1][:k + 1])


def in_range(items, lower, upper):
    return [i for i in items if (lower is START or not below(i, lower)) and below(i, upper)]


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


class Reader:
    def __init__(self, data):
        self.d, self.p = data, 0

    def byte(self):
        if self.p >= len(self.d):
            raise ReconError("truncated")
        self.p += 1
        return self.d[self.p - 1]

    def take(self, n):
        if n > len(self.d) - self.p:
            raise ReconError("truncated")
        self.p += n
        return self.d[self.p - n:self.p]

    def varint(self):
        n, shift = 0, 0
        while True:
            b = self.byte()
            if shift == 63 and b > 1:
                raise ReconError("varint above 64 bits")
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                if b == 0 and shift > 0:
                    raise ReconError("varint not in its shortest form")
                return n
            shift += 7
            if shift > 63:
                raise ReconError("varint above 64 bits")


class Writer:
    """A message being written: consecutive skips are written as one and
    trailing skips are left out (section 12.2)."""

    def __init__(self):
        self.ranges = []  # (bound, mode, payload)

    def add(self, bound, mode, payload=b""):
        if mode == 0 and self.ranges and self.ranges[-1][1] == 0:
            self.ranges[-1] = (bound, 0, b"")
        else:
            self.ranges.append((bound, mode, payload))

    def bytes(self):
        rs = list(self.ranges)
        while rs and rs[-1][1] == 0:
            rs.pop()
        if not rs:
            return b""
        out = bytearray(b"\x01")
        prev = 0
        for bound, mode, payload in rs:
            if bound is INF:
                out += b"\x00\x00"
            else:
                t, prefix = bound
                out += varint(t - prev + 1) + varint(len(prefix)) + prefix
                prev = t
            out += varint(mode) + payload
        return bytes(out)


def split(w, items, upper):
    """Writes the items of a range that ends at upper (section 12.3)."""
    n = len(items)
    if n <= IDLIST_MAX:
        w.add(upper, 2, varint(n) + b"".join(i[1][:PREFIX_LEN] for i in items))
        return
    starts = [n * k // FANOUT for k in range(FANOUT)] + [n]
    for k in range(FANOUT):
        sub = items[starts[k]:starts[k + 1]]
        b = upper if k == FANOUT - 1 else between(items[starts[k + 1] - 1], items[starts[k + 1]])
        w.add(b, 1, fingerprint(sub))


def initiate(items):
    w = Writer()
    split(w, sorted(items), INF)
    return w.bytes()


def parse(msg):
    """A reconciliation message as a list of (bound, mode, payload)."""
    if len(msg) > RECON_MAX:
        raise ReconError("too big")
    r = Reader(msg)
    if r.byte() != 0x01:
        raise ReconError("unknown version")
    out, prev_time, prev = [], 0, START
    while r.p < len(msg):
        if prev is INF:
            raise ReconError("a range after the infinity bound")
        t = r.varint()
        ln = r.varint()
        if ln > 32:
            raise ReconError("prefix longer than 32 bytes")
        prefix = r.take(ln)
        if t == 0:
            if ln != 0:
                raise ReconError("infinity bound with a prefix")
            bound = INF
        else:
            time = prev_time + t - 1
            if time >= 1 << 64:
                raise ReconError("time above 64 bits")
            bound = (time, prefix)
            if prev is not START and not (bound[0], bound[1] + bytes(32 - len(bound[1]))) > \
                    (prev[0], prev[1] + bytes(32 - len(prev[1]))):
                raise ReconError("bounds do not increase")
            prev_time = time
        mode = r.varint()
        if mode == 0:
            payload = None
        elif mode == 1:
            payload = r.take(FP_LEN)
        elif mode == 2:
            n = r.varint()
            if n > (len(msg) - r.p) // PREFIX_LEN:
                raise ReconError("truncated id list")
            payload = [r.take(PREFIX_LEN) for _ in range(n)]
        else:
            raise ReconError("unknown mode %d" % mode)
        out.append((bound, mode, payload))
        prev = bound
    return out


def reply(items, msg):
    """Answers msg over this side's items: (reply bytes, have, need)."""
    items = sorted(items)
    w = Writer()
    have, need = [], []
    lower = START
    for bound, mode, payload in parse(msg):
        mine = in_range(items, lower, bound)
        if mode == 0:
            w.add(bound, 0)
        elif mode == 1:
            if fingerprint(mine) == payload:
                w.add(bound, 0)
            else:
                split(w, mine, bound)
        else:
            listed = set(payload)
            held = {i[1][:PREFIX_LEN] for i in mine}
            have += [i for i in mine if i[1][:PREFIX_LEN] not in listed]
            need += [p for p in payload if p not in held]
            w.add(bound, 0)
        lower = bound
    return w.bytes(), have, need


def vector_sets():
    """Sets A and B of section 12.4."""
    a = [(1000 + 10 * (i // 2), item_id(i)) for i in range(10)]
    b = [(1000 + 10 * (i // 2), item_id(i)) for i in list(range(9)) + [10]]
    return a, b


def exchange():
    """The exchange of section 12.4, derived from sets A and B: the
    messages in order (A's first), what each side learnt (have, need), and
    which side ends it (0: A, the initiator; 1: B)."""
    a, b = vector_sets()
    sets, learnt = [a, b], [([], []), ([], [])]
    got = [initiate(a)]
    side = 1  # who answers next: B
    while len(got) <= 64:
        out, have, need = reply(sets[side], got[-1])
        learnt[side][0].extend(have)
        learnt[side][1].extend(need)
        if not out:
            return got, learnt, side
        got.append(out)
        side ^= 1
    raise ReconError("the exchange of section 12.4 does not end")


def check_recon_vector(msgs):
    """Replays the exchange of section 12.4; returns failure diagnostics."""
    fails = []
    a, b = vector_sets()
    got, learnt, side = exchange()
    if len(got) != len(msgs):
        fails.append("the exchange has %d messages, the block lists %d" % (len(got), len(msgs)))
    for k, (g, m) in enumerate(zip(got, msgs)):
        if g != m:
            fails.append("message %d differs: got %s" % (k + 1, g.hex()))
    # A reads B's id list: B lacks item 9 (A sends it), B holds item 10
    # (A asks for it); B, whose answers held no id list, learns nothing.
    if [i[1] for i in learnt[0][0]] != [item_id(9)] or learnt[0][1] != [item_id(10)[:16]]:
        fails.append("A should find that B lacks item 9 and holds item 10")
    if learnt[1] != ([], []):
        fails.append("B should learn nothing from the exchange itself")
    # The side that answers the last message has nothing but skips to say:
    # it ends the exchange (an empty reconciliation body, section 12.3).
    if reply([a, b][side], got[-1])[0] != b"":
        fails.append("the last message's answer is not nothing but skips")
    return fails


# ---------------------------------------------------------------------------
# Section 13.2: frames
# ---------------------------------------------------------------------------

class FrameError(Exception):
    pass


HELLO_MAX = 512
REASON_MAX = 64
WANT_MAX = 4096
ROLES = {"initiator": 0, "responder": 1}
CLASSES = {"permanent": 0, "provisional": 1}
WHATS = {"message": 1, "exchange": 2}


def is_token(b, maxlen):
    return 1 <= len(b) <= maxlen and all(0x21 <= c <= 0x7E for c in b)


def hello_payload(version, features):
    if version == 1:
        if features:
            raise ValueError("a version 1 HELLO is empty")
        return b""
    return b" ".join([b"socmesh/%d" % version] + [f.encode("ascii") for f in features])


def hello_parse(p):
    """(version, features, trust value or None)."""
    if p == b"":
        return 1, [], None
    if len(p) > HELLO_MAX:
        raise FrameError("HELLO longer than 512 bytes")
    m = re.fullmatch(rb"socmesh/([1-9][0-9]{0,4})((?: [\x21-\x7e]+)*)", p)
    if not m:
        raise FrameError("malformed HELLO")
    feats = [f.decode("ascii") for f in m.group(2).split(b" ")[1:]]
    trust = None
    for f in feats:
        if f.startswith("trust=") and len(f) == 6 + 16:
            trust = f[6:]
    return int(m.group(1)), feats, trust


def recon_payload(role, xid, body):
    return bytes([role]) + xid.to_bytes(4, "big") + body


def recon_parse(p):
    if len(p) < 5 or len(p) > 5 + RECON_MAX:
        raise FrameError("RECON of %d bytes" % len(p))
    if p[0] not in (0, 1):
        raise FrameError("unknown role %d" % p[0])
    return p[0], int.from_bytes(p[1:5], "big"), p[5:]


def want_parse(p):
    if len(p) == 0 or len(p) % PREFIX_LEN or len(p) // PREFIX_LEN > WANT_MAX:
        raise FrameError("WANT of %d bytes" % len(p))
    return [p[i:i + PREFIX_LEN] for i in range(0, len(p), PREFIX_LEN)]


def token_parse(p):
    if len(p) != 8:
        raise FrameError("PING/PONG of %d bytes" % len(p))
    return p


def refuse_payload(what, reason, ident=None, cls=None, xid=None):
    r = reason.encode("ascii")
    if not is_token(r, REASON_MAX):
        raise ValueError("reason %r is not a token" % reason)
    if what == 1:
        return b"\x01" + ident + bytes([cls]) + r
    return b"\x02" + xid.to_bytes(4, "big") + r


def refuse_parse(p):
    """('message', id, class, reason) or ('exchange', xid, None, reason)."""
    if len(p) > 1 + 32 + 1 + REASON_MAX:
        raise FrameError("REFUSE longer than 98 bytes")
    if not p:
        raise FrameError("empty REFUSE")
    if p[0] == 1:
        if len(p) < 1 + 32 + 1 + 1:
            raise FrameError("REFUSE of a message too short")
        ident, cls, reason = p[1:33], p[33], p[34:]
        if cls not in (0, 1):
            raise FrameError("unknown class %d" % cls)
        head = ("message", ident, cls)
    elif p[0] == 2:
        if len(p) < 1 + 4 + 1:
            raise FrameError("REFUSE of an exchange too short")
        head, reason = ("exchange", int.from_bytes(p[1:5], "big"), None), p[5:]
    else:
        raise FrameError("unknown refusal kind %d" % p[0])
    if not is_token(reason, REASON_MAX):
        raise FrameError("reason is not a token of 1 to 64 bytes")
    return head + (reason.decode("ascii"),)


PARSERS = {"HELLO": hello_parse, "RECON": recon_parse, "WANT": want_parse,
           "PING": token_parse, "PONG": token_parse, "REFUSE": refuse_parse}

# Malformed payloads, each breaking one rule of section 13.2.
MALFORMED = [
    ("HELLO", b"socmesh/"), ("HELLO", b"socmesh/02"), ("HELLO", b"socmesh/0"),
    ("HELLO", b"socmesh/123456"), ("HELLO", b"socmesh/2 "), ("HELLO", b"socmesh/2  x"),
    ("HELLO", b"socmesh/2\tx"), ("HELLO", b"Socmesh/2"), ("HELLO", b"socmesh/2x"),
    ("HELLO", b"socmesh/2 caf\xc3\xa9"), ("HELLO", b"socmesh/2 a\x7f"),
    ("HELLO", b"socmesh/2 " + b"x" * 503),
    ("RECON", b""), ("RECON", b"\x00\x00\x00\x01"), ("RECON", b"\x02\x00\x00\x00\x01"),
    ("RECON", b"\x00\x00\x00\x00\x01" + b"\x01" * (RECON_MAX + 1)),
    ("WANT", b""), ("WANT", b"\x00" * 15), ("WANT", b"\x00" * 17),
    ("WANT", b"\x00" * 16 * 4097),
    ("PING", b""), ("PING", b"\x00" * 7), ("PONG", b"\x00" * 9),
    ("REFUSE", b""), ("REFUSE", b"\x01"), ("REFUSE", b"\x00" + b"\x00" * 4 + b"busy"),
    ("REFUSE", b"\x03" + b"\x00" * 4 + b"busy"), ("REFUSE", b"\x01" + b"\x00" * 33),
    ("REFUSE", b"\x01" + b"\x00" * 32 + b"\x02x"), ("REFUSE", b"\x02\x00\x00\x00\x01"),
    ("REFUSE", b"\x02\x00\x00\x00\x01bu sy"), ("REFUSE", b"\x02\x00\x00\x00\x01\x80"),
    ("REFUSE", b"\x02\x00\x00\x00\x01" + b"x" * 65),
    ("REFUSE", b"\x01" + b"\x00" * 32 + b"\x00" + b"x" * 65),
]
# Well-formed payloads at the edges of the same rules.
WELLFORMED = [
    ("HELLO", b"socmesh/2"), ("HELLO", b"socmesh/99999"),
    ("HELLO", b"socmesh/2 " + b"x" * 502),
    ("RECON", b"\x01\xff\xff\xff\xff"), ("RECON", b"\x00\x00\x00\x00\x01" + b"\x01" * RECON_MAX),
    ("WANT", b"\x00" * 16), ("WANT", b"\x00" * 16 * 4096),
    ("REFUSE", b"\x02\x00\x00\x00\x01" + b"x" * 64),
    ("REFUSE", b"\x01" + b"\x00" * 32 + b"\x01" + b"x" * 64),
]


def parse_blocks(text, tag):
    """The ```TAG blocks of the document: lists of (key, value)."""
    blocks, cur = [], None
    for lineno, line in enumerate(text.splitlines(), 1):
        s = line.rstrip("\r")
        if cur is None:
            if s.strip() == "```" + tag:
                cur = {"_line": lineno, "_fields": []}
            continue
        if s.strip() == "```":
            blocks.append(cur)
            cur = None
            continue
        m = re.match(r"([A-Za-z][A-Za-z0-9_-]*):(?: (.*))?\Z", s)
        if not m:
            raise ValueError("line %d: cannot parse %r" % (lineno, s))
        cur["_fields"].append((m.group(1), m.group(2) or ""))
    if cur is not None:
        raise ValueError("unterminated ```%s block at line %d" % (tag, cur["_line"]))
    return blocks


FRAME_SCALAR = {"name", "command", "version", "role", "xid", "token", "what", "class",
                "reason", "length"}
FRAME_REPEAT = {"feature", "item", "body", "payload"}
FRAME_KEYS = {
    "HELLO": {"version"}, "RECON": {"role", "xid"}, "WANT": set(),
    "PING": {"token"}, "PONG": {"token"}, "REFUSE": {"what", "reason"},
}


def frame_fields(b):
    one, many = {}, {}
    for k, v in b["_fields"]:
        if k in FRAME_REPEAT:
            many.setdefault(k, []).append(v)
        elif k in FRAME_SCALAR:
            if k in one:
                raise ValueError("field %r given twice" % k)
            one[k] = v
        else:
            raise ValueError("unknown frame-vector field %r" % k)
    return one, many


def run_frame_vector(b):
    """Builds one frame from its inputs, compares, parses back."""
    fails = []
    one, many = frame_fields(b)
    name, cmd = one["name"], one["command"]
    missing = FRAME_KEYS[cmd] - set(one)
    if missing:
        raise ValueError("missing %s" % ", ".join(sorted(missing)))
    want = bytes.fromhex("".join(many.get("payload", [])))
    if len(want) != int(one["length"]):
        fails.append("length: is %s, the payload lines hold %d bytes" % (one["length"], len(want)))
    if cmd == "HELLO":
        version, feats = int(one["version"]), many.get("feature", [])
        built = hello_payload(version, feats)
        trust = None
        for f in feats:
            if f.startswith("trust=") and len(f) == 22:
                trust = f[6:]
        expect = (version, feats, trust)
    elif cmd == "RECON":
        role, xid = ROLES[one["role"]], int(one["xid"], 16)
        if len(one["xid"]) != 8:
            raise ValueError("xid is 8 hex digits")
        body = bytes.fromhex("".join(many.get("body", [])))
        built = recon_payload(role, xid, body)
        expect = (role, xid, body)
        # The RECON vectors are the exchange of section 12.4 as frames: each
        # body is one of its messages, written by the side whose turn it
        # is, and the end comes from the side that has only skips to say.
        msgs, _, ender = exchange()
        if body:
            if body not in msgs:
                fails.append("body is not a message of the section 12.4 exchange")
            elif msgs.index(body) % 2 != role:
                fails.append("message %d of the exchange is not written by the %s"
                             % (msgs.index(body) + 1, one["role"]))
        elif ender != role:
            fails.append("the %s does not end the section 12.4 exchange" % one["role"])
    elif cmd == "WANT":
        prefixes = [item_id(int(i))[:PREFIX_LEN] for i in many["item"]]
        built = b"".join(prefixes)
        expect = prefixes
    elif cmd in ("PING", "PONG"):
        built = bytes.fromhex(one["token"])
        expect = built
    else:
        what = WHATS[one["what"]]
        if what == 1:
            (item,) = many["item"]
            ident, cls = item_id(int(item)), CLASSES[one["class"]]
            built = refuse_payload(1, one["reason"], ident=ident, cls=cls)
            expect = ("message", ident, cls, one["reason"])
        else:
            xid = int(one["xid"], 16)
            built = refuse_payload(2, one["reason"], xid=xid)
            expect = ("exchange", xid, None, one["reason"])
    if built != want:
        fails.append("payload differs: built %s" % built.hex())
    try:
        got = PARSERS[cmd](want)
        if got != expect:
            fails.append("parsing the payload gives %r, not %r" % (got, expect))
    except FrameError as e:
        fails.append("the payload does not parse: %s" % e)
    return name, fails


def check_malformed():
    fails = []
    for cmd, p in MALFORMED:
        try:
            PARSERS[cmd](p)
            fails.append("%s %s... accepted" % (cmd, p[:16].hex()))
        except FrameError:
            pass
    for cmd, p in WELLFORMED:
        try:
            PARSERS[cmd](p)
        except FrameError as e:
            fails.append("%s %s... refused: %s" % (cmd, p[:16].hex(), e))
    return fails


def run(text):
    """[(name, fails)] for the recon vector, each frame vector, and the
    table of malformed frames."""
    results = []
    rb = parse_blocks(text, "recon-vector")
    msgs = []
    if len(rb) != 1:
        results.append(("recon-vector", ["expected one ```recon-vector block, found %d" % len(rb)]))
    else:
        try:
            msgs = [bytes.fromhex(v) for k, v in rb[0]["_fields"] if k == "msg"]
            results.append(("recon-vector", check_recon_vector(msgs)))
        except (ValueError, ReconError) as e:
            results.append(("recon-vector", ["cannot replay: %s: %s" % (type(e).__name__, e)]))
    fb = parse_blocks(text, "frame-vector")
    if not fb:
        results.append(("frame-vectors", ["no ```frame-vector blocks"]))
    seen = set()
    for b in fb:
        try:
            name, fails = run_frame_vector(b)
            seen.add(dict(b["_fields"]).get("command"))
        except Exception as e:  # malformed block
            name = next((v for k, v in b["_fields"] if k == "name"), "line-%d" % b["_line"])
            fails = ["cannot build the frame: %s: %s" % (type(e).__name__, e)]
        results.append(("frame " + name, fails))
    lacking = set(FRAME_KEYS) - seen
    if fb and lacking:
        results.append(("frame-vectors", ["no vector for %s" % ", ".join(sorted(lacking))]))
    results.append(("malformed frames rejected", check_malformed()))
    return results


def main(argv):
    path = argv[1] if len(argv) > 1 else "docs/PROTOCOL.md"
    with open(path, encoding="utf-8") as fh:
        results = run(fh.read())
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
