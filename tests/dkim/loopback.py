"""The DNS lookups of the dkimpy scripts, on one DNS server only: tests never reach the system's resolvers."""
import dns.resolver


def txt_lookup(server):
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

    return txt
