#!/usr/bin/env python3
"""NDE v2, a second implementation written from docs/nde-v2-spec.md alone (Python 3 stdlib).

Literal and slow on purpose: every line maps to a line of the specification.

  python3 nde_v2.py [GOLDEN.json]        reproduce every golden vector, print a summary, exit 1 on mismatch
  python3 nde_v2.py --random N SEED      print N random vectors (JSON) for another implementation to check
  python3 nde_v2.py --check FILE.json    recompute a vector file in the --random format, exit 1 on mismatch
"""
import hashlib
import hmac
import json
import os
import random
import sys

# Section 2: sizes.
S, H, K, U, O = 64, 64, 512, 64, 576

# Section 4: labels.
LABEL_W1 = b"nqc/v2/nde/w1"
LABEL_Z1 = b"nqc/v2/nde/z1"
LABEL_W2 = b"nqc/v2/nde/w2"
LABEL_Z2 = b"nqc/v2/nde/z2"
LABEL_IV = b"nqc/v2/nde/iv"

# Section 6.
MIX = 0x9E3779B1


def u32be(x):
    return x.to_bytes(4, "big")


def u64be(x):
    return x.to_bytes(8, "big")


# Section 1: HKDF-SHA-256, RFC 5869.
def hkdf_extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand(prk, info, length):
    assert 0 <= length <= 255 * 32
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


# Section 3: inputs.
def check_inputs(key, salt, index):
    if not (isinstance(key, bytes) and len(key) == 32):
        raise ValueError("key must be exactly 32 bytes")
    if not (isinstance(salt, bytes) and 0 <= len(salt) <= 1024):
        raise ValueError("salt must be 0..1024 bytes")
    if not (isinstance(index, int) and 0 <= index <= 2**53 - 1):
        raise ValueError("index must be 0..2^53-1")


# Section 5: key schedule.
def param(prk, label, length):
    out, p = b"", 0
    while 4096 * p < length:
        out += hkdf_expand(prk, label + u32be(p), min(4096, length - 4096 * p))
        p += 1
    return out[:length]


class Params:
    def __init__(self, key, salt):
        self.prk = hkdf_extract(salt, key)
        self.w1 = param(self.prk, LABEL_W1, S * H)
        self.z1 = param(self.prk, LABEL_Z1, H)
        self.w2 = param(self.prk, LABEL_W2, H * O)
        self.z2 = param(self.prk, LABEL_Z2, O)

    def iv(self, index):
        return hkdf_expand(self.prk, LABEL_IV + u64be(index), S)


# Section 6: sigma.
def sigma(acc):
    return ((acc % 2**32) * MIX % 2**32) >> 24


# Section 7: one step, then one chunk.
def layers(pr, s):
    acc1 = [sum(s[k] * (pr.w1[k * H + j] - pr.z1[j]) for k in range(S)) for j in range(H)]
    a = [sigma(x) for x in acc1]
    acc2 = [sum(a[k] * (pr.w2[k * O + j] - pr.z2[j]) for k in range(H)) for j in range(O)]
    y = [sigma(x) for x in acc2]
    return acc1, a, acc2, y


def step(pr, s, data, decrypt):
    """One step on up to 512 bytes; returns (output bytes, next state, intermediates)."""
    acc1, a, acc2, y = layers(pr, s)
    ks, u = y[0:K], y[K:O]
    if decrypt:
        c = list(data)
        out = [(c[i] - ks[i]) % 256 for i in range(len(data))]
    else:
        out = [(data[i] + ks[i]) % 256 for i in range(len(data))]
        c = out
    s2 = None
    if len(data) == K:  # the state after a partial last step is never used
        s2 = [(u[j] + sum(c[64 * m + j] for m in range(8))) % 256 for j in range(S)]
    return bytes(out), s2, dict(acc1=acc1, a=a, acc2=acc2, ks=ks, u=u)


