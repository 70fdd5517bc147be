"""Verifies every DKIM-Signature of the message on standard input with dkimpy, looking keys up on one DNS server.

Prints one line per signature, "d=<domain> s=<selector> a=<algorithm> pass" or "... fail <why>", and exits 0 only when
the message has signatures and all of them verify. The DNS server is the only one asked: tests never reach the
system's resolvers.
"""
import sys

import dkim
import dns.resolver


def main(server):
    address, port = server.rsplit(":", 1)
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [address]
    resolver.port = int(port)
    resolver.lifetime = 5

    def txt(name, timeout=5):
        try:
            answer = resolver.resolve(name.decode("ascii"), "TXT", lifetime=timeout)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        # A record's character-strings are one value (RFC 6376 3.6.2.2).
        return b"".join(answer[0].strings)

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
