#!/usr/bin/env bash
# The long reliability runs (issue 7) that do not fit the normal test command: the crash test of
# tests/MtaServerless.Reliability.Tests over many messages and kills, several rounds, each with its own
# random seed (printed; MTA_CRASH_SEED=... repeats a round). See tests/soak/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

MESSAGES="${MESSAGES:-200}"
KILLS="${KILLS:-10}"
ROUNDS="${ROUNDS:-1}"
CONFIGURATION="${CONFIGURATION:-Debug}"
PROJECT=tests/MtaServerless.Reliability.Tests

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  dotnet build "$PROJECT" -c "$CONFIGURATION" -v quiet -nologo
fi

failed=0
for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round of $ROUNDS: $MESSAGES messages, $KILLS kills ($(date -u +%H:%M:%S) UTC)"
  log="$(mktemp -t mta-soak-XXXXXX.log)"
  status=0
  MTA_CRASH_MESSAGES="$MESSAGES" MTA_CRASH_KILLS="$KILLS" dotnet test "$PROJECT" -c "$CONFIGURATION" --no-build -nologo \
    --filter "FullyQualifiedName~RunnerCrashTests.Runner_" --logger "console;verbosity=detailed" >"$log" 2>&1 || status=$?
  grep -E "^ *seed |Passed |Failed |Error Message" "$log" | sort -u || true
  if [[ "$status" != 0 ]]; then
    failed=1
    echo "round $round failed; whole log: $log"
  else
    rm -f "$log"
  fi
done
exit "$failed"
