#!/usr/bin/env python3
"""Crash test: nothing lost, nothing twice, against a real Apache Kafka broker.

Feeds N ticks (with repeats, out-of-order and bad ones) and M raw pages (with
syndicated copies, updates and bad ones; some name listed companies) into
fresh topics while the three services run as separate processes; kills them
with SIGKILL at random moments K times (restarting each), scales the prices,
articles (whose parse stage reads articles.raw, and whose dedupe stage moves
with its one partition) and reactions services (whose join moves with its
partitions and their changelog) from 1 to 3 instances and back, and
optionally stops and restarts the broker mid-stream. Then it reads every
output topic with kcat (read_committed, an independent client) and compares
with what `tickertape process` computes over the same inputs (the reactions
from `process reactions` over the articles' and prices' own offline output).

exactly_once: every expected event exactly once, nothing missing, nothing extra.
at_least_once: nothing missing; duplicates allowed and counted. Reactions:
every one there; the prices in a few may differ, where a price change the
prices service re-delivered came later than the join's allowed lateness.

Needs: kcat, the workspace binaries (--bin), a broker started with
scripts/kafka.sh (--kafka-dir, for the broker restart).
"""

import argparse
import base64
import collections
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
from harness import TOPIC_VARS  # noqa: E402  (tests/harness.py)
VOLATILE = ("processed_at", "ingest_time")
OUTPUTS = ["articles.enriched", "articles.duplicates", "articles.dlq",
           "prices.changes", "prices.alerts", "ticks.dlq", "market.reactions", "reactions.dlq"]
# Companies the instrument catalog knows, whose symbols are in SYMBOLS.
COMPANIES = ["Vodafone", "BP", "AstraZeneca", "GSK", "Rio Tinto", "Rolls-Royce", "National Grid", "RELX"]
# Horizons within the ticks' hour, so that most stories' reactions close.
REACTION_ENV = {"TICKERTAPE_REACTION_HORIZONS_S": "60,300,900"}
SYMBOLS = ["RBGPF", "CMSC", "RYCEF", "NGG", "GSK", "RIO", "AZN", "BTI", "BP", "RELX",
           "SCS", "CMSD", "JRI", "VOD", "BCC", "BCE"] + ["X%02d" % i for i in range(24)]
SITES = [("Berliner Tageblatt", "BTB"), ("Athens News", "ATN"), ("Gulf Courier", "GCR"),
         ("Lisbon Ledger", "LSL"), ("Baltic Times Online", "BTO"), ("Adriatic Post", "ADP")]
WORDS = ("north korea russia treaty ratified defence pact troops moscow pyongyang seoul "
         "ukraine kursk border missiles artillery sanctions kremlin minister president analyst "
         "agency council parliament lawmakers deployment military cooperation offensive ally "
         "shares markets investors profit outlook earnings growth inflation rates bank central "
         "tanker shipping gas europe demand supply orders record year month week tuesday said "
         "would could report reports state media official officials government talks summit "
         "energy oil prices fell rose steady trade exports imports tariffs deal agreement").split()


def log(*parts):
    print("crash-test:", *parts, flush=True)


# ---------------------------------------------------------------- inputs

def sentence(rng):
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 24))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def paragraph(rng):
    return " ".join(sentence(rng) for _ in range(rng.randint(2, 3)))


def page_text(site, title, paragraphs, author):
    name, code = site
    lines = [f"{name} - {title}", "", title, "", paragraphs[0], "", "Text size:", ""]
    for para in paragraphs[1:]:
        lines += [para, ""]
    lines.append(f"{author}--{code}")
    return "\n".join(lines) + "\n"


