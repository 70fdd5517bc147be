"""Validates the ARC chain (RFC 8617) of the message on standard input with dkimpy, looking keys up on one DNS server.

    arc-verify.py ADDRESS:PORT

Prints "arc=<none|pass|fail> i=<highest instance> <why>" and exits 0 only when the chain passes. The DNS server is the
only one asked: tests never reach the system's resolvers.
"""
import sys

import dkim

from loopback import txt_lookup


def main(server):
    message = sys.stdin.buffer.read()
    chain, results, why = dkim.arc_verify(message, dnsfunc=txt_lookup(server))
    instances = max((int(result["instance"]) for result in results), default=0)
    # No result (None) when a seal in the chain already reported cv=fail: the chain is terminated, which is a fail.
    verdict = chain.decode() if chain else "fail"
    print("arc=%s i=%d %s" % (verdict, instances, why or ""))
    return 0 if verdict == "pass" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
