#!/usr/bin/env bash
# dkimpy, the independent DKIM verifier of the tests, from apt: Debian's python3-dkim with PyNaCl for ed25519-sha256
# (RFC 8463) and dnspython, for the system's /usr/bin/python3 (not a python3 of some other installation on PATH).
#
#   dkimpy.sh install                     installs them from apt when missing (as root)
#   dkimpy.sh verify ADDRESS:PORT         verifies every DKIM-Signature of the message on standard input,
#                                         looking the keys up on that DNS server only
#   dkimpy.sh sign KEYFILE SELECTOR DOMAIN ALGORITHM C HEADERS
#                                         signs the message on standard input (dkim-sign.py says how)
#   dkimpy.sh arcsign KEYFILE SELECTOR DOMAIN AUTHSERV-ID ADDRESS:PORT
#                                         seals it with one more ARC set (arc-sign.py; python3-authres parses the
#                                         Authentication-Results the sealer reads its cv= from)
#   dkimpy.sh arcverify ADDRESS:PORT      validates the ARC chain of the message on standard input (arc-verify.py),
#                                         looking the keys up on that DNS server only
set -euo pipefail

python=/usr/bin/python3

install_dkimpy() {
  if [[ -x $python ]] && $python -c 'import dkim, nacl, dns.resolver, authres' 2>/dev/null; then
    return
  fi
  packages=(python3 python3-dkim python3-nacl python3-dnspython python3-authres)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null; }
}

case "${1:-}" in
  install) install_dkimpy ;;
  verify) exec $python "$(dirname "$0")/dkim-verify.py" "$2" ;;
  sign) shift; exec $python "$(dirname "$0")/dkim-sign.py" "$@" ;;
  arcsign) shift; exec $python "$(dirname "$0")/arc-sign.py" "$@" ;;
  arcverify) exec $python "$(dirname "$0")/arc-verify.py" "$2" ;;
  *) echo "usage: $0 install | verify ADDRESS:PORT | sign KEYFILE SELECTOR DOMAIN ALGORITHM C HEADERS | arcsign KEYFILE SELECTOR DOMAIN AUTHSERV-ID ADDRESS:PORT | arcverify ADDRESS:PORT" >&2; exit 2 ;;
esac
