#!/usr/bin/env bash
# Pipeline benchmark (issues 7 and 14): the whole local MTA beside Postfix, in one run.
#   1. tests/MtaServerless.Benchmarks: a driver process (Azurite, the sink, the MailKit clients) with the MTA (the
#      edge and the functions on the WebJobs queue engine, as the local runner hosts them) in a child process of its
#      own, whose CPU time, working set and storage transactions are measured apart. Scenarios: a warm-up, then RUNS
#      times 1 recipient and MULTI_RECIPIENTS over 3 domains at CLIENTS clients, and IDLE_MESSAGES one at a time;
#      last, RELAYS relays held in flight at once in a fresh host (its working set beside its baseline).
#   2. A throwaway Postfix instance receiving the same load from smtp-source (CLIENTS sessions, each on one
#      connection as the MailKit clients are) and relaying it to smtp-sink: CPU of the master and every daemon,
#      counted after the queue has drained. The multi-recipient messages go to three next hops (a transport map
#      and three smtp-sinks), as the MTA's go to three routes: three relay transactions per message on both sides.
# Everything listens on 127.0.0.1 only; every process started here is stopped on exit. See tests/bench/README.md.
#
# Environment: RUNS (3), CLIENTS (20), MESSAGES (1000), MULTI_MESSAGES (400), MULTI_RECIPIENTS (10), WARMUP (2000),
#              IDLE_MESSAGES (20), RELAYS (100), MEMORY_WARMUP (500), POSTFIX_WARMUP (2000), SIZE (10240, Postfix's
#              payload; the MailKit messages have a 10 KiB body), OUT (where the raw outputs stay), SKIP_BUILD (0)
set -euo pipefail

RUNS=${RUNS:-3}
CLIENTS=${CLIENTS:-20}
MESSAGES=${MESSAGES:-1000}
MULTI_MESSAGES=${MULTI_MESSAGES:-400}
MULTI_RECIPIENTS=${MULTI_RECIPIENTS:-10}
WARMUP=${WARMUP:-2000}
IDLE_MESSAGES=${IDLE_MESSAGES:-20}
RELAYS=${RELAYS:-100}
MEMORY_WARMUP=${MEMORY_WARMUP:-500}
POSTFIX_WARMUP=${POSTFIX_WARMUP:-2000}
SIZE=${SIZE:-10240}
OUT=${OUT:-$(mktemp -d /tmp/pipeline-bench-out.XXXXXX)}

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PROJECT=$ROOT/tests/MtaServerless.Benchmarks
WORK=$(mktemp -d /tmp/pipeline-bench.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$OUT"
source "$ROOT/tests/bench/lib.sh"

log "postfix from apt when missing (no configuration, not started)"
"$ROOT/tests/postfix/postfix-instance.sh" install
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  log "building $PROJECT (Release)"
  dotnet build -c Release "$PROJECT" -nologo -v q >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; exit 1; }
fi

# ---------------------------------------------------------------- the MTA
log "MTA: driver and host (raw output in $OUT/mta.txt)"
dotnet "$PROJECT/bin/Release/net10.0/MtaServerless.Benchmarks.dll" \
  --Warmup "$WARMUP" --Runs "$RUNS" --Clients "$CLIENTS" --Messages "$MESSAGES" --MultiMessages "$MULTI_MESSAGES" \
  --MultiRecipients "$MULTI_RECIPIENTS" --IdleMessages "$IDLE_MESSAGES" --Relays "$RELAYS" --MemoryWarmup "$MEMORY_WARMUP" \
  >"$OUT/mta.txt" 2>"$OUT/mta.err" || { cat "$OUT/mta.txt" "$OUT/mta.err"; log "the MTA benchmark failed"; exit 1; }
MTA_SINGLE=$(sed -n 's/^RESULT mta_cpu_ms_single //p' "$OUT/mta.txt")
MTA_MULTI=$(sed -n 's/^RESULT mta_cpu_ms_multi //p' "$OUT/mta.txt")

# ---------------------------------------------------------------- Postfix
HOP_PORTS=(); SINK_PIDS=()
# -c: each counts the messages it received (sess=, quit=, mesg= on its output).
for _ in 1 2 3; do start_smtp_sink -c; HOP_PORTS+=("$SINK_PORT"); SINK_PIDS+=("$SINK_PID"); done
# smtp-source names the recipients of a message b@, 2b@, 3b@ ...: recipient n goes to hop (n - 1) mod 3.
for n in $(seq 1 "$MULTI_RECIPIENTS"); do
  name=b; ((n > 1)) && name=${n}b
  echo "/^${name}@multi\\.example\$/ smtp:[127.0.0.1]:${HOP_PORTS[$(((n - 1) % 3))]}"
