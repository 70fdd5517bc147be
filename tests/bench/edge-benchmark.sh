#!/usr/bin/env bash
# Edge benchmark (issue 3): smtp-source against, side by side,
#   (a) the edge spooling to a private Azurite (real BlobQueueSpool)
#   (b) the edge with a discarding spool (the edge's own cost)
#   (c) smtp-sink alone (the loopback limit)
#   (d) a throwaway Postfix smtpd instance relaying to a second smtp-sink (the durable peer)
# with 10 KiB messages at 1, 20 and 100 sessions; plus the raw Azurite write rate (real spool,
# 20 writers) and the edge's resident memory per idle connection.
# Everything listens on 127.0.0.1 only; every process started here is stopped on exit.
#
# Environment: RUNS (3), SESSIONS ("1 20 100"), MSGS_1 (300, for 1 session), MSGS_N (2000),
#              MSGS_FAST (10000: (b) and (c) with more than 1 session, which take 2,000 in well under a second),
#              SIZE (10240), IDLE_CONNECTIONS (5000), SPOOL_RATE_COUNT (2000), SKIP_BUILD (0), WARMUP (5000),
#              RESET_AZURITE (1: empty the inbound queue and spool container before every (a) and raw-rate
#              measurement; nothing drains them here, and Azurite gets slower as they fill)
set -euo pipefail

RUNS=${RUNS:-3}
SESSIONS=${SESSIONS:-"1 20 100"}
MSGS_1=${MSGS_1:-300}
MSGS_N=${MSGS_N:-2000}
MSGS_FAST=${MSGS_FAST:-10000}
SIZE=${SIZE:-10240}
IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-5000}
SPOOL_RATE_COUNT=${SPOOL_RATE_COUNT:-2000}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
RESET_AZURITE=${RESET_AZURITE:-1}
WARMUP=${WARMUP:-5000}

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PROJECT=$ROOT/tests/MtaServerless.EdgeBenchmark
BENCH=$PROJECT/bin/Release/net10.0/MtaServerless.EdgeBenchmark
WORK=$(mktemp -d /tmp/edge-bench.XXXXXX)
chmod 755 "$WORK"
source "$ROOT/tests/bench/lib.sh"

# ---------------------------------------------------------------- Postfix (smtp-source, smtp-sink, smtpd)
log "postfix from apt when missing (no configuration, not started)"
"$ROOT/tests/postfix/postfix-instance.sh" install

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  log "building $PROJECT (Release)"
  dotnet build -c Release "$PROJECT" -nologo -v q >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; exit 1; }
fi

start_smtp_sink; SINK_C=$SINK_PORT; PID_C=$SINK_PID
start_smtp_sink; SINK_D=$SINK_PORT

PORT_D=$(free_port)
start_postfix "$PORT_D" "$SINK_D" </dev/null
PID_D=$POSTFIX_PID

# ---------------------------------------------------------------- the two edges
# The edge's runtime environment as the image sets it (ENV lines of edge/Dockerfile), so that what is measured is what is deployed.
mapfile -t EDGE_ENV < <(sed -n 's/^ENV \(DOTNET_[A-Za-z_]*=[^ ]*\)$/\1/p' "$ROOT/edge/Dockerfile")
start_edge() { # mode -> sets EDGE_PID EDGE_PORT EDGE_AZ
  local mode=$1 port out
  port=$(free_port); out=$WORK/edge-$mode.out
  env "${EDGE_ENV[@]}" "$BENCH" serve --spool "$mode" --port "$port" --stats "$WORK/edge-$mode.stats" >"$out" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 1 600); do grep -q '^PORT=' "$out" 2>/dev/null && break; sleep 0.1; done
  grep -q '^PORT=' "$out" || { cat "$out"; exit 1; }
  EDGE_PID=$(sed -n 's/^PID=//p' "$out"); EDGE_PORT=$(sed -n 's/^PORT=//p' "$out")
  EDGE_AZ=$(sed -n 's/^AZURITE_PID=//p' "$out" | tr ',' ' ')
  EDGE_AZ_CONN=$(sed -n 's/^AZURITE_CONNECTION=//p' "$out")
  [[ -n "$EDGE_AZ" ]] && PIDS+=($EDGE_AZ)
  return 0
}
start_edge azurite; PID_A=$EDGE_PID; PORT_A=$EDGE_PORT; PID_AZ=$EDGE_AZ; CONN_AZ=$EDGE_AZ_CONN
start_edge discard; PID_B=$EDGE_PID; PORT_B=$EDGE_PORT
log "edge environment (from edge/Dockerfile): ${EDGE_ENV[*]}"
log "servers: (a) edge+azurite pid $PID_A port $PORT_A (azurite pid $PID_AZ); (b) edge+discard pid $PID_B port $PORT_B; (c) smtp-sink pid $PID_C port $SINK_C; (d) postfix master $PID_D port $PORT_D -> smtp-sink $SINK_D"

