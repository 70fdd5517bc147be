"""Seals the message on standard input with one more ARC set (RFC 8617), as a forwarding ADMD does, and writes it out.

    arc-sign.py KEYFILE SELECTOR DOMAIN AUTHSERV-ID ADDRESS:PORT

The sealer first validates the chain it received (dkimpy's arc_verify, keys from that DNS server only) and records the
outcome as arc= in its Authentication-Results, which arc_sign turns into the new set's cv=; the first set has no arc=
result and gets cv=none.
"""
import sys

import dkim

from keyfile import read_private_key
from loopback import txt_lookup


def main(keyfile, selector, domain, authserv_id, server):
    message = sys.stdin.buffer.read()
    # arc_sign removes "AUTHSERV-ID;" wherever it occurs in the results: nothing but the start may end that way.
    results = "spf=pass smtp.mailfrom=" + domain
    if b"\narc-seal:" in b"\n" + message.lower():
        chain, _, _ = dkim.arc_verify(message, dnsfunc=txt_lookup(server))
        results = "arc=" + chain.decode() + "; " + results
    stamped = ("Authentication-Results: %s; %s\r\n" % (authserv_id, results)).encode() + message
    arc_set = dkim.arc_sign(
        stamped, selector.encode(), domain.encode(), read_private_key(keyfile, "rsa-sha256"), authserv_id.encode(),
        include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    if not arc_set:
        print("dkimpy made no ARC set", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(b"".join(arc_set) + stamped)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
