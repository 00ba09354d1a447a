#!/usr/bin/env python3
"""End-to-end benchmark against a real Apache Kafka broker: one table.

For the same pre-produced messages, in the same run, interleaved per round:

- passthrough: `kcat` consuming the input topic piped into `kcat` producing
  to another topic (librdkafka on both ends, no processing): the ceiling;
- tickertape-prices under at-least-once and exactly-once (1 instance);
- tickertape-articles under both guarantees (parse and dedupe stages), on
  the text pages of the crash test's generator and on the HTML pages of the
  article-extraction benchmark (`content-type: text/html`, repeated);
- tickertape-articles holding a full dedupe index
  (--index-stories distinct stories written to its changelog, default
  500,000, the default bound): the restore of that index (MB/s, stories/s),
  then the pages on top of it; its peak RSS is the service's with a full
  index;
- tickertape-reactions under both guarantees: article events naming one of
  S symbols each and price changes of those symbols; most stories run after
  the prices, so they stay waiting (the state the issue sizes: 10,000
  symbols, 100,000 waiting stories), the rest close and are published;
- latency at a steady rate: ticks stamped with the time they are sent,
  read back from prices.changes by a read_committed subscriber
  (confluent-kafka, an independent client); first through the kcat
  passthrough (the floor of broker, clients and harness), then the service.

Drain rate = inputs / (last output's timestamp - first output's). CPU
seconds (user + system, whole process, start-up included) and peak RSS
(VmHWM) come from /proc. Prints a table; exits non-zero only if a run does
not finish. Run by scripts/bench.sh, which starts the broker.
"""

import argparse
import gzip
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "crash"))
from harness import TOPIC_VARS, free_port  # noqa: E402
import crash_test  # noqa: E402  (the same tick and page generators)


def log(*parts):
    print("bench:", *parts, file=sys.stderr, flush=True)


class Topics:
    def __init__(self, args, label, partitions):
        self.args = args
        self.prefix = f"bench-{label}-{int(time.time() * 1000)}"
        self.env = dict(os.environ, RUST_LOG="warn",
                        **{var: f"{self.prefix}.{name}" for var, name in TOPIC_VARS.items()})
        subprocess.run([args.tickertape, "topics", "create", "--brokers", args.brokers,
                        "--partitions", str(partitions)], env=self.env, check=True, stdout=subprocess.DEVNULL)

    def __getitem__(self, name):
        return f"{self.prefix}.{name}"


def produce(brokers, topic, lines):
    data = "".join(f"{key}\t{value}\n" for key, value in lines)
    subprocess.run(["kcat", "-b", brokers, "-P", "-t", topic, "-K", "\t", "-z", "lz4",
                    "-X", "linger.ms=20"], input=data, text=True, check=True)


def produce_with_headers(brokers, topic, values, headers):
    """Values that are not lines (HTML), through confluent-kafka."""
    from confluent_kafka import Producer
    producer = Producer({"bootstrap.servers": brokers, "linger.ms": 20, "compression.type": "lz4",
                         "message.max.bytes": 4 * 1024 * 1024})
    for value in values:
        while True:
            try:
                producer.produce(topic, value=value, headers=headers)
                break
            except BufferError:
                producer.poll(0.1)
    if producer.flush(60) != 0:
        raise RuntimeError(f"{topic}: not every HTML page was produced")


# Pages over the services' default message limit (1 MiB, Kafka's too) are
# left out: they would be dead-lettered unread.
MAX_HTML_PAGE = 1024 * 1024


def benchmark_html_pages(count):
    """`count` pages of the article-extraction benchmark, in a fixed order, repeated as needed."""
    folder = os.path.join(os.path.dirname(os.path.dirname(HERE)), "..", "shared", "benchmarks",
                          "article-extraction", "html")
    pages = []
    for name in sorted(os.listdir(folder)):
        with gzip.open(os.path.join(folder, name)) as f:
            page = f.read()
        if len(page) <= MAX_HTML_PAGE:
            pages.append(page)
    return [pages[i % len(pages)] for i in range(count)]


