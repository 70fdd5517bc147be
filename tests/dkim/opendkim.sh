#!/usr/bin/env bash
# OpenDKIM, the second independent DKIM signer of the tests, from apt: Debian's opendkim-tools (opendkim-testmsg and
# libopendkim), called by the system's /usr/bin/python3 for rsa-sha256.
#
#   opendkim.sh install                          installs them from apt when missing (as root)
#   opendkim.sh testmsg KEYFILE SELECTOR DOMAIN  signs the message on standard input with opendkim-testmsg, which
#                                                signs rsa-sha1 (relaxed/simple) only
#   opendkim.sh sign KEYFILE SELECTOR DOMAIN     signs it with libopendkim's dkim_sign(): rsa-sha256, relaxed/relaxed
set -euo pipefail

install_opendkim() {
  if [[ -x /usr/sbin/opendkim-testmsg && -x /usr/bin/python3 ]]; then
    return
  fi
  packages=(opendkim-tools python3)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null; }
}

case "${1:-}" in
  install) install_opendkim ;;
  testmsg) exec /usr/sbin/opendkim-testmsg -C -d "$4" -s "$3" -k "$2" ;;
  sign) exec /usr/bin/python3 "$(dirname "$0")/opendkim-sign.py" "$2" "$3" "$4" ;;
  *) echo "usage: $0 install | testmsg KEYFILE SELECTOR DOMAIN | sign KEYFILE SELECTOR DOMAIN" >&2; exit 2 ;;
esac