def make_pages(rng, count, start, spacing_s=20):
    """Unique stories (half naming listed companies), syndicated copies (same
    body, another site) and updates."""
    pages, stories = [], []
    for i in range(count):
        fetched = (start + timedelta(seconds=spacing_s * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        roll = rng.random()
        if i % 97 == 13:  # a bad envelope: no body
            pages.append(json.dumps({"url": f"https://bad.example/{i}", "fetched_at": fetched}))
            continue
        if stories and roll < 0.25:  # syndicated copy
            title, paras = rng.choice(stories)
            site = rng.choice(SITES)
        elif stories and roll < 0.40:  # update: one sentence changed, maybe a paragraph added
            index = rng.randrange(len(stories))
            title, paras = stories[index]
            paras = list(paras)
            paras[-1] = paragraph(rng)
            if rng.random() < 0.5:
                paras.append(paragraph(rng))
            stories[index] = (title, paras)
            site = SITES[0]
        else:
            title = " ".join(rng.choice(WORDS) for _ in range(6)).capitalize() + f" {i}"
            paras = [paragraph(rng) for _ in range(rng.randint(6, 12))]
            if rng.random() < 0.5:
                named = rng.sample(COMPANIES, rng.randint(1, 3))
                paras[0] = f"Shares of {' and '.join(named)} moved on the news. " + paras[0]
            stories.append((title, paras))
            site = rng.choice(SITES)
        author = f"{rng.choice('ABCDKM')}.{rng.choice(['Thomson', 'Park', 'Kowalski', 'Evans', 'Shah', 'Marsh'])}"
        body = page_text(site, title, paras, author)
        pages.append(json.dumps({"url": f"https://{site[1].lower()}.example/en/World/{i}.html",
                                 "fetched_at": fetched, "site": site[0], "body": body}))
    return pages


def make_ticks(rng, count, start, symbols=SYMBOLS):
    """A walk per symbol in cents; repeats, late (older) ticks and bad ones mixed in."""
    cents = {s: rng.randint(1000, 20000) for s in symbols}
    clock = {s: start for s in symbols}
    seq = collections.Counter()
    ticks, last = [], {}
    while len(ticks) < count:
        symbol = rng.choice(symbols)
        roll = rng.random()
        if roll < 0.10 and symbol in last:  # exact repeat
            ticks.append((symbol, last[symbol]))
            continue
        if roll < 0.13:  # late: older than the symbol's newest
            ts = clock[symbol] - timedelta(seconds=rng.randint(2, 30))
        elif roll < 0.135:
            ticks.append((symbol, json.dumps({"symbol": symbol, "price": "NaN", "ts": "2024-01-01T00:00:00Z"})))
            continue
        else:
            clock[symbol] += timedelta(milliseconds=rng.randint(100, 3000))
            ts = clock[symbol]
            if rng.random() < 0.8:
                cents[symbol] = max(1, cents[symbol] + rng.choice([-9, -3, -1, 1, 2, 5, 11, 40, -40]))
        seq[symbol] += 1
        tick = {"symbol": symbol, "price": f"{cents[symbol] // 100}.{cents[symbol] % 100:02d}",
                "ts": ts.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", "seq": seq[symbol], "source": "crash-feed"}
        if seq[symbol] == 1:
            tick["change_pct"] = f"{rng.uniform(-3, 3):.2f}"
        line = json.dumps(tick)
        last[symbol] = line
        ticks.append((symbol, line))
    return ticks


# ---------------------------------------------------------------- comparing

def canonical_event(value):
    value = {k: v for k, v in value.items() if k not in VOLATILE}
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def canonical_letter(reason, original):
    return json.dumps({"reason": reason, "original": original}, sort_keys=True, ensure_ascii=False)


def expected_outputs(binary, kind, paths, clock, extra=(), save=None):
    """What `tickertape process KIND` publishes for the inputs, by topic;
    its output lines are also written to `save`."""
    out = subprocess.run([binary, "process", "--clock", clock, kind, *extra, *paths],
                         capture_output=True, check=True, text=True, env=dict(os.environ, **REACTION_ENV)).stdout
    if save:
        with open(save, "w") as f:
            f.write(out)
    expected = collections.defaultdict(collections.Counter)
    for line in out.splitlines():
        record = json.loads(line)
        value = record["value"]
        if "original_b64" in value:
            original = base64.b64decode(value["original_b64"]).decode("utf-8")
            expected[record["topic"]][canonical_letter(value["reason"], original)] += 1
        elif record["topic"] in OUTPUTS:
            expected[record["topic"]][canonical_event(value)] += 1
    return expected


def make_inputs_and_expected(binary, rng, tick_count, page_count, now, partitions, prefix):
    """Ticks over the last 20 hours, pages from shortly before the ticks to
    shortly after the newest (stories before their prices, among them and
    after them), and what `tickertape process` publishes for them by topic:
    the reactions from `process reactions` over the articles' and prices'
    own offline output, joined as on `partitions` partitions. The inputs
    and offline outputs are kept in the returned folder."""
    ticks_start = now - timedelta(hours=20)
    ticks = make_ticks(rng, tick_count, ticks_start)
    newest_tick = max(json.loads(line)["ts"] for _, line in ticks if '"seq"' in line)
    span = (datetime.fromisoformat(newest_tick.replace("Z", "+00:00")) - ticks_start).total_seconds() + 1200
    pages = make_pages(rng, page_count, ticks_start - timedelta(minutes=10), span / max(page_count, 1))
    workdir = tempfile.mkdtemp(prefix=prefix)
    ticks_path, pages_path = os.path.join(workdir, "ticks.jsonl"), os.path.join(workdir, "pages.jsonl")
    with open(ticks_path, "w") as f:
        f.writelines(line + "\n" for _, line in ticks)
    with open(pages_path, "w") as f:
        f.writelines(page + "\n" for page in pages)
    clock = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    articles_out, prices_out = os.path.join(workdir, "articles-out.jsonl"), os.path.join(workdir, "prices-out.jsonl")
    expected = expected_outputs(binary, "ticks", [ticks_path], clock, save=prices_out)
    expected.update(expected_outputs(binary, "articles", [pages_path], clock, save=articles_out))
    expected.update(expected_outputs(binary, "reactions", [articles_out, prices_out], clock,
                                     extra=["--partitions", str(partitions)]))
    return ticks, pages, expected, workdir



def reaction_identities(counter):
    """Reactions counted by which reaction they are: story version and symbol."""
    identities = collections.Counter()
    for key, n in counter.items():
        value = json.loads(key)
        identities[(value["story_id"], value["story_version"], value["symbol"])] += n
    return identities


def read_topic(brokers, topic):
    out = subprocess.run(["kcat", "-b", brokers, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-J",
                          "-X", "isolation.level=read_committed"], capture_output=True, text=True).stdout
    got = collections.Counter()
    for line in out.splitlines():
        message = json.loads(line)
        payload = message.get("payload") or ""
        headers = message.get("headers") or []
        pairs = dict(zip(headers[0::2], headers[1::2]))
        if "tickertape.reason" in pairs:
            got[canonical_letter(pairs["tickertape.reason"], payload)] += 1
        else:
            got[canonical_event(json.loads(payload))] += 1
    return got


def count_topic(brokers, topic):
    out = subprocess.run(["kcat", "-b", brokers, "-C", "-t", topic, "-o", "beginning", "-e", "-q",
                          "-f", "x\n", "-X", "isolation.level=read_committed"], capture_output=True, text=True).stdout
    return out.count("\n")


# ---------------------------------------------------------------- processes

class Slot:
    """One service instance, with a stable instance id across restarts."""

    def __init__(self, run, binary, name):
        self.run, self.binary, self.name = run, binary, name
        self.process = None
        self.wanted = False
        self.restarts = 0

    def start(self):
        log_path = os.path.join(self.run.workdir, f"{self.name}.log")
        self.process = subprocess.Popen(
            [self.binary, "--brokers", self.run.brokers, "--metrics-addr", "127.0.0.1:0",
             "--group-id", f"{self.run.prefix}-{os.path.basename(self.binary)}",
             "--instance-id", self.name, "--processing-guarantee", self.run.mode],
            env=self.run.env, stdout=subprocess.DEVNULL, stderr=open(log_path, "a"))
        self.wanted = True

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self):
        self.wanted = False
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.kill()


class Run:
    def __init__(self, args, mode, label):
        self.args, self.mode, self.label = args, mode, label
        self.brokers = args.brokers
        self.workdir = tempfile.mkdtemp(prefix=f"tickertape-crash-{label}-")
        self.prefix = f"crash-{label}-{int(time.time() * 1000)}"
        self.env = dict(os.environ, RUST_LOG="info", **REACTION_ENV,
                        **{var: f"{self.prefix}.{name}" for var, name in TOPIC_VARS.items()})
        self.lock = threading.Lock()
        self.failures_restarted = 0

    def topic(self, name):
        return f"{self.prefix}.{name}"

    def create_topics(self):
        subprocess.run([self.args.tickertape, "topics", "create", "--brokers", self.brokers, "--partitions", "4",
                        "--partitions-for", f"{self.topic('articles.raw')}=1"],
                       env=self.env, check=True, stdout=subprocess.DEVNULL)

    def produce(self, topic, lines):
        data = "".join(f"{key}\t{value}\n" for key, value in lines)
        subprocess.run(["kcat", "-b", self.brokers, "-P", "-t", topic, "-K", "\t",
                        "-X", "enable.idempotence=true"], input=data, text=True, check=True)


def monitor(run, slots, stop):
    """Restarts an instance that exited on its own (an error after a broker restart, say)."""
    while not stop.is_set():
        with run.lock:
            for slot in slots:
                if slot.wanted and slot.process and slot.process.poll() is not None:
                    run.failures_restarted += 1
                    slot.start()
        time.sleep(0.5)


def chaos_run(args, mode, label, ticks, pages, expected, broker_restart):
    run = Run(args, mode, label)
    run.create_topics()
    articles = [Slot(run, args.articles, f"articles-{i}") for i in range(3)]
    prices = [Slot(run, args.prices, f"prices-{i}") for i in range(3)]
    reactions = [Slot(run, args.reactions, f"reactions-{i}") for i in range(3)]
    slots = articles + prices + reactions
    for service in (articles, prices, reactions):
        service[0].start()
    stop = threading.Event()
    threading.Thread(target=monitor, args=(run, slots, stop), daemon=True).start()

    rng = random.Random(args.seed + len(label))
    duration = args.feed_seconds
    kill_times = sorted(rng.uniform(3, duration + 5) for _ in range(args.kills))
    events = [(t, "kill") for t in kill_times] + [(duration * 0.3, "scale-up"), (duration * 0.7, "scale-down")]
    if broker_restart:
        events.append((duration * 0.5, "broker-restart"))
    events.sort()

    chunks = 40
    tick_chunk, page_chunk = -(-len(ticks) // chunks), -(-len(pages) // chunks)
    started = time.time()
    kills, scale_log = 0, []

    def kill_one():
        """SIGKILLs a random running instance and starts it again (hold run.lock)."""
        nonlocal kills
        victim = rng.choice([s for s in slots if s.wanted])
        victim.kill()
        victim.restarts += 1
        kills += 1
        victim.start()
        return victim

    next_event = 0
    for chunk in range(chunks):
        run.produce(run.topic("ticks.raw"), ticks[chunk * tick_chunk:(chunk + 1) * tick_chunk])
        run.produce(run.topic("articles.raw"), [(json.loads(p).get("url", "none"), p) for p in pages[chunk * page_chunk:(chunk + 1) * page_chunk]])
        while next_event < len(events) and time.time() - started >= events[next_event][0]:
            _, what = events[next_event]
            next_event += 1
            with run.lock:
                if what == "kill":
                    victim = kill_one()
                    log(f"{label}: SIGKILL {victim.name} at {time.time() - started:.1f}s (kill {kills})")
                    time.sleep(rng.uniform(0.2, 1.0))
                elif what == "scale-up":
                    for slot in (*prices[1:], *articles[1:], *reactions[1:]):
                        slot.start()
                    scale_log.append(f"prices, articles and reactions 1->3 at {time.time() - started:.0f}s")
                elif what == "scale-down":
                    for slot in (*prices[1:], *articles[1:], *reactions[1:]):
                        slot.stop()
                    scale_log.append(f"prices, articles and reactions 3->1 at {time.time() - started:.0f}s")
            if what == "broker-restart":
                log(f"{label}: stopping the broker at {time.time() - started:.1f}s")
                subprocess.run([os.path.join(REPO, "scripts", "kafka.sh"), "stop", args.kafka_dir], check=True)
                time.sleep(3)
                subprocess.run([os.path.join(REPO, "scripts", "kafka.sh"), "restart", args.kafka_dir], check=True, stdout=subprocess.DEVNULL)
                log(f"{label}: broker back at {time.time() - started:.1f}s")
        time.sleep(duration / chunks)
    # Any kills scheduled after the feed ended still happen.
    while next_event < len(events):
        _, what = events[next_event]
        next_event += 1
        if what == "kill":
            with run.lock:
                victim = kill_one()
            log(f"{label}: SIGKILL {victim.name} after the feed (kill {kills})")
            time.sleep(1)

    totals = {topic: sum(expected[topic].values()) for topic in OUTPUTS}
    deadline = time.time() + args.settle_seconds
    while time.time() < deadline:
        counts = {topic: count_topic(run.brokers, run.topic(topic)) for topic in OUTPUTS}
        if all(counts[t] >= totals[t] for t in OUTPUTS):
            break
        time.sleep(2)
    time.sleep(8)  # anything extra would show up now
    stop.set()
    for slot in slots:
        slot.stop()

    report = {"mode": mode, "label": label, "N": len(ticks), "M": len(pages), "K": kills,
              "scaling": scale_log, "restarts_after_errors": run.failures_restarted, "topics": {}}
    ok = True
    for topic in OUTPUTS:
        got = read_topic(run.brokers, run.topic(topic))
        want = expected[topic]
        content_differs = 0
        if mode == "at_least_once" and topic == "market.reactions":
            # At-least-once upstream, a price change can come again after
            # later ones (a batch rewound after a failed delivery), later
            # than the join's allowed lateness: a reaction that closed
            # meanwhile did not see it (counted `late`). Every reaction must
            # still be there; its prices may differ, and are counted.
            content_differs = sum((want - got).values())
            want, got = reaction_identities(want), reaction_identities(got)
        missing = sum((want - got).values())
        extra = sum((got - want).values())
        # Extra copies of expected events: what at-least-once may repeat.
        repeated = sum(n - want[key] for key, n in got.items() if key in want and n > want[key])
        report["topics"][topic] = {"expected": sum(want.values()), "read": sum(got.values()),
                                   "missing": missing, "extra": extra, "repeated": repeated,
                                   # A few of each, for whoever reads a failure.
                                   "missing_samples": list((want - got))[:3],
                                   "extra_samples": [k for k in (got - want) if k not in want][:3],
                                   "content_differs": content_differs}
        if missing or (mode == "exactly_once" and extra):
            ok = False
    report["passed"] = ok
    return report


def throughput(args, mode, ticks, expected_changes):
    """Pre-produced ticks, one prices instance, no chaos: ticks per second until all changes are visible."""
    run = Run(args, mode, f"tp-{mode[:3]}")
    run.create_topics()
    run.produce(run.topic("ticks.raw"), ticks)
    slot = Slot(run, args.prices, "prices-tp")
    started = time.time()
    slot.start()
    deadline = started + 300
    while time.time() < deadline and count_topic(run.brokers, run.topic("prices.changes")) < expected_changes:
        time.sleep(0.5)
    elapsed = time.time() - started
    slot.stop()
    return len(ticks) / elapsed, elapsed


def print_report(report):
    log(f"== {report['label']} ({report['mode']}): N={report['N']} ticks, M={report['M']} pages, "
        f"K={report['K']} SIGKILLs, scaling {', '.join(report['scaling'])}, "
        f"{report['restarts_after_errors']} restarts after errors")
    log(f"   {'topic':<22}{'expected':>10}{'read':>10}{'missing':>9}{'extra':>7}{'repeated':>10}")
    for topic, row in report["topics"].items():
        differs = f"   ({row['content_differs']} with prices a late re-delivery changed)" if row["content_differs"] else ""
        log(f"   {topic:<22}{row['expected']:>10}{row['read']:>10}{row['missing']:>9}{row['extra']:>7}{row['repeated']:>10}{differs}")
    log(f"   {'PASSED' if report['passed'] else 'FAILED'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="folder with tickertape and the three service binaries")
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--kafka-dir", required=True, help="the folder given to scripts/kafka.sh start")
    parser.add_argument("--ticks", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=1_000)
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--feed-seconds", type=float, default=40)
    parser.add_argument("--settle-seconds", type=float, default=240)
    parser.add_argument("--seed", type=int, default=20241112)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--runs", default="eos,eos-broker-restart,alo",
                        help="comma-separated subset of the crash runs")
    parser.add_argument("--throughput-only", action="store_true", help="measure throughput, no crash runs")
    args = parser.parse_args()
    args.tickertape = os.path.join(args.bin, "tickertape")
    args.articles = os.path.join(args.bin, "tickertape-articles")
    args.prices = os.path.join(args.bin, "tickertape-prices")
    args.reactions = os.path.join(args.bin, "tickertape-reactions")

    rng = random.Random(args.seed)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    ticks, pages, expected, workdir = make_inputs_and_expected(args.tickertape, rng, args.ticks, args.pages, now,
                                                               4, "tickertape-crash-inputs-")
    log("expected from `tickertape process`: " + ", ".join(f"{t}={sum(expected[t].values())}" for t in OUTPUTS))

    runs = {"eos": ("exactly_once", False), "eos-broker-restart": ("exactly_once", True),
            "alo": ("at_least_once", False)}
    reports = [] if args.throughput_only else [
        chaos_run(args, runs[label][0], label, ticks, pages, expected, broker_restart=runs[label][1])
        for label in args.runs.split(",")
    ]
    for report in reports:
        print_report(report)
    if not args.skip_throughput:
        changes = sum(expected["prices.changes"].values())
        eos_rate, eos_s = throughput(args, "exactly_once", ticks, changes)
        alo_rate, alo_s = throughput(args, "at_least_once", ticks, changes)
        log(f"throughput, {len(ticks)} pre-produced ticks, one prices instance, no chaos: "
            f"exactly_once {eos_rate:,.0f} ticks/s ({eos_s:.1f}s), at_least_once {alo_rate:,.0f} ticks/s ({alo_s:.1f}s)")
    with open(os.path.join(workdir, "report.json"), "w") as f:
        json.dump(reports, f, indent=2)
    all_passed = all(r["passed"] for r in reports)
    log("crash test " + ("PASSED" if all_passed else "FAILED") + f"; report in {workdir}/report.json")
    print(f"crash-test: {sum(r['passed'] for r in reports)} passed, {sum(not r['passed'] for r in reports)} failed")
    sys.exit(0 if all_passed else 1)


if __name__ == "__main__":
    main()
