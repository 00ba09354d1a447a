#!/usr/bin/env python3
"""Scores tickertape's HTML extraction with the article-extraction
benchmark's own scorer, run the way the service runs it.

Each of the benchmark's 181 pages goes through `tickertape process
articles` as one `.html` file (so as a message with `content-type:
text/html`); the article event's paragraphs and subheadings are its
`articleBody`. The benchmark's `evaluate.py` then scores the output,
unchanged, in a temporary copy of the benchmark (the shared folder is
read-only).

    python3 tests/extraction/score.py --bin target/release/tickertape [--floor 0.970]

Fails when F1 is below `--floor`, and when a page is lost (every page must
give an article event or a dead letter, in order).
"""

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCHMARK = REPO.parent / "shared" / "benchmarks" / "article-extraction"
# Three of the benchmark's pages are over the service's default 1 MiB
# message limit (Kafka's default too); the crawlers that send such pages
# raise both. The scorer reads every page.
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
TERMINAL_TOPICS = {"articles.enriched", "articles.duplicates", "articles.dlq"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", default=str(REPO / "target" / "release" / "tickertape"))
    parser.add_argument("--benchmark", default=str(BENCHMARK))
    parser.add_argument("--floor", type=float, help="fail when F1 is below this")
    parser.add_argument("--save", type=Path, help="also write the extracted bodies here, for study")
    args = parser.parse_args()
    benchmark = Path(args.benchmark)
    if not (benchmark / "evaluate.py").exists():
        sys.exit(f"the benchmark is not at {benchmark}")

    with tempfile.TemporaryDirectory(prefix="tickertape-extraction-") as scratch:
        scratch = Path(scratch)
        copy = scratch / "benchmark"
        shutil.copytree(benchmark, copy, ignore=shutil.ignore_patterns("output"))
        truth = json.loads((copy / "ground-truth.json").read_text())
        hashes = sorted(truth)
        pages = scratch / "pages"
        pages.mkdir()
        files = []
        for name in hashes:
            path = pages / f"{name}.html"
            path.write_bytes(gzip.decompress((copy / "html" / f"{name}.html.gz").read_bytes()))
            files.append(str(path))

        run = subprocess.run(
            [args.bin, "process", "--clock", "2024-11-12T15:00:00Z", "articles",
             "--max-message-bytes", str(MAX_MESSAGE_BYTES), *files],
            capture_output=True, text=True, check=False,
        )
        if run.returncode != 0:
            sys.exit(f"tickertape process failed ({run.returncode}):\n{run.stderr[-4000:]}")
        terminal = [json.loads(line) for line in run.stdout.splitlines()
                    if json.loads(line)["topic"] in TERMINAL_TOPICS]
        if len(terminal) != len(hashes):
            sys.exit(f"{len(hashes)} pages in, {len(terminal)} article events or dead letters out")

        output, outcomes = {}, {}
        for name, record in zip(hashes, terminal):
            value = record["value"]
            topic = record["topic"]
            if topic == "articles.enriched":
                body = "\n".join(in_order(value))
                outcome = "article"
            elif topic == "articles.duplicates":
                body, outcome = "", "duplicate"
            else:
                body = ""
                outcome = "dead letter: " + record["headers"].get("dlq.reason", "?")
            output[name] = {"articleBody": body}
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if args.save:
            args.save.write_text(json.dumps(output, ensure_ascii=False, indent=1))
        (copy / "output").mkdir()
        (copy / "output" / "tickertape.json").write_text(
            json.dumps({"version": version(args.bin), "output": output}, ensure_ascii=False))
        results = copy / "results.json"
        scored = subprocess.run([sys.executable, "evaluate.py", "--output", str(results)],
                                cwd=copy, capture_output=True, text=True, check=True)
        print(scored.stdout, end="")
        print("pages: " + ", ".join(f"{count} {what}" for what, count in sorted(outcomes.items())))
        f1 = json.loads(results.read_text())["tickertape"]["f1"]
    if args.floor is not None and f1 < args.floor:
        sys.exit(f"F1 {f1:.3f} is below the floor {args.floor:.3f}")


def in_order(article):
    """The body's paragraphs with each subheading where it stands."""
    blocks = list(article["paragraphs"])
    placed = sorted(zip(article["subheading_positions"], range(len(article["subheadings"]))), reverse=True)
    for position, index in placed:
        blocks.insert(position, article["subheadings"][index])
    return blocks


def version(binary):
    run = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    return run.stdout.split()[-1] if run.returncode == 0 and run.stdout.split() else ""


if __name__ == "__main__":
    main()
