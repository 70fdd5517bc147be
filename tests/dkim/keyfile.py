"""Private keys for dkimpy from the PKCS#8 PEM files the tests write."""
import base64


def read_private_key(path, algorithm):
    with open(path, "rb") as pem:
        text = pem.read()
    if algorithm != "ed25519-sha256":
        return text
    # dkimpy takes an Ed25519 key as the base64 of its 32-byte seed: in PKCS#8 (RFC 8410 7), the octet string inside
    # the privateKey octet string; a public key may follow it.
    der = base64.b64decode(b"".join(line for line in text.splitlines() if not line.startswith(b"-----")))
    seed = der.index(b"\x04\x22\x04\x20") + 4
    return base64.b64encode(der[seed:seed + 32])
