"""Verifies every DKIM-Signature of the message on standard input with dkimpy, looking keys up on one DNS server.

Prints one line per signature, "d=<domain> s=<selector> a=<algorithm> pass" or "... fail <why>", and exits 0 only when
the message has signatures and all of them verify. The DNS server is the only one asked: tests never reach the
system's resolvers.
"""
import sys

import dkim

from loopback import txt_lookup


def main(server):
    txt = txt_lookup(server)
    message = sys.stdin.buffer.read()
    headers, _ = dkim.rfc822_parse(message)
    signatures = [value for name, value in headers if name.lower() == b"dkim-signature"]
    if not signatures:
        print("no DKIM-Signature")
        return 1

    failed = 0
    for index, value in enumerate(signatures):
        tags = dkim.util.parse_tag_value(value)
        label = "d=%s s=%s a=%s" % (tags[b"d"].decode(), tags[b"s"].decode(), tags[b"a"].decode())
        verifier = dkim.DKIM(message)
        try:
            ok = verifier.verify(idx=index, dnsfunc=txt)
            why = "" if ok else " signature mismatch"
        except dkim.DKIMException as error:
            ok, why = False, " " + str(error)
        print(label + (" pass" if ok else " fail" + why))
        failed += 0 if ok else 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