def output_span(brokers, topic):
    """(count, first timestamp, last timestamp) in seconds, read_committed."""
    out = subprocess.run(["kcat", "-b", brokers, "-C", "-t", topic, "-o", "beginning", "-e", "-q",
                          "-X", "isolation.level=read_committed", "-f", "%T\n"],
                         capture_output=True, text=True, check=True).stdout.split()
    stamps = [int(t) for t in out if t.lstrip("-").isdigit()]
    if not stamps:
        return 0, None, None
    return len(stamps), min(stamps) / 1000.0, max(stamps) / 1000.0


def proc_usage(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                rss = int(line.split()[1]) / 1024
    return cpu, rss


def scrape(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
            return r.read().decode()
    except OSError:
        return ""


def metric_sum(text, name, **labels):
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


class Service:
    def __init__(self, args, binary, topics, guarantee, name, log_name=None):
        self.port = free_port()
        self.log = open(os.path.join(args.workdir, f"{log_name or name}.log"), "w")
        self.process = subprocess.Popen(
            [binary, "--brokers", args.brokers, "--metrics-addr", f"127.0.0.1:{self.port}",
             "--group-id", f"{topics.prefix}-{name}", "--instance-id", name,
             "--processing-guarantee", guarantee] + args.service_arg,
            env=topics.env, stdout=subprocess.DEVNULL, stderr=self.log)

    def wait_consumed(self, checks, timeout, handed_over=None):
        """Until every (topic, count) in `checks` is consumed, everything the
        service wrote to `handed_over` (its internal topic) is consumed too,
        and nothing is in flight, for 1 s."""
        deadline, settled = time.time() + timeout, None
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"service exited with {self.process.returncode}; see {self.log.name}")
            text = scrape(self.port)
            done = text and all(metric_sum(text, "tickertape_messages_consumed_total", topic=t) >= n
                                for t, n in checks)
            if done and handed_over:
                done = (metric_sum(text, "tickertape_messages_consumed_total", topic=handed_over)
                        >= metric_sum(text, "tickertape_messages_produced_total", topic=handed_over))
            if done and metric_sum(text, "tickertape_in_flight_messages") == 0:
                settled = settled or time.time()
                if time.time() - settled >= 1.0:
                    return True
            else:
                settled = None
            time.sleep(0.2)
        return False

    def stop(self):
        usage = proc_usage(self.process.pid)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        return usage


def passthrough(args, ticks):
    topics = Topics(args, "pass", args.partitions)
    produce(args.brokers, topics["ticks.raw"], ticks)
    started, before = time.time(), os.times()
    consume = subprocess.Popen(["kcat", "-b", args.brokers, "-C", "-t", topics["ticks.raw"], "-o", "beginning",
                                "-e", "-q", "-K", "\t", "-X", "isolation.level=read_committed"],
                               stdout=subprocess.PIPE)
    producer = subprocess.Popen(["kcat", "-b", args.brokers, "-P", "-t", topics["prices.changes"], "-K", "\t",
                                 "-z", "lz4", "-X", "linger.ms=5", "-X", "enable.idempotence=true"],
                                stdin=consume.stdout)
    consume.stdout.close()
    producer.wait()
    consume.wait()
    # kcat's CPU, both processes (children of this one).
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    count, first, last = output_span(args.brokers, topics["prices.changes"])
    return {"rate": count / max(last - first, 1e-3), "cpu": cpu,
            "inputs": len(ticks), "wall": time.time() - started}


def run_prices(args, ticks, guarantee):
    topics = Topics(args, f"prices-{guarantee[:3]}", args.partitions)
    produce(args.brokers, topics["ticks.raw"], ticks)
    service = Service(args, args.prices, topics, guarantee, f"prices-{guarantee[:3]}")
    ok = service.wait_consumed([(topics["ticks.raw"], len(ticks))], args.timeout)
    cpu, rss = service.stop()
    if not ok:
        raise RuntimeError(f"prices ({guarantee}) did not finish in {args.timeout} s")
    count, first, last = output_span(args.brokers, topics["prices.changes"])
    result = {"rate": len(ticks) / max(last - first, 1e-3), "cpu": cpu, "rss": rss, "inputs": len(ticks),
              "outputs": count}
    if args.restore:
        result["restore"] = run_restore(args, topics, guarantee, f"prices-{guarantee[:3]}")
    return result


def run_restore(args, topics, guarantee, name):
    """A new instance of the group that just stopped: it rebuilds every
    partition's state from the changelog before it processes anything. Its
    own metrics say how much state it read back and how long that took."""
    # The same group (nothing left to consume), its own log.
    service = Service(args, args.prices, topics, guarantee, name, log_name=f"{name}-restore")
    try:
        return wait_restored(service, args.timeout)
    finally:
        service.stop()


def wait_restored(service, timeout):
    """Until the service's restores are done: its own metrics then say how
    much state it read back and how long that took."""
    deadline, seen = time.time() + timeout, None
    while time.time() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"restoring instance exited; see {service.log.name}")
        text = scrape(service.port)
        restored = metric_sum(text, "tickertape_state_restored_entries_total")
        restores = metric_sum(text, "tickertape_state_restore_duration_seconds_count")
        # Done when a restore was observed and the totals held for 2 s
        # (one assignment of all partitions, or several restores).
        now = (restores, restored)
        if restores > 0 and seen and seen[0] == now and time.time() - seen[1] >= 2.0:
            return {
                "bytes": metric_sum(text, "tickertape_state_restored_bytes_total"),
                "entries": restored,
                "seconds": metric_sum(text, "tickertape_state_restore_duration_seconds_sum"),
            }
        if not seen or seen[0] != now:
            seen = (now, time.time())
        time.sleep(0.2)
    raise RuntimeError(f"no restore finished in {timeout} s; see {service.log.name}")


