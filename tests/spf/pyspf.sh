#!/usr/bin/env bash
# pyspf, the independent SPF implementation of the tests, from apt: Debian's python3-spf with dnspython, for the
# system's /usr/bin/python3 (not a python3 of some other installation on PATH).
#
#   pyspf.sh install                      installs them from apt when missing (as root)
#   pyspf.sh check ADDRESS:PORT           reads lines "ip helo mailfrom" (no mailfrom: the null sender) on standard
#                                         input and prints one line per query, its verdict first, asking only that
#                                         DNS server
#   pyspf.sh suite                        prints the openspf RFC 7208 test suite that python3-spf ships (scenarios of
#                                         zone data and queries with their verdicts) as JSON; taken from the package
#                                         itself when an image leaves /usr/share/doc out
set -euo pipefail

python=/usr/bin/python3

install_pyspf() {
  if [[ -x $python ]] && $python -c 'import spf, dns.resolver, yaml' 2>/dev/null; then
    return
  fi
  packages=(python3 python3-spf python3-dnspython python3-yaml)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null; }
}

print_suite() {
  local suite=/usr/share/doc/python3-spf/rfc7208-tests.yml.gz
  if [[ ! -f $suite ]]; then
    local work
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && apt-get download -qq python3-spf >/dev/null && dpkg-deb --fsys-tarfile python3-spf_*.deb | tar -x -C "$work" ".$suite")
    suite=$work$suite
  fi
  $python -c 'import gzip, json, sys, yaml; json.dump(list(yaml.safe_load_all(gzip.open(sys.argv[1]))), sys.stdout)' "$suite"
}

case "${1:-}" in
  install) install_pyspf ;;
  check) exec $python -W ignore "$(dirname "$0")/spf-check.py" "$2" ;;
  suite) print_suite ;;
  *) echo "usage: $0 install | check ADDRESS:PORT | suite" >&2; exit 2 ;;
esac
