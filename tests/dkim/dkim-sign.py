"""Signs the message on standard input with dkimpy and writes it, DKIM-Signature first, to standard output.

    dkim-sign.py KEYFILE SELECTOR DOMAIN ALGORITHM CANONICALIZATION HEADERS

KEYFILE is a PKCS#8 PEM private key (RSA, or Ed25519 for ed25519-sha256); CANONICALIZATION is header/body, such as
relaxed/simple; HEADERS is the colon-separated list of fields to sign.
"""
import sys

import dkim

from keyfile import read_private_key


def main(keyfile, selector, domain, algorithm, canonicalization, headers):
    message = sys.stdin.buffer.read()
    signature = dkim.sign(
        message,
        selector.encode(),
        domain.encode(),
        read_private_key(keyfile, algorithm),
        canonicalize=tuple(c.encode() for c in canonicalization.split("/")),
        signature_algorithm=algorithm.encode(),
        include_headers=[h.encode() for h in headers.split(":")])
    sys.stdout.buffer.write(signature + message)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
