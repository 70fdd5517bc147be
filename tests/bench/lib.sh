# Shared by the benchmark scripts in tests/bench (sourced, not run): process bookkeeping, /proc readings, and a
# throwaway Postfix instance relaying to smtp-sink. The caller sets ROOT (the repository) and WORK (a scratch
# directory, removed on exit) before sourcing, and adds every process it starts to PIDS; all are stopped on exit.

HZ=$(getconf CLK_TCK)
PIDS=()
POSTFIX_DIR=""
POSTFIX_PID=""

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

cleanup() {
  set +e
  if [[ -n "$POSTFIX_DIR" && -f "$POSTFIX_DIR/queue/pid/master.pid" ]]; then
    "$ROOT/tests/postfix/postfix-instance.sh" stop "$POSTFIX_DIR" >/dev/null 2>&1
  fi
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.2
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# utime+stime (ticks) of the given PIDs
ticks() {
  local total=0 pid f
  for pid in "$@"; do
    f=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
    set -- $f
    total=$((total + ${12} + ${13}))
  done
  echo $total
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

wait_port() {
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "port $1 did not open" >&2; return 1
}

# The median of the numbers on standard input, one a line.
median() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2] + v[NR/2+1]) / 2}'; }

# smtp-sink on a free port, as Postfix's next hop or on its own, with the given smtp-sink options; its standard
# output goes to $WORK/sink-PORT.out. Sets SINK_PORT and SINK_PID.
start_smtp_sink() {
  SINK_PORT=$(free_port)
  smtp-sink "$@" -u postfix 127.0.0.1:"$SINK_PORT" 1024 >"$WORK/sink-$SINK_PORT.out" &
  SINK_PID=$!; PIDS+=("$SINK_PID")
  wait_port "$SINK_PORT"
}

# start_postfix PORT RELAY_PORT: a Postfix instance under $WORK/postfix, smtpd on 127.0.0.1:PORT, relaying everything
# to smtp-sink on RELAY_PORT unless the main.cf lines on standard input say otherwise; sets POSTFIX_PID (the master).
start_postfix() {
  local port=$1 relay=$2
  POSTFIX_DIR=$WORK/postfix
  {
    cat <<EOF_CONF
myhostname = postfix.bench.invalid
mydomain = bench.invalid
relayhost = [127.0.0.1]:$relay
default_process_limit = 300
# keep every daemon alive through a run, so its CPU time stays readable in /proc
max_idle = 3600s
max_use = 1000000
EOF_CONF
    cat
  } | "$ROOT/tests/postfix/postfix-instance.sh" create "$POSTFIX_DIR" "$port"
  "$ROOT/tests/postfix/postfix-instance.sh" start "$POSTFIX_DIR" >"$WORK/postfix-start.log" 2>&1 || { cat "$WORK/postfix-start.log"; exit 1; }
  wait_port "$port"
  POSTFIX_PID=$(tr -d ' ' <"$POSTFIX_DIR/queue/pid/master.pid")
  PIDS+=("$POSTFIX_PID")
}

# Postfix CPU: every daemon of the instance, plus what the master reaped from exited ones; "recv" leaves out the smtp(8) delivery agents.
postfix_ticks() {
  local total recv pid f comm
  f=$(sed 's/.*) //' "/proc/$POSTFIX_PID/stat"); set -- $f
  total=$((${12} + ${13} + ${14} + ${15})); recv=$total
  for pid in $(pgrep -P "$POSTFIX_PID"); do
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
    f=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null) || continue; set -- $f
    total=$((total + ${12} + ${13}))
    [[ "$comm" == smtp ]] || recv=$((recv + ${12} + ${13}))
  done
  echo "$total $recv"
}

postfix_queue_empty() { [[ -z "$(find "$POSTFIX_DIR/queue/incoming" "$POSTFIX_DIR/queue/active" "$POSTFIX_DIR/queue/maildrop" -type f 2>/dev/null | head -1)" ]]; }

# Waits (up to a minute) until the queue has drained to the sinks, so that the relay work is inside a measurement.
postfix_drain() {
  for _ in $(seq 1 600); do postfix_queue_empty && break; sleep 0.1; done
  sleep 0.3
}
