#!/usr/bin/env bash
# pyspf, the independent SPF implementation of the tests, from apt: Debian's python3-spf with dnspython, for the
# system's /usr/bin/python3 (not a python3 of some other installation on PATH).
#
#   pyspf.sh install                      installs them from apt when missing (as root)
#   pyspf.sh check ADDRESS:PORT           reads lines "ip helo mailfrom" (no mailfrom: the null sender) on standard
#                                         input and prints one line per query, its verdict first, asking only that
#                                         DNS server
set -euo pipefail

python=/usr/bin/python3

install_pyspf() {
  if [[ -x $python ]] && $python -c 'import spf, dns.resolver' 2>/dev/null; then
    return
  fi
  packages=(python3 python3-spf python3-dnspython)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null; }
}

case "${1:-}" in
  install) install_pyspf ;;
  check) exec $python -W ignore "$(dirname "$0")/spf-check.py" "$2" ;;
  *) echo "usage: $0 install | check ADDRESS:PORT" >&2; exit 2 ;;
esac