reset_azurite() { [[ $RESET_AZURITE == 1 ]] && timeout 120 "$BENCH" reset --connection "$CONN_AZ" >/dev/null; sleep 1; }

committed() { sed -n 's/^committed=\([0-9]*\).*/\1/p' "$WORK/edge-$1.stats" 2>/dev/null || echo 0; }

RESULTS=$WORK/results.tsv   # target sessions run msgs accepted seconds rate cpu_per_1000 extra_cpu_per_1000 load1
: >"$RESULTS"

# Azurite keeps working for seconds after a burst (it persists its store): wait until it is idle, so that no
# measurement shares the CPU with the previous one's leftovers (this had cost (b), measured right after (a), up to 20%).
settle() {
  local before after
  for _ in $(seq 1 60); do
    before=$(ticks $PID_AZ); sleep 0.5; after=$(ticks $PID_AZ)
    (( after - before <= HZ / 50 )) && return 0
  done
}

measure() { # target sessions messages run
  local target=$1 s=$2 m=$3 run=$4 port before after b2 a2 extra=- accepted start end secs rate cpu load
  case $target in a) port=$PORT_A ;; b) port=$PORT_B ;; c) port=$SINK_C ;; d) port=$PORT_D ;; esac
  [[ $target == a ]] && reset_azurite
  settle
  load=$(cut -d' ' -f1 /proc/loadavg)
  case $target in
    a) before=$(ticks "$PID_A"); b2=$(ticks $PID_AZ); c0=$(committed azurite) ;;
    b) before=$(ticks "$PID_B"); c0=$(committed discard) ;;
    c) before=$(ticks "$PID_C") ;;
    d) read -r before b2 < <(postfix_ticks) ;;
  esac
  start=$(date +%s.%N)
  if ! timeout "$RUN_TIMEOUT" smtp-source -s "$s" -m "$m" -l "$SIZE" -f a@example.org -t b@example.com 127.0.0.1:"$port" >"$WORK/source.log" 2>&1; then
    log "smtp-source against ($target) failed: $(tail -2 "$WORK/source.log")"
  fi
  end=$(date +%s.%N)
  case $target in
    a) sleep 0.6; accepted=$(( $(committed azurite) - c0 )); after=$(ticks "$PID_A"); a2=$(ticks $PID_AZ) ;;
    b) sleep 0.6; accepted=$(( $(committed discard) - c0 )); after=$(ticks "$PID_B") ;;
    c) accepted=$m; after=$(ticks "$PID_C") ;;
    d) accepted=$m
       postfix_drain  # deliveries to the sink finish inside the window
       read -r after a2 < <(postfix_ticks) ;;
  esac
  secs=$(echo "$end - $start" | bc -l)
  rate=$(echo "$accepted / $secs" | bc -l)
  cpu=$(echo "($after - $before) / $HZ * 1000 / $accepted" | bc -l 2>/dev/null || echo 0)
  [[ $target == a || $target == d ]] && extra=$(printf '%.3f' "$(echo "($a2 - $b2) / $HZ * 1000 / $accepted" | bc -l)")
  printf '%s\t%s\t%s\t%s\t%s\t%.2f\t%.1f\t%.3f\t%s\t%s\n' "$target" "$s" "$run" "$m" "$accepted" "$secs" "$rate" "$cpu" "$extra" "$load" >>"$RESULTS"
  log "($target) sessions=$s run=$run: $accepted/$m accepted in $(printf %.2f "$secs") s = $(printf %.0f "$rate") msg/s, cpu/1000 $(printf %.3f "$cpu") (extra $extra), load $load"
}

# The servers are long-running: a few thousand messages let .NET's tiered JIT reach its optimized code, which
# otherwise shows up as CPU in the first measurements (26% of the edge's CPU was the JIT's after 1,000 messages).
log "warm-up: $WARMUP messages for (a) and (d), $((2 * MSGS_FAST)) for (b) and (c) (JIT, connections, Azurite containers)"
for t in a b c d; do
  w=$WARMUP; [[ $t == [bc] ]] && w=$((2 * MSGS_FAST))
  measure "$t" 20 "$w" 0 >/dev/null 2>&1
done
sleep 2
: >"$RESULTS"

