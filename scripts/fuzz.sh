#!/usr/bin/env bash
# Fuzzes every parser and every processor (fuzz/, cargo-fuzz on nightly),
# each seeded with the test fixtures, for SECONDS each (default 60), and
# prints a table: target, seconds, executions, crashes, and the coverage
# (libFuzzer's `cov`) halfway through the executions and at the end: equal
# means the target has plateaued. Fails if any target
# crashed, panicked, ran out of memory or took longer than 10 s on one
# input; the input is left in fuzz/artifacts/<target>/ (make it a
# regression test).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(page_parser html_reader envelope tick_parser strip_line articles_processor prices_processor reactions_join)

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

work=$(mktemp -d -t tickertape-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Seeds: whole fixture pages, every envelope and tick line, every strip line.
python3 - "$work/seeds" <<'PY'
import glob, os, sys
out = sys.argv[1]
def lines(path):
    with open(path, "rb") as f:
        return [l.rstrip(b"\n") for l in f if l.strip()]
pages = [open(p, "rb").read() for p in sorted(glob.glob("tests/fixtures/articles/*.txt") + glob.glob("tests/fixtures/bad/*.txt"))]
html = [open(p, "rb").read() for p in sorted(glob.glob("tests/fixtures/articles/*.html"))]
envelopes = lines("tests/fixtures/articles/envelopes.jsonl") + lines("tests/fixtures/bad/envelopes.jsonl")
ticks = lines("tests/fixtures/ticks/feed.jsonl")
strip = lines("tests/fixtures/ticks/seed-strip.txt")
import json
selector = {"articles.enriched": b"\x00", "prices.changes": b"\x01"}
tape = [selector[r["topic"]] + json.dumps(r["value"]).encode()
        for r in map(json.loads, lines("tests/fixtures/reactions/tape.jsonl")) if r["topic"] in selector]
seeds = {
    "page_parser": pages,
    "envelope": pages + envelopes,
    "html_reader": html,
    "articles_processor": pages + envelopes + html,
    "tick_parser": ticks + strip,
    "prices_processor": ticks + strip,
    "strip_line": strip,
    "reactions_join": tape,
}
for target, inputs in seeds.items():
    os.makedirs(os.path.join(out, target))
    for i, data in enumerate(inputs):
        with open(os.path.join(out, target, f"seed-{i:04}"), "wb") as f:
            f.write(data)
PY

cargo +nightly fuzz build --fuzz-dir fuzz 2>&1 | tail -1
printf '%-20s %8s %12s %8s %9s %9s\n' target seconds executions crashes cov_half cov_end > "$work/table"
status=0
for target in "${targets[@]}"; do
  mkdir -p "$work/corpus/$target"
  set +e
  cargo +nightly fuzz run --fuzz-dir fuzz "$target" "$work/corpus/$target" "$work/seeds/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 >"$work/$target.log" 2>&1
  code=$?
  set -e
  runs=$(grep -oE '^Done [0-9]+ runs' "$work/$target.log" | grep -oE '[0-9]+' || echo 0)
  [ -z "$runs" ] && runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$work/$target.log" | grep -oE '[0-9]+$' || echo 0)
  crashes=0
  if [ "$code" -ne 0 ]; then
    crashes=1
    status=1
    echo "fuzz: $target failed (exit $code):" >&2
    grep -E 'panicked|ERROR|SUMMARY|artifact' "$work/$target.log" | head -20 >&2
  fi
  # Coverage at the last status line before half the executions, and at the end.
  read -r cov_half cov_end < <(python3 - "$work/$target.log" "$runs" <<'PY'
import re, sys
points = [(int(m.group(1)), int(m.group(2))) for m in
          re.finditer(r"^#(\d+)\s+\S+\s+cov: (\d+)", open(sys.argv[1], errors="replace").read(), re.M)]
half = int(sys.argv[2]) // 2
before = [c for n, c in points if n <= half]
print(before[-1] if before else "-", points[-1][1] if points else "-")
PY
)
  printf '%-20s %8s %12s %8s %9s %9s\n' "$target" "$seconds" "$runs" "$crashes" "$cov_half" "$cov_end" >> "$work/table"
done
cat "$work/table"
exit "$status"
