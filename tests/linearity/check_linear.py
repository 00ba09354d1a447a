#!/usr/bin/env python3
"""Every stage is linear in its input: pages of hostile shapes (a title that
is one run of capitalised words, a body of quotations, of people named by
rule, of organisations, of gazetteer names, a strip of thousands of lines;
HTML pages of paragraphs, of headings and links, of strip items)
at 10 KB, 100 KB and 1 MB go through the articles pipeline, and the
instructions one page costs (callgrind: a run processing it twice minus a
run processing it once, so start-up is left out) must grow at most about
tenfold per tenfold size. Instructions, not seconds: repeatable on a shared
machine. Prints a table; exits 1 on any shape that grows faster.

    tests/linearity/check_linear.py --driver target/release/examples/input_cost
"""
import argparse
import os
import random
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = os.path.join(HERE, "..", "fixtures", "articles", "seed-article.txt")
SIZES = [10_000, 100_000, 1_000_000]
# Allowed growth per tenfold size: linear is 10; the margin covers the
# fixed work of a page (its strip, its signature) and allocator effects.
MAX_GROWTH = 13.0


def words(rng, n):
    return ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 8))) for _ in range(n)]


def shapes(rng):
    cap = lambda w: w.capitalize()
    return {
        "capitalised title": lambda size: ("title", " ".join(cap(w) for w in words(rng, size // 7))),
        "quotations": lambda size: ("body", "\n\n".join(
            f'"{a} {b}," said {cap(c)} {cap(d)}.' for a, b, c, d in zip(*[iter(words(rng, size // 7))] * 4))),
        "quotations in one paragraph": lambda size: ("body", " ".join(
            f'"{a} {b}," {cap(c)} said' for a, b, c in zip(*[iter(words(rng, size // 7))] * 3))),
        "people by rule": lambda size: ("body", "\n\n".join(
            f"President {cap(a)} {cap(b)} spoke." for a, b in zip(*[iter(words(rng, size // 7))] * 2))),
        "organisations": lambda size: ("body", ", ".join(f"{cap(w)} Bank" for w in words(rng, size // 10)) + "."),
        "gazetteer names": lambda size: ("body", " ".join(
            rng.choice(["Russia", "Ukraine", "France", "Moscow", "Kim Jong Un", "Vodafone", "Kenya"])
            for _ in range(size // 7)) + "."),
        "strip lines": lambda size: ("strip", "\n".join(
            f"{w.upper()[:5]} -1.43% 59.34 $" for w in words(rng, size // 20))),
        # HTML pages: both extractors and the markup readers. The service
        # refuses pages of more than 20,000 elements (TICKERTAPE_MAX_HTML_ELEMENTS),
        # so these carry about 60 bytes an element: 1 MB is 16,000 to
        # 17,000 elements. (rs-trafilatura's cleaning grows faster than
        # the element count past that: 13.3x from 100 KB to 1 MB at 42,000
        # elements; the limit bounds it.)
        "HTML paragraphs": lambda size: ("html", "".join(
            f"<p>{' '.join(words(rng, 16))}.</p>" for _ in range(size // 110))),
        "HTML headings and links": lambda size: ("html", "".join(
            f"<h2>{cap(a)} {b}</h2><p>{' '.join(words(rng, 10))} <a href='/{c}'>{c}</a> {' '.join(words(rng, 10))}.</p>"
            for a, b, c in zip(*[iter(words(rng, size // 60))] * 3))),
        "HTML strip items": lambda size: ("html", "<ul class='ticker'>" + "".join(
            f"<li>{w.upper()[:5]} -1.43% 59.34 $</li>" for w in words(rng, size // 60)) + "</ul><p>"
            + " ".join(words(rng, 60)) + ".</p>"),
    }


def page(kind, text, seed):
    lines = seed.split("\n")
    if kind == "html":
        return (f"<!doctype html><html lang='en'><head><title>Site - Headline</title></head><body>"
                f"<article><h1>Headline</h1>{text}</article></body></html>")
    if kind == "title":
        site = lines[0].split(" - ")[0]
        return f"{site} - {text}\n" + "\n".join(lines[1:])
    if kind == "strip":
        return seed.replace("RBGPF -1.43% 59.34 $", text, 1)
    return seed.replace("K.Thomson--BTB", text + "\n\nK.Thomson--BTB", 1)


def instructions(driver, path, times):
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", driver, path, str(times)],
        capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{driver} failed on {path}:\n{out.stderr[-2000:]}")
    match = re.search(r"Collected : (\d+)", out.stderr)
    return int(match.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--driver", required=True)
    args = parser.parse_args()
    seed = open(SEED, encoding="utf-8").read()
    rng = random.Random(20241112)
    failed = []
    with tempfile.TemporaryDirectory(prefix="tickertape-linearity-") as work:
        print(f"{'shape':<30}" + "".join(f"{s // 1000:>10} KB" for s in SIZES) + "   growth per 10x")
        for name, make in shapes(rng).items():
            costs = []
            for size in SIZES:
                path = os.path.join(work, "page.txt")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(page(*make(size), seed))
                costs.append(instructions(args.driver, path, 2) - instructions(args.driver, path, 1))
            growth = [b / a for a, b in zip(costs, costs[1:])]
            ok = all(g <= MAX_GROWTH for g in growth)
            print(f"{name:<30}" + "".join(f"{c / 1e6:>10.1f} M " for c in costs)
                  + "   " + ", ".join(f"{g:.1f}x" for g in growth) + ("" if ok else "   TOO FAST"))
            if not ok:
                failed.append(name)
    if failed:
        print(f"linearity: FAILED for {', '.join(failed)} (more than {MAX_GROWTH}x per tenfold size)")
        sys.exit(1)
    print(f"linearity: every shape grows at most {MAX_GROWTH}x per tenfold size")


if __name__ == "__main__":
    main()