# Raw Azurite write rate with the real spool and 20 writers, on the (a) edge's own Azurite right after (a)'s
# 20-session measurement: the same Azurite, emptied the same way before each (it slows down as its store fills up).
: >"$WORK/spoolrate-same.tsv"
spool_rate_same() {
  local load line
  reset_azurite
  load=$(cut -d' ' -f1 /proc/loadavg)
  line=$(timeout 300 "$BENCH" spool-rate --connection "$CONN_AZ" --azurite-pid "${PID_AZ// /,}" --count "$MSGS_N" --warmup 50 --writers 20 --size "$SIZE" | grep '^RATE=')
  log "raw Azurite rate (same Azurite) run $1: $line (load $load)"
  echo "$line LOAD=$load" >>"$WORK/spoolrate-same.tsv"
}

for run in $(seq 1 "$RUNS"); do
  for s in $SESSIONS; do
    for t in a b c d; do
      m=$MSGS_N; [[ $t == [bc] ]] && m=$MSGS_FAST; [[ $s == 1 ]] && m=$MSGS_1
      measure "$t" "$s" "$m" "$run"
      [[ $t == a && $s == 20 ]] && spool_rate_same "$run"
    done
  done
done

# ---------------------------------------------------------------- raw Azurite write rate on a fresh Azurite
: >"$WORK/spoolrate.tsv"
for run in $(seq 1 "$RUNS"); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  line=$(timeout 300 "$BENCH" spool-rate --count "$SPOOL_RATE_COUNT" --writers 20 --size "$SIZE" | grep '^RATE=')
  log "raw Azurite rate (fresh Azurite) run $run: $line (load $load)"
  echo "$line LOAD=$load" >>"$WORK/spoolrate.tsv"
done

# ---------------------------------------------------------------- idle connections (fresh discard edge)
log "idle connections: $IDLE_CONNECTIONS against a fresh edge (discarding spool)"
kill -TERM "$PID_B"; wait "$PID_B" 2>/dev/null || true
start_edge discard; PID_I=$EDGE_PID; PORT_I=$EDGE_PORT
smtp-source -s 1 -m 20 -l "$SIZE" -f a@example.org -t b@example.com 127.0.0.1:"$PORT_I" >/dev/null 2>&1 || true
sleep 2
RSS0=$(rss_kib "$PID_I"); THR0=$(awk '/^Threads:/ {print $2}' "/proc/$PID_I/status")
"$BENCH" idle --port "$PORT_I" --count "$IDLE_CONNECTIONS" --hold 300 --ready "$WORK/idle.ready" >"$WORK/idle.out" 2>&1 &
PID_IDLE=$!; PIDS+=("$PID_IDLE")
for _ in $(seq 1 1200); do [[ -s "$WORK/idle.ready" ]] && break; sleep 0.1; done
sleep 3
read -r OPENED FAILED <"$WORK/idle.ready" || { OPENED=0; FAILED=$IDLE_CONNECTIONS; }
RSS1=$(rss_kib "$PID_I"); THR1=$(awk '/^Threads:/ {print $2}' "/proc/$PID_I/status")
STATS_IDLE=$(cat "$WORK/edge-discard.stats")
kill -TERM "$PID_IDLE"; wait "$PID_IDLE" 2>/dev/null || true
PER_CONN=$(echo "($RSS1 - $RSS0) / ($OPENED + ($OPENED == 0))" | bc -l)
log "idle: opened $OPENED (failed $FAILED); VmRSS $RSS0 -> $RSS1 KiB; threads $THR0 -> $THR1; edge stats: $STATS_IDLE"

# ---------------------------------------------------------------- summary
col() { awk -F'\t' -v t="$1" -v s="$2" -v c="$3" '$1 == t && $2 == s {print $c}' "$RESULTS" | median; }
name() { case $1 in a) echo "(a) edge -> Azurite" ;; b) echo "(b) edge, discard spool" ;; c) echo "(c) smtp-sink" ;; d) echo "(d) Postfix smtpd -> smtp-sink" ;; esac; }

SPOOL_RATE_FRESH=$(sed -n 's/^RATE=\([0-9.]*\).*/\1/p' "$WORK/spoolrate.tsv" | median)
SPOOL_AZ_CPU_FRESH=$(sed -n 's/.*AZURITE_CPU_PER_1000=\([0-9.]*\).*/\1/p' "$WORK/spoolrate.tsv" | median)
SPOOL_CLIENT_CPU_FRESH=$(sed -n 's/.*CLIENT_CPU_PER_1000=\([0-9.]*\).*/\1/p' "$WORK/spoolrate.tsv" | median)
SPOOL_RATE=$(sed -n 's/^RATE=\([0-9.]*\).*/\1/p' "$WORK/spoolrate-same.tsv" | median)
SPOOL_AZ_CPU=$(sed -n 's/.*AZURITE_CPU_PER_1000=\([0-9.]*\).*/\1/p' "$WORK/spoolrate-same.tsv" | median)
SPOOL_CLIENT_CPU=$(sed -n 's/.*CLIENT_CPU_PER_1000=\([0-9.]*\).*/\1/p' "$WORK/spoolrate-same.tsv" | median)