def index_stories(rng, count, now):
    """`count` distinct stories as the dedupe changelog holds them (story
    format 2), first seen over the last hour, oldest first."""
    for n in range(count):
        story_id = f"{rng.getrandbits(64):016x}"
        first_seen = now - timedelta(seconds=3600 * (count - n) / count)
        yield story_id, json.dumps({
            "format": 2, "story_id": story_id, "version": 1, "latest_article_id": story_id,
            "minhash": list(rng.randbytes(64)), "versions": [[rng.getrandbits(64), 1, story_id]],
            "first_seen": first_seen.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }, separators=(",", ":"))


def run_index(args, rng, pages, guarantee):
    """The articles service restoring a full dedupe index, then processing
    the pages on top of it."""
    label = f"index-{guarantee[:3]}"
    topics = Topics(args, label, args.partitions)
    # A first start creates the changelog as the service makes it.
    first = Service(args, args.articles, topics, guarantee, label, log_name=f"{label}-create")
    wait_restored(first, args.timeout)
    first.stop()
    changelog = f"{topics.prefix}-{label}-dedupe-stories-changelog"
    produce(args.brokers, changelog, index_stories(rng, args.index_stories, datetime.now(timezone.utc)))
    service = Service(args, args.articles, topics, guarantee, label)
    try:
        restore = wait_restored(service, args.timeout)
        if restore["entries"] < args.index_stories:
            raise RuntimeError(f"{label}: restored {restore['entries']:,.0f} of {args.index_stories:,} stories")
        produce(args.brokers, topics["articles.raw"], [(json.loads(p).get("url", "none"), p) for p in pages])
        ok = service.wait_consumed([(topics["articles.raw"], len(pages))], args.timeout,
                                   handed_over=topics["articles.parsed"])
    finally:
        cpu, rss = service.stop()
    if not ok:
        raise RuntimeError(f"{label} did not finish in {args.timeout} s")
    spans = [output_span(args.brokers, topics[t]) for t in ("articles.enriched", "articles.duplicates")]
    first_out = min(t for _, t, _ in spans if t is not None)
    last_out = max(t for _, _, t in spans if t is not None)
    return {"rate": len(pages) / max(last_out - first_out, 1e-3), "cpu": cpu, "rss": rss,
            "inputs": len(pages), "restore": restore}