def process(pr, index, data, decrypt=False, state=None):
    """A chunk (or, given state, a piece starting at a step boundary); returns (output, state)."""
    s = list(pr.iv(index)) if state is None else list(state)
    out = b""
    for t in range((len(data) + K - 1) // K):
        piece, s, _ = step(pr, s, data[K * t:K * t + K], decrypt)
        out += piece
    return out, s


def encrypt(key, salt, index, data):
    check_inputs(key, salt, index)
    return process(Params(key, salt), index, data)[0]


def decrypt(key, salt, index, data):
    check_inputs(key, salt, index)
    return process(Params(key, salt), index, data, decrypt=True)[0]


# Section 8: the golden file.
def mod251(n):
    return bytes(i % 251 for i in range(n))


class Checker:
    def __init__(self):
        self.ok = 0
        self.bad = []

    def eq(self, what, got, want):
        if got == want:
            self.ok += 1
        else:
            self.bad.append(f"{what}: got {str(got)[:80]} want {str(want)[:80]}")


def check_output(ck, name, ct, item):
    ck.eq(f"{name} length", len(ct), int(item["length"]))
    ck.eq(f"{name} ciphertextSha256", hashlib.sha256(ct).hexdigest(), item["ciphertextSha256"])
    ck.eq(f"{name} ciphertextHead", ct[:64].hex(), item["ciphertextHead"])
    if "ciphertext" in item:
        ck.eq(f"{name} ciphertext", ct.hex(), item["ciphertext"])


def check_trace(ck, tr):
    key, salt, index = bytes.fromhex(tr["key"]), bytes.fromhex(tr["salt"]), int(tr["index"])
    check_inputs(key, salt, index)
    pr = Params(key, salt)
    ck.eq("trace prk", pr.prk.hex(), tr["prk"])
    for name, full in (("w1", pr.w1), ("z1", pr.z1), ("w2", pr.w2), ("z2", pr.z2)):
        ck.eq(f"trace {name}Sha256", hashlib.sha256(full).hexdigest(), tr[name + "Sha256"])
        for field in (name, name + "Head"):
            if field in tr:
                ck.eq(f"trace {field}", full.hex()[:len(tr[field])], tr[field])
    iv = pr.iv(index)
    ck.eq("trace iv", iv.hex(), tr["iv"])
    pt = mod251(int(tr["length"]))
    c0, s1, mid = step(pr, list(iv), pt[:K], False)
    ck.eq("trace hiddenAcc0to3", mid["acc1"][:4], tr["hiddenAcc0to3"])
    ck.eq("trace hidden", bytes(mid["a"]).hex(), tr["hidden"])
    ck.eq("trace outputAcc0to3", mid["acc2"][:4], tr["outputAcc0to3"])
    ck.eq("trace keystream", bytes(mid["ks"]).hex(), tr["keystream"])
    ck.eq("trace carry", bytes(mid["u"]).hex(), tr["carry"])
    ck.eq("trace ciphertextStep0", c0.hex(), tr["ciphertextStep0"])
    ck.eq("trace stateAfterStep0", bytes(s1).hex(), tr["stateAfterStep0"])
    ck.eq("trace ciphertext", process(pr, index, pt)[0].hex(), tr["ciphertext"])


def check_golden(path):
    with open(path) as f:
        golden = json.load(f)
    ck = Checker()
    ck.eq("version", golden["version"], 2)
    for v in golden["vectors"]:
        key, salt, index = bytes.fromhex(v["key"]), bytes.fromhex(v["salt"]), int(v["index"])
        pt = bytes.fromhex(v["plaintext"]) if "plaintext" in v else mod251(int(v["length"]))
        ck.eq(f"{v['name']} plaintext length", len(pt), int(v["length"]))
        ct = encrypt(key, salt, index, pt)
        check_output(ck, v["name"], ct, v)
        ck.eq(f"{v['name']} decrypt", decrypt(key, salt, index, ct), pt)
    for b in golden["batches"]:
        key, salt = bytes.fromhex(b["key"]), bytes.fromhex(b["salt"])
        for n, item in enumerate(b["items"]):
            ct = encrypt(key, salt, int(item["index"]), mod251(int(item["length"])))
            check_output(ck, f"{b['name']}[{n}]", ct, item)
    check_trace(ck, golden["trace"])
    nvec = len(golden["vectors"])
    nitems = sum(len(b["items"]) for b in golden["batches"])
    print(f"nde_v2.py: {nvec} vectors, {len(golden['batches'])} batches ({nitems} chunks), trace: "
          f"{ck.ok} checks passed, {len(ck.bad)} failed")
    for line in ck.bad:
        print("MISMATCH " + line)
    return 0 if not ck.bad and ck.ok > 0 else 1


# Random vectors, for the other direction (the TypeScript reference checks what Python wrote).
def random_vectors(n, seed):
    rng = random.Random(seed)
    lengths = [0, 1, 511, 512, 513, 1024, 1025, 1536, 2047]
    out = []
    for i in range(n):
        key = bytes(rng.randrange(256) for _ in range(32))
        salt = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 16, 32, 63, 64, 65, 200, 1024])))
        index = rng.choice([0, 1, 2**32 - 1, 2**32, 2**53 - 1, rng.randrange(2**53)])
        length = lengths[i] if i < len(lengths) else rng.randrange(0, 2100)
        pt = bytes(rng.randrange(256) for _ in range(length))
        split = 512 * rng.randrange(0, length // 512 + 1)  # a step boundary, for segmentation
        pr = Params(key, salt)
        first, state = process(pr, index, pt[:split])
        rest, _ = process(pr, index, pt[split:], state=state) if split < length else (b"", None)
        ct = encrypt(key, salt, index, pt)
        assert first + rest == ct, "segmentation at a step boundary changed the bytes"
        out.append(dict(key=key.hex(), salt=salt.hex(), index=str(index), plaintext=pt.hex(),
                        ciphertext=ct.hex(), split=split))
    return out


def check_file(path):
    with open(path) as f:
        vectors = json.load(f)
    ck = Checker()
    for n, v in enumerate(vectors):
        key, salt, index = bytes.fromhex(v["key"]), bytes.fromhex(v["salt"]), int(v["index"])
        pt, ct = bytes.fromhex(v["plaintext"]), bytes.fromhex(v["ciphertext"])
        ck.eq(f"[{n}] encrypt", encrypt(key, salt, index, pt).hex(), v["ciphertext"])
        ck.eq(f"[{n}] decrypt", decrypt(key, salt, index, ct).hex(), v["plaintext"])
    print(f"nde_v2.py --check: {len(vectors)} vectors: {ck.ok} checks passed, {len(ck.bad)} failed")
    for line in ck.bad:
        print("MISMATCH " + line)
    return 0 if not ck.bad and ck.ok > 0 else 1


def main(argv):
    if len(argv) >= 1 and argv[0] == "--random":
        n = int(argv[1]) if len(argv) > 1 else 12
        seed = argv[2] if len(argv) > 2 else os.urandom(8).hex()
        json.dump(random_vectors(n, seed), sys.stdout)
        sys.stdout.write("\n")
        return 0
    if len(argv) >= 2 and argv[0] == "--check":
        return check_file(argv[1])
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "vectors", "nde-v2-golden.json")
    return check_golden(argv[0] if argv else default)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
