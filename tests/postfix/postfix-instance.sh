#!/usr/bin/env bash
# A private Postfix instance on loopback, for tests and benchmarks: its own configuration, queue and
# data directories, no listener on port 25, no DNS beyond loopback, never the system's own instance.
#
#   postfix-instance.sh install              installs postfix from apt when missing ("No configuration", not started)
#   postfix-instance.sh create DIR PORT      writes DIR/etc/main.cf and master.cf (smtpd on 127.0.0.1:PORT);
#                                            main.cf settings read from standard input override the defaults
#   postfix-instance.sh start DIR | stop DIR
set -euo pipefail

install_postfix() {
  if command -v postfix >/dev/null && [[ -x /usr/lib/postfix/sbin/smtpd ]] && command -v smtp-source >/dev/null; then
    return
  fi
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postfix >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postfix >/dev/null; }
}

create() {
  local dir=$1 port=$2
  mkdir -p "$dir/etc" "$dir/queue" "$dir/data"
  chmod 755 "$dir"
  chown postfix "$dir/data"
  {
    cat <<CONF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
myhostname = postfix.test
mydomain = postfix.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
# loopback only: no DNS for client names, none for next hops
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
alias_maps =
alias_database =
local_recipient_maps =
biff = no
CONF
    cat
  } >"$dir/etc/main.cf"
  # The distribution's master.cf without chroot and without the port-25 listener, plus ours.
  awk '/^smtp[ \t]+inet/ {next} /^[a-z]/ && NF >= 8 {$5 = "n"} {print}' /etc/postfix/master.cf >"$dir/etc/master.cf"
  echo "127.0.0.1:$port inet n - n - - smtpd" >>"$dir/etc/master.cf"
}

case "${1:-}" in
  install) install_postfix ;;
  create) create "$2" "$3" ;;
  start) postfix -c "$2/etc" start ;;
  stop) postfix -c "$2/etc" stop ;;
  *) echo "usage: $0 install | create DIR PORT | start DIR | stop DIR" >&2; exit 2 ;;
esac