def run_articles(args, pages, guarantee, html=False):
    """Text pages (JSON envelopes, keyed by URL), or HTML pages with their content-type header."""
    label = f"{'html' if html else 'articles'}-{guarantee[:3]}"
    topics = Topics(args, label, args.partitions)
    if html:
        produce_with_headers(args.brokers, topics["articles.raw"], pages, [("content-type", b"text/html")])
    else:
        produce(args.brokers, topics["articles.raw"], [(json.loads(p).get("url", "none"), p) for p in pages])
    started = time.time()
    service = Service(args, args.articles, topics, guarantee, label)
    ok = service.wait_consumed([(topics["articles.raw"], len(pages))], args.timeout,
                               handed_over=topics["articles.parsed"])
    cpu, rss = service.stop()
    if not ok:
        raise RuntimeError(f"{label} did not finish in {args.timeout} s")
    spans = [output_span(args.brokers, topics[t]) for t in ("articles.enriched", "articles.duplicates", "articles.dlq")]
    if html and sum(count for count, _, _ in spans) < len(pages):
        raise RuntimeError(f"{label}: {len(pages)} pages in, fewer out")
    last = max(t for _, _, t in spans[:2 + html] if t is not None)
    # Start-up included: from the service's start to its last output.
    return {"rate": len(pages) / max(last - started, 1e-3), "cpu": cpu, "rss": rss, "inputs": len(pages)}