done >"$WORK/transport"
POSTFIX_PORT=$(free_port)
start_postfix "$POSTFIX_PORT" "${HOP_PORTS[0]}" <<EOF
transport_maps = regexp:$WORK/transport
EOF
log "postfix master $POSTFIX_PID on port $POSTFIX_PORT -> smtp-sinks ${HOP_PORTS[*]}"

: >"$OUT/postfix.tsv"   # scenario run messages seconds cpu_ms recv_ms load1
postfix_measure() { # scenario run messages recipients to
  local scenario=$1 run=$2 m=$3 r=$4 to=$5 before b2 after a2 start end load
  load=$(cut -d' ' -f1 /proc/loadavg)
  read -r before b2 < <(postfix_ticks)
  start=$(date +%s.%N)
  smtp-source -d -s "$CLIENTS" -m "$m" -r "$r" -l "$SIZE" -f a@example.org -t "$to" 127.0.0.1:"$POSTFIX_PORT" >"$WORK/source.log" 2>&1 \
    || log "smtp-source failed: $(tail -2 "$WORK/source.log")"
  postfix_drain
  end=$(date +%s.%N)
  read -r after a2 < <(postfix_ticks)
  printf '%s\t%s\t%s\t%.2f\t%.3f\t%.3f\t%s\n' "$scenario" "$run" "$m" "$(echo "$end - $start" | bc -l)" \
    "$(echo "($after - $before) * 1000 / $HZ / $m" | bc -l)" "$(echo "($a2 - $b2) * 1000 / $HZ / $m" | bc -l)" "$load" | tee -a "$OUT/postfix.tsv" >&2
}

log "Postfix warm-up: $POSTFIX_WARMUP messages"
postfix_measure warmup 0 "$POSTFIX_WARMUP" 1 b@example.com
for run in $(seq 1 "$RUNS"); do
  postfix_measure single "$run" "$MESSAGES" 1 b@example.com
  postfix_measure multi "$run" "$MULTI_MESSAGES" "$MULTI_RECIPIENTS" b@multi.example
done
# Every hop got its share of the multi-recipient messages (the transport map matched), or the comparison is void.
HOP_MESSAGES=()
for port in "${HOP_PORTS[@]}"; do
  HOP_MESSAGES+=("$(tr '\r' '\n' <"$WORK/sink-$port.out" | sed -n 's/.*mesg=//p' | tail -1)")
done
log "messages received by the three smtp-sinks: ${HOP_MESSAGES[*]}"

# ---------------------------------------------------------------- summary
col() { awk -F'\t' -v s="$1" -v c="$2" '$1 == s && $2 > 0 {print $c}' "$OUT/postfix.tsv" | median; }
PF_SINGLE=$(col single 5); PF_SINGLE_RECV=$(col single 6); PF_MULTI=$(col multi 5); PF_MULTI_RECV=$(col multi 6)
PF_SINGLE_RATE=$(echo "$MESSAGES / $(col single 4)" | bc -l); PF_MULTI_RATE=$(echo "$MULTI_MESSAGES / $(col multi 4)" | bc -l)

echo
echo "Pipeline benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r); medians of $RUNS run(s); raw output in $OUT"
echo
sed -n '/^| scenario/,/^$/p' "$OUT/mta.txt"
sed -n '/^[^ ].*: ours /p; /relays waiting/p; /messages in all/p' "$OUT/mta.txt"
echo
echo "| CPU ms per message, $CLIENTS clients | 1 recipient | $MULTI_RECIPIENTS recipients over 3 domains |"
echo "|---|---:|---:|"
printf '| MTA (edge + functions, its own process) | %.2f | %.2f |\n' "$MTA_SINGLE" "$MTA_MULTI"
printf '| Postfix -> smtp-sink (master and every daemon) | %.2f | %.2f |\n' "$PF_SINGLE" "$PF_MULTI"
printf '| Postfix, receive side only (no smtp(8)) | %.2f | %.2f |\n' "$PF_SINGLE_RECV" "$PF_MULTI_RECV"
printf '| ratio MTA / Postfix | %.2f | %.2f |\n' "$(echo "$MTA_SINGLE / $PF_SINGLE" | bc -l)" "$(echo "$MTA_MULTI / $PF_MULTI" | bc -l)"
printf '| Postfix msgs/s (until the queue drained) | %.0f | %.0f |\n' "$PF_SINGLE_RATE" "$PF_MULTI_RATE"
echo
echo "Postfix's next hops received ${HOP_MESSAGES[*]} messages (the first also every 1-recipient message)."
echo "Postfix rows (scenario run messages seconds cpu_ms recv_ms load1):"
cat "$OUT/postfix.tsv"
