"""Checks SPF with pyspf for each line "ip helo mailfrom" on standard input, looking names up on one DNS server.

Prints one line per query: the verdict (pass, fail, softfail, neutral, none, permerror, temperror), then pyspf's
explanation. A line without mailfrom is the null sender: pyspf then checks postmaster@helo. The DNS server is the
only one asked: tests never reach the system's resolvers.
"""
import sys

import dns.resolver
import spf


def main(server):
    address, port = server.rsplit(":", 1)
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [address]
    resolver.port = int(port)
    # pyspf queries through dnspython's default resolver.
    dns.resolver.default_resolver = resolver

    for line in sys.stdin:
        fields = line.split()
        if not fields:
            continue
        ip, helo = fields[0], fields[1]
        mailfrom = fields[2] if len(fields) > 2 else ""
        # check2 is pyspf's RFC 7208 interface: strict processing and the whole-check limit of 20 seconds.
        verdict, explanation = spf.check2(i=ip, s=mailfrom, h=helo)
        print(verdict, explanation, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
