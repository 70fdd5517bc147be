#!/usr/bin/env bash
# The long reliability runs (issues 7 and 12) that do not fit the normal test command: the crash test of
# tests/MtaServerless.Reliability.Tests over many messages, kills and storage outages, several rounds, each with its own
# random seed (printed; MTA_CRASH_SEED=... repeats a round); then the fuzz tests with FUZZ_SCALE times
# their bounded budget and a fresh seed (MTA_FUZZ_SEED=... repeats it). See tests/soak/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

MESSAGES="${MESSAGES:-200}"
KILLS="${KILLS:-10}"
OUTAGES="${OUTAGES:-5}"
ROUNDS="${ROUNDS:-1}"
CONFIGURATION="${CONFIGURATION:-Debug}"
FUZZ_SCALE="${FUZZ_SCALE:-50}"
PROJECT=tests/MtaServerless.Reliability.Tests
FUZZ_PROJECTS=(tests/MtaServerless.Edge.Tests tests/MtaServerless.Tests)
FUZZ_FILTER="FullyQualifiedName~PropertyTests|FullyQualifiedName~FuzzTests|FullyQualifiedName~ReceivedHeaderCounterTests"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  for project in "$PROJECT" "${FUZZ_PROJECTS[@]}"; do
    dotnet build "$project" -c "$CONFIGURATION" -v quiet -nologo
  done
fi

failed=0
for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round of $ROUNDS: $MESSAGES messages, $KILLS kills, $OUTAGES storage outages ($(date -u +%H:%M:%S) UTC)"
  log="$(mktemp -t mta-soak-XXXXXX.log)"
  status=0
  MTA_CRASH_MESSAGES="$MESSAGES" MTA_CRASH_KILLS="$KILLS" MTA_CRASH_OUTAGES="$OUTAGES" dotnet test "$PROJECT" -c "$CONFIGURATION" --no-build -nologo \
    --filter "FullyQualifiedName~RunnerCrashTests.Runner_" --logger "console;verbosity=detailed" >"$log" 2>&1 || status=$?
  grep -E "^ *seed |Passed |Failed |Error Message" "$log" | sort -u || true
  if [[ "$status" != 0 ]]; then
    failed=1
    echo "round $round failed; whole log: $log"
  else
    rm -f "$log"
  fi
done
if [[ "$FUZZ_SCALE" -gt 0 ]]; then
  seed="${MTA_FUZZ_SEED:-$((RANDOM * 32768 + RANDOM + 1))}"
  echo "== fuzz: ${FUZZ_SCALE}x the test command's budget, seed $seed ($(date -u +%H:%M:%S) UTC)"
  for project in "${FUZZ_PROJECTS[@]}"; do
    MTA_FUZZ_SCALE="$FUZZ_SCALE" MTA_FUZZ_SEED="$seed" dotnet test "$project" -c "$CONFIGURATION" --no-build -nologo \
      --filter "$FUZZ_FILTER" || failed=1
  done
fi

exit "$failed"
