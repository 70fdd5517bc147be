#!/usr/bin/env bash
# Runs tests/MtaServerless.Benchmarks (MailKit -> edge -> Azurite -> Ingest/Deliver on the WebJobs
# engine -> SmtpServer sink, in one process beside Azurite) RUNS times for each recipient count and
# prints the medians as a Markdown table. See tests/bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS="${RUNS:-3}"
MESSAGES="${MESSAGES:-200}"
CLIENTS="${CLIENTS:-10}"
RECIPIENTS="${RECIPIENTS:-1 10}"
OUT="${OUT:-$(mktemp -d -t mta-pipeline-bench-XXXXXX)}"
mkdir -p "$OUT"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  dotnet build tests/MtaServerless.Benchmarks -c Release -v quiet -nologo >/dev/null
fi

for recipients in $RECIPIENTS; do
  for run in $(seq 1 "$RUNS"); do
    log="$OUT/r$recipients-run$run.txt"
    echo "load1 $(cut -d' ' -f1 /proc/loadavg)" >"$log"
    dotnet tests/MtaServerless.Benchmarks/bin/Release/net10.0/MtaServerless.Benchmarks.dll "$MESSAGES" "$CLIENTS" "$recipients" >>"$log"
    echo "recipients $recipients, run $run: $(grep -E '^Accepted' "$log")"
  done
done

python3 - "$OUT" "$RECIPIENTS" <<'PY'
import re, statistics, sys, pathlib
out, counts = pathlib.Path(sys.argv[1]), sys.argv[2].split()
print("\n| recipients | accepted msg/s | 250 -> arrival p50 / p99 | peak working set | CPU s per 1,000 msgs | our storage transactions per message | queue engine's per message | load1 |")
print("|---|---|---|---|---|---|---|---|")
for r in counts:
    runs = [p.read_text() for p in sorted(out.glob(f"r{r}-run*.txt"))]
    def med(pattern):
        return statistics.median(float(re.search(pattern, t).group(1)) for t in runs)
    def detail(prefix):
        ops = {}
        for t in runs:
            for name, value in re.findall(rf"^  {prefix}(\S.*?)\s{{2,}}([\d.]+)$", t, re.M):
                if prefix or not name.startswith("engine "):
                    ops.setdefault(name, []).append(float(value))
        return "; ".join(f"{n} {statistics.median(v):.2f}" for n, v in sorted(ops.items()))
    row = [
        r,
        "%.1f" % med(r"Accepted: ([\d.]+) msgs/s"),
        "%.0f / %.0f ms" % (med(r"p50 (\d+) ms"), med(r"p99 (\d+) ms")),
        "%.0f MiB" % med(r"peak working set (\d+) MiB"),
        "%.1f" % med(r"Process CPU: ([\d.]+) s"),
        "%.2f: %s" % (med(r"(?m)^Storage transactions per message: ([\d.]+)"), detail("")),
        "%.2f: %s" % (med(r"Queue engine transactions per message: ([\d.]+)"), detail("engine ")),
        "%.1f" % med(r"load1 ([\d.]+)"),
    ]
    print("| " + " | ".join(row) + " |")
lost = sum(int(m) for p in out.glob("*.txt") for m in re.findall(r"missing (\d+)", p.read_text()))
dups = sum(int(m) for p in out.glob("*.txt") for m in re.findall(r"duplicates (\d+)", p.read_text()))
print(f"\nmissing {lost}, duplicates {dups} over all runs; raw output in {out}")
PY