echo
echo "Edge benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r); ${SIZE}-byte messages; medians of $RUNS run(s);"
echo "messages per run: $MSGS_1 at 1 session, otherwise $MSGS_N ((a), (d)) and $MSGS_FAST ((b), (c)); smtp-source opens one connection per message."
echo "CPU = utime+stime of the server processes per 1,000 accepted messages; (a) edge only, Azurite separately;"
echo "(d) every Postfix daemon incl. the smtp(8) deliveries to the sink; 'recv' leaves those out."
echo
printf '%-32s %8s %10s %14s %18s %8s\n' "server" "sessions" "msgs/s" "CPU-s/1000" "extra CPU-s/1000" "load1"
for s in $SESSIONS; do
  for t in a b c d; do
    extra=$(col "$t" "$s" 9)
    case $t in a) extra="azurite $(printf %.2f "$extra")" ;; d) extra="recv $(printf %.2f "$extra")" ;; *) extra="" ;; esac
    printf '%-32s %8s %10.0f %14.3f %18s %8s\n' "$(name "$t")" "$s" "$(col "$t" "$s" 7)" "$(col "$t" "$s" 8)" "$extra" "$(col "$t" "$s" 10)"
  done
done
echo
printf 'raw Azurite write rate, real BlobQueueSpool, 20 writers, (a)'"'"'s Azurite after its 20-session run (%s pairs): %.0f pairs/s; Azurite CPU %.2f s/1000, writer CPU %.2f s/1000\n' "$MSGS_N" "$SPOOL_RATE" "$SPOOL_AZ_CPU" "$SPOOL_CLIENT_CPU"
printf 'raw Azurite write rate, same, on a fresh Azurite (%s pairs): %.0f pairs/s; Azurite CPU %.2f s/1000, writer CPU %.2f s/1000\n' "$SPOOL_RATE_COUNT" "$SPOOL_RATE_FRESH" "$SPOOL_AZ_CPU_FRESH" "$SPOOL_CLIENT_CPU_FRESH"
printf 'idle connections: %s open (%s failed); edge VmRSS %s -> %s KiB = %.1f KiB per connection; threads %s -> %s\n' "$OPENED" "$FAILED" "$RSS0" "$RSS1" "$PER_CONN" "$THR0" "$THR1"
echo
echo "Targets (20 sessions):"
B20=$(col b 20 7); C20=$(col c 20 7); A20=$(col a 20 7); ACPU=$(col a 20 8); DCPU=$(col d 20 8); DRECV=$(col d 20 9)
verdict() { if (( $(echo "$1" | bc -l) )); then echo MET; else echo "NOT MET"; fi; }
printf '  (b) >= 70%% of (c):             %.0f / %.0f = %.0f%%  %s\n' "$B20" "$C20" "$(echo "100 * $B20 / $C20" | bc -l)" "$(verdict "$B20 >= 0.7 * $C20")"
printf '  (a) edge CPU <= 1/4 of (d):     %.3f vs %.3f (recv-only %.3f): ratio %.2f  %s\n' "$ACPU" "$DCPU" "$DRECV" "$(echo "$ACPU / $DCPU" | bc -l)" "$(verdict "$ACPU <= $DCPU / 4")"
printf '  (a) within 10%% of raw Azurite: %.0f vs %.0f = %.0f%%  %s\n' "$A20" "$SPOOL_RATE" "$(echo "100 * $A20 / $SPOOL_RATE" | bc -l)" "$(verdict "$A20 >= 0.9 * $SPOOL_RATE")"
printf '      (against the fresh Azurite:  %.0f vs %.0f = %.0f%%)\n' "$A20" "$SPOOL_RATE_FRESH" "$(echo "100 * $A20 / $SPOOL_RATE_FRESH" | bc -l)"
printf '  < 32 KiB per idle connection:  %.1f KiB  %s\n' "$PER_CONN" "$(verdict "$PER_CONN < 32")"
echo
echo "raw rows (target sessions run msgs accepted seconds rate cpu/1000 extra/1000 load1):"
cat "$RESULTS"
echo "raw Azurite, same Azurite:"; cat "$WORK/spoolrate-same.tsv"
echo "raw Azurite, fresh Azurite:"; cat "$WORK/spoolrate.tsv"