def reaction_inputs(rng, symbols, waiting, closing, prices, start):
    """Article events and price changes for the reactions row: `prices`
    changes spread over `symbols` symbols from `start`, ten minutes long;
    `closing` stories two hours before (their horizons pass during the run)
    and `waiting` stories during the prices (theirs do not)."""
    names = [f"S{i:05d}" for i in range(symbols)]
    stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"  # noqa: E731
    stories = []
    for i in range(waiting + closing):
        t0 = start + timedelta(seconds=rng.uniform(0, 600)) - (timedelta(hours=2, minutes=1) if i < closing else timedelta())
        symbol = rng.choice(names)
        event = {"schema": "tickertape.article.v1", "id": f"a{i:09d}", "story_id": f"s{i:09d}", "version": 1,
                 "title": f"Story {i} on {symbol}", "fetched_at": stamp(t0), "published_at": None, "modified_at": None,
                 "instruments": [{"symbol": symbol, "isin": None, "mic": "XNYS", "name": symbol, "matched": symbol}]}
        stories.append((event["story_id"], json.dumps(event)))
    cents = {name: rng.randint(1000, 20000) for name in names}
    changes = []
    for i in range(prices):
        symbol = names[i % symbols]
        previous = cents[symbol]
        cents[symbol] = max(1, previous + rng.choice([-9, -3, -1, 1, 2, 5, 11]))
        at = start + timedelta(seconds=600 * i / prices)
        price, before = cents[symbol], previous
        change = {"schema": "tickertape.price_change.v1", "symbol": symbol, "instrument": None,
                  "price": f"{price // 100}.{price % 100:02d}", "previous_price": f"{before // 100}.{before % 100:02d}",
                  "change": f"{(price - before) / 100:.2f}", "change_pct": "0.0000", "basis": "previous_tick",
                  "currency": "USD", "event_time": stamp(at), "ingest_time": stamp(at),
                  "source": {"kind": "feed", "name": "bench", "url": None}, "seq": i // symbols + 1, "source_seq": None}
        changes.append((symbol, json.dumps(change)))
    return stories, changes


def run_reactions(args, stories, changes, guarantee):
    label = f"reactions-{guarantee[:3]}"
    topics = Topics(args, label, args.partitions)
    produce(args.brokers, topics["articles.enriched"], stories)
    produce(args.brokers, topics["prices.changes"], changes)
    started = time.time()
    service = Service(args, args.reactions, topics, guarantee, label)
    ok = service.wait_consumed([(topics["articles.enriched"], len(stories)), (topics["prices.changes"], len(changes))],
                               args.timeout, handed_over=topics["reactions.mentions"])
    finished = time.time()
    text = scrape(service.port)
    waiting = metric_sum(text, "tickertape_reaction_pending_entries")
    retained = metric_sum(text, "tickertape_reaction_history_entries")
    cpu, rss = service.stop()
    if not ok:
        raise RuntimeError(f"{label} did not finish in {args.timeout} s")
    published, _, _ = output_span(args.brokers, topics["market.reactions"])
    inputs = len(stories) + len(changes)
    log(f"{label}: {published:,} reactions published, {waiting:,.0f} stories waiting, {retained:,.0f} prices retained")
    # Start-up included: from the service's start until every input, and
    # every mention it handed over to itself, was consumed and committed.
    return {"rate": inputs / max(finished - started, 1e-3), "cpu": cpu, "rss": rss, "inputs": inputs,
            "waiting": waiting, "published": published}


class KcatPassthrough:
    """`kcat` consuming the tick topic piped into `kcat` producing to the
    output topic, with the services' producer settings (idempotent, lz4,
    linger 5 ms): what the broker, the clients and this harness cost a
    tick's latency with no processing, measured like a service's."""

    def __init__(self, args, topics):
        self.consume = subprocess.Popen(["kcat", "-b", args.brokers, "-C", "-t", topics["ticks.raw"], "-o", "end",
                                         "-q", "-K", "\t", "-u", "-X", "isolation.level=read_committed"],
                                        stdout=subprocess.PIPE)
        self.produce = subprocess.Popen(["kcat", "-b", args.brokers, "-P", "-t", topics["prices.changes"], "-K",
                                         "\t", "-z", "lz4", "-X", "linger.ms=5", "-X", "enable.idempotence=true"],
                                        stdin=self.consume.stdout)
        self.consume.stdout.close()

    def stop(self):
        for process in (self.consume, self.produce):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def run_latency(args, guarantee, rate, seconds):
    """Latency through tickertape-prices under `guarantee`, or through the
    kcat passthrough when `guarantee` is None (its output is the tick
    itself: the time it was sent is its `ts`)."""
    from confluent_kafka import Consumer, Producer  # the independent client

    label = f"latency-{guarantee[:3]}" if guarantee else "latency-pass"
    topics = Topics(args, label, args.partitions)
    service = Service(args, args.prices, topics, guarantee, label) if guarantee else KcatPassthrough(args, topics)
    consumer = Consumer({"bootstrap.servers": args.brokers, "group.id": f"{topics.prefix}-reader",
                         "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    consumer.subscribe([topics["prices.changes"]])
    producer = Producer({"bootstrap.servers": args.brokers, "linger.ms": 1})
    # Warm up: wait until the service publishes.
    symbols = crash_test.SYMBOLS
    prices = {s: random.randint(1000, 20000) for s in symbols}
    seq = {s: 0 for s in symbols}

    def send(n):
        for _ in range(n):
            s = random.choice(symbols)
            prices[s] += random.choice([-3, -1, 1, 2, 5])
            seq[s] += 1
            now = datetime.now(timezone.utc)
            tick = {"symbol": s, "price": f"{prices[s] // 100}.{prices[s] % 100:02d}",
                    "ts": now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", "seq": seq[s], "source": "bench"}
            producer.produce(topics["ticks.raw"], key=s, value=json.dumps(tick))
        producer.poll(0)

    deadline = time.time() + 60
    seen = False
    while time.time() < deadline and not seen:
        send(10)
        producer.flush()
        msg = consumer.poll(0.5)
        seen = msg is not None and msg.error() is None
    if not seen:
        raise RuntimeError("latency run: no output within 60 s of start")
    latencies = []
    stop = threading.Event()

    def read():
        while not stop.is_set():
            msg = consumer.poll(0.1)
            if msg is None or msg.error():
                continue
            received = time.time()
            event = json.loads(msg.value())
            stamp = event["event_time"] if guarantee else event["ts"]
            sent = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
            latencies.append(received - sent)

    reader = threading.Thread(target=read)
    time.sleep(1.0)
    while consumer.poll(0.1) is not None:
        pass
    reader.start()
    step = 0.01
    per_step = max(1, int(rate * step))
    started = time.time()
    ticks = 0
    while time.time() - started < seconds:
        send(per_step)
        ticks += per_step
        ahead = started + ticks / rate - time.time()
        if ahead > 0:
            time.sleep(ahead)
    producer.flush()
    time.sleep(2.0)
    stop.set()
    reader.join()
    consumer.close()
    text = scrape(service.port) if guarantee else ""
    buckets = [line for line in text.splitlines()
               if line.startswith("tickertape_batch_close_duration_seconds_bucket")]
    if buckets:
        log("batch close durations:", "; ".join(b.split("le=")[1] for b in buckets))
    closes = metric_sum(text, "tickertape_batch_close_duration_seconds_count")
    close_s = metric_sum(text, "tickertape_batch_close_duration_seconds_sum")
    service.stop()
    latencies.sort()
    if not latencies:
        raise RuntimeError("latency run: nothing read back")
    # The first second (warm-up) is left out.
    kept = latencies[int(len(latencies) * 0.05):] if len(latencies) > 100 else latencies
    kept.sort()
    q = lambda p: kept[min(len(kept) - 1, int(len(kept) * p))] * 1000  # noqa: E731
    return {"p50": q(0.50), "p99": q(0.99), "n": len(kept), "sent_rate": ticks / (time.time() - started),
            "batches_closed": closes, "mean_close_ms": 1000 * close_s / max(closes, 1)}


def spread(values, fmt="{:,.0f}"):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    lo, hi = min(values), max(values)
    return fmt.format(lo) if len(values) == 1 or fmt.format(lo) == fmt.format(hi) else f"{fmt.format(lo)}–{fmt.format(hi)}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--ticks", type=int, default=1_000_000)
    parser.add_argument("--tick-symbols", type=int, default=len(crash_test.SYMBOLS),
                        help="symbols the ticks are spread over (default: the catalog's 40)")
    parser.add_argument("--pages", type=int, default=20_000)
    parser.add_argument("--html-pages", type=int, default=2_000,
                        help="HTML pages (the extraction benchmark's, repeated) for the HTML row")
    parser.add_argument("--reaction-symbols", type=int, default=10_000)
    parser.add_argument("--reaction-stories", type=int, default=100_000,
                        help="stories that stay waiting; a tenth as many more close during the run")
    parser.add_argument("--reaction-prices", type=int, default=500_000)
    parser.add_argument("--index-stories", type=int, default=500_000,
                        help="stories in the dedupe index of the index row")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--latency-rate", type=int, default=10_000)
    parser.add_argument("--latency-seconds", type=float, default=20)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--only", default="passthrough,prices,articles,index,html,reactions,latency",
                        help="comma-separated subset of the rows")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--guarantees", default="at_least_once,exactly_once",
                        help="the guarantees the services run under, comma-separated")
    parser.add_argument("--service-arg", action="append", default=[],
                        help="an extra flag for every service (repeat), e.g. --service-arg=--kafka-property=linger.ms=20")
    parser.add_argument("--restore", action="store_true",
                        help="after each prices run, start a new instance and measure its state restore")
    args = parser.parse_args()
    args.tickertape = os.path.join(args.bin, "tickertape")
    args.prices = os.path.join(args.bin, "tickertape-prices")
    args.articles = os.path.join(args.bin, "tickertape-articles")
    args.reactions = os.path.join(args.bin, "tickertape-reactions")
    args.workdir = tempfile.mkdtemp(prefix="tickertape-bench-")
    only = set(args.only.split(","))

    rng = random.Random(args.seed)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    # The catalog's 40 symbols, or as many made-up ones (the service prices
    # unknown symbols too; the state grows with them).
    tick_symbols = (crash_test.SYMBOLS if args.tick_symbols == len(crash_test.SYMBOLS)
                    else [f"S{i:05d}" for i in range(args.tick_symbols)])
    ticks = crash_test.make_ticks(rng, args.ticks, now - timedelta(hours=20), tick_symbols)
    prices_row = ("tickertape-prices" if args.tick_symbols == len(crash_test.SYMBOLS)
                  else f"tickertape-prices ({args.tick_symbols:,} symbols)")
    # Pages 20 s apart at most, all fetched in the past (none refused as future).
    pages = (crash_test.make_pages(rng, args.pages, now - timedelta(seconds=30 * args.pages))
             if only & {"articles", "index"} else [])
    html_pages = benchmark_html_pages(args.html_pages) if "html" in only else []
    stories, changes = (reaction_inputs(rng, args.reaction_symbols, args.reaction_stories,
                                        args.reaction_stories // 10, args.reaction_prices, now - timedelta(hours=10))
                        if "reactions" in only else ([], []))
    log(f"{len(ticks)} ticks, {len(pages)} pages, {len(html_pages)} HTML pages, {args.partitions} partitions, {args.rounds} rounds; logs in {args.workdir}")

    rows = {}
    for round_no in range(args.rounds):
        if "passthrough" in only:
            rows.setdefault(("passthrough (kcat | kcat)", "-"), []).append(passthrough(args, ticks))
            log(f"round {round_no + 1}: passthrough {rows[('passthrough (kcat | kcat)', '-')][-1]['rate']:,.0f}/s")
        for guarantee in args.guarantees.split(","):
            if "prices" in only:
                r = run_prices(args, ticks, guarantee)
                rows.setdefault((prices_row, guarantee), []).append(r)
                log(f"round {round_no + 1}: prices {guarantee} {r['rate']:,.0f}/s")
            if "articles" in only:
                r = run_articles(args, pages, guarantee)
                rows.setdefault(("tickertape-articles (pages)", guarantee), []).append(r)
                log(f"round {round_no + 1}: articles {guarantee} {r['rate']:,.0f}/s")
            if "index" in only:
                r = run_index(args, rng, pages, guarantee)
                rows.setdefault((f"tickertape-articles (pages, {args.index_stories:,} stories held)",
                                 guarantee), []).append(r)
                log(f"round {round_no + 1}: articles on a full index {guarantee} {r['rate']:,.0f}/s")
            if "html" in only:
                r = run_articles(args, html_pages, guarantee, html=True)
                rows.setdefault(("tickertape-articles (HTML pages)", guarantee), []).append(r)
                log(f"round {round_no + 1}: articles on HTML {guarantee} {r['rate']:,.0f}/s")
            if "reactions" in only:
                r = run_reactions(args, stories, changes, guarantee)
                name = (f"tickertape-reactions ({args.reaction_symbols:,} symbols, "
                        f"{args.reaction_stories:,} waiting stories)")
                rows.setdefault((name, guarantee), []).append(r)
                log(f"round {round_no + 1}: reactions {guarantee} {r['rate']:,.0f}/s")
    latency = {}
    if "latency" in only:
        # The passthrough first: the floor the service's figures stand on.
        latency["passthrough (kcat | kcat)"] = run_latency(args, None, args.latency_rate, args.latency_seconds)
        for guarantee in args.guarantees.split(","):
            latency[f"tickertape-prices {guarantee}"] = run_latency(args, guarantee, args.latency_rate,
                                                                     args.latency_seconds)
        for system, r in latency.items():
            log(f"latency {system}: {r}")

    ceiling = [r["rate"] for r in rows.get(("passthrough (kcat | kcat)", "-"), [])]
    print(f"| system | guarantee | inputs/s | × passthrough | CPU-s per million inputs | peak RSS MiB |")
    print("|---|---|---|---|---|---|")
    for (system, guarantee), runs in rows.items():
        rates = [r["rate"] for r in runs]
        ratio = "-"
        if ceiling and system.startswith("tickertape-prices"):
            ratio = spread([r / c for r, c in zip(rates, ceiling)], "{:.2f}")
        cpu = spread([r["cpu"] / r["inputs"] * 1e6 for r in runs], "{:.1f}")
        rss = spread([r.get("rss") for r in runs], "{:.0f}")
        print(f"| {system} | {guarantee} | {spread(rates)} | {ratio} | {cpu} | {rss} |")
    restores = [(system, guarantee, r["restore"]) for (system, guarantee), runs in rows.items()
                for r in runs if "restore" in r]
    if restores:
        print()
        print("| state restore (a new instance, all partitions) | guarantee | state MB (latest value per key) | keys | seconds | MB/s | keys/s |")
        print("|---|---|---|---|---|---|---|")
        for system, guarantee, r in restores:
            seconds = max(r["seconds"], 1e-3)
            print(f"| {system} | {guarantee} | {r['bytes'] / 1e6:.1f} | {r['entries']:,.0f} | {r['seconds']:.2f} "
                  f"| {r['bytes'] / 1e6 / seconds:.1f} | {r['entries'] / seconds:,.0f} |")
    if latency:
        print()
        print(f"| latency at {args.latency_rate:,} ticks/s, read_committed subscriber | p50 ms | p99 ms | events |")
        print("|---|---|---|---|")
        for system, r in latency.items():
            print(f"| {system} | {r['p50']:.0f} | {r['p99']:.0f} | {r['n']:,} |")


if __name__ == "__main__":
    main()
