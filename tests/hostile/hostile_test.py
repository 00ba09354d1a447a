#!/usr/bin/env python3
"""The hostile-input catalogue (tests/hostile/catalogue.py), each case
followed by a good message, offline and through Apache Kafka.

Offline (`--offline`): `tickertape process` over each case and a good
message: the case is dead-lettered with its reason and original bytes, or
published and its check holds; the good message after it is published.

Through Kafka (`--brokers`, a real broker from scripts/kafka.sh): both
services run exactly-once on topics of their own; the internal
articles.parsed topic takes at most 100 kB per message, so one case's
output is refused by the broker itself. Every case is produced with its
key and headers (confluent-kafka, an independent client), each followed by
a good message. Then:
- every dead letter, read read_committed, is matched to its case by its
  source offset: value and key byte for byte, the input's headers first
  and unchanged, reason, a detail of at most 2 KB, source topic, attempts;
- every case expected published is on the output topic and its check holds;
- every good message is published (the article events and price changes
  are compared with `tickertape process` over the same inputs, minus the
  case only a broker refuses);
- `/metrics` counts per dead-letter reason equal the dead letters on the
  topics, and every service is still up.

Prints `hostile-test: ok  <check>` or `hostile-test: FAIL <check>` per check.
"""

import argparse
import base64
import collections
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
from harness import Checks, TOPIC_VARS, free_port  # noqa: E402
from catalogue import PAGES, TICKS, catalogue, good_tick, story  # noqa: E402

checks = Checks("hostile-test")
MAX_DETAIL = 2048 + len("…".encode())
# Set by the processing clock; and a raw page's fetch time is its message's
# timestamp through Kafka, the clock offline.
VOLATILE = ("processed_at", "ingest_time", "fetched_at")


def log(*parts):
    print("hostile-test:", *parts, flush=True)


def good_message(case_index, topic, now):
    return story(f"after case {case_index}").encode() if topic == PAGES else good_tick(case_index, now)


def process(binary, kind, paths, clock):
    """`tickertape process` over files: its records, as printed."""
    out = subprocess.run([binary, "process", "--clock", clock, kind, *paths],
                         capture_output=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def published(records, topic):
    return [r for r in records if r["topic"] not in (
        "articles.dlq", "ticks.dlq", "ticks.raw", "articles.parsed")] if topic == PAGES else \
        [r for r in records if r["topic"] == "prices.changes"]


# ------------------------------------------------------------------ offline

def offline(binary, cases, now):
    clock = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    workdir = tempfile.mkdtemp(prefix="tickertape-hostile-")
    try:
        for index, case in enumerate(cases):
            if not case.offline:
                continue
            kind = "articles" if case.topic == PAGES else "ticks"
            # A page is a whole file; ticks are lines of a .jsonl file.
            suffix = ".txt" if case.topic == PAGES else ".jsonl"
            bad, good = os.path.join(workdir, f"bad{suffix}"), os.path.join(workdir, f"good{suffix}")
            with open(bad, "wb") as f:
                f.write(case.value)
            with open(good, "wb") as f:
                f.write(good_message(index, case.topic, now))
            records = process(binary, kind, [bad, good], clock)
            letters = [r for r in records if r["topic"].endswith(".dlq")]
            outputs = published(records, case.topic)
            name = f"offline: {case.name}"
            if case.reason and not case.broker_refuses:
                checks.check(f"{name}: dead-lettered `{case.reason}` with its bytes",
                             len(letters) == 1 and letters[0]["value"]["reason"] == case.reason
                             and base64.b64decode(letters[0]["value"]["original_b64"]) == case.value,
                             f"got {[(l['value']['reason'], l['value']['detail'][:200]) for l in letters]}")
                checks.check(f"{name}: the good message after it is published", len(outputs) == 1,
                             f"{len(outputs)} outputs")
            else:
                values = [r["value"] for r in outputs]
                checks.check(f"{name}: published, and its check holds",
                             not letters and len(values) == 2 and case.check(values[0]),
                             f"letters {[l['value'] for l in letters][:1]}, {len(values)} outputs")
    finally:
        subprocess.run(["rm", "-rf", workdir])


# ------------------------------------------------------------ through Kafka

def metric_sums(port, name, label="reason"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    sums = collections.Counter()
    for line in text.splitlines():
        if line.startswith(name + "{"):
            labels, value = line[len(name) + 1:].rsplit("} ", 1)
            key = dict(part.split("=", 1) for part in labels.split(",")).get(label, '""').strip('"')
            sums[key] += float(value)
    return sums


def read_all(brokers, topic, expect, timeout):
    """Every committed message of `topic`, waiting up to `timeout` s for `expect` of them."""
    from confluent_kafka import Consumer, TopicPartition
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": f"hostile-reader-{time.time()}",
                         "isolation.level": "read_committed", "enable.auto.commit": False,
                         "auto.offset.reset": "earliest", "fetch.message.max.bytes": 10_000_000})
    consumer.assign([TopicPartition(topic, p) for p in
                     consumer.list_topics(topic, timeout=10).topics[topic].partitions])
    messages, deadline = [], time.time() + timeout
    while time.time() < deadline:
        message = consumer.poll(0.5)
        if message is None:
            if len(messages) >= expect:
                break
            continue
        if message.error():
            continue
        messages.append(message)
    consumer.close()
    return messages


class Service:
    def __init__(self, binary, name, brokers, prefix, env, workdir):
        self.name, self.port = name, free_port()
        self.process = subprocess.Popen(
            [binary, "--brokers", brokers, "--metrics-addr", f"127.0.0.1:{self.port}",
             "--group-id", f"{prefix}-{name}", "--processing-guarantee", "exactly_once"],
            env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, f"{name}.log"), "w"))


def through_kafka(args, cases, now):
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewTopic
    prefix = f"hostile-{int(time.time() * 1000)}"
    topic = lambda name: f"{prefix}.{name}"  # noqa: E731
    env = dict(os.environ, RUST_LOG="info", **{var: f"{prefix}.{name}" for var, name in TOPIC_VARS.items()})
    workdir = tempfile.mkdtemp(prefix="tickertape-hostile-kafka-")
    subprocess.run([args.tickertape, "topics", "create", "--brokers", args.brokers, "--partitions", "1"],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    admin = AdminClient({"bootstrap.servers": args.brokers})
    resource = ConfigResource("topic", topic("articles.parsed"), incremental_configs=[
        ConfigEntry("max.message.bytes", "100000", incremental_operation=AlterConfigOpType.SET)])
    for future in admin.incremental_alter_configs([resource]).values():
        future.result()
    services = [Service(args.articles, "articles", args.brokers, prefix, env, workdir),
                Service(args.prices, "prices", args.brokers, prefix, env, workdir)]

    producer = Producer({"bootstrap.servers": args.brokers, "compression.type": "lz4",
                         "message.max.bytes": 10_000_000, "enable.idempotence": True})
    sent = {PAGES: [], TICKS: []}  # (case or None for a good message, value) in offset order
    for index, case in enumerate(cases):
        for item, value, key, headers in [(case, case.value, case.key, case.headers),
                                          (None, good_message(index, case.topic, now), None, [])]:
            producer.produce(topic(case.topic), value=value, key=key, headers=headers or None)
            sent[case.topic].append((item, value))
        producer.poll(0)
    if producer.flush(60) != 0:
        checks.check("every input reached the broker", False)
        return

    letters_expected = {t: sum(1 for c, _ in sent[t] if c and c.reason) for t in sent}
    letters_expected[PAGES] += sum(1 for c, _ in sent[PAGES] if c and c.broker_refuses)
    published_pages = sum(1 for c, _ in sent[PAGES] if not (c and (c.reason or c.broker_refuses)))
    published_ticks = sum(1 for c, _ in sent[TICKS] if not (c and c.reason))
    enriched = read_all(args.brokers, topic("articles.enriched"), published_pages, args.settle_seconds)
    changes = read_all(args.brokers, topic("prices.changes"), published_ticks, 30)
    letters = {PAGES: read_all(args.brokers, topic("articles.dlq"), letters_expected[PAGES], 30),
               TICKS: read_all(args.brokers, topic("ticks.dlq"), letters_expected[TICKS], 30)}

    # Each dead letter, matched to what was sent at its source offset.
    for kind, source in [(PAGES, topic(PAGES)), (TICKS, topic(TICKS))]:
        by_offset = {}  # source offset: (value joined from its parts, key, headers)
        parts = collections.defaultdict(dict)
        for message in letters[kind]:
            headers = message.headers() or []
            named = dict(headers)
            offset = int(named.get("tickertape.source.offset", b"-1"))
            index, _, count = named.get("tickertape.part", b"1/1").decode().partition("/")
            parts[offset][int(index)] = message.value() or b""
            if len(parts[offset]) == int(count):
                value = b"".join(v for _, v in sorted(parts.pop(offset).items()))
                headers = [(k, v) for k, v in headers if k != "tickertape.part"]
                by_offset[offset] = (value, message.key(), headers, dict(headers), int(count))
        checks.check(f"kafka: every dead letter in parts on {kind} dead-letter topic is whole", not parts,
                     f"incomplete at source offsets {sorted(parts)}")
        for offset, (case, value) in enumerate(sent[kind]):
            if case is None or not (case.reason or case.broker_refuses):
                continue
            reason = "output_rejected" if case.broker_refuses else case.reason
            name = f"kafka: {case.name}"
            found = by_offset.pop(offset, None)
            if found is None:
                checks.check(f"{name}: dead-lettered `{reason}`", False, f"no dead letter for offset {offset}")
                continue
            got_value, got_key, headers, named, part_count = found
            if len(value) > 1_000_000:
                checks.check(f"{name}: written in parts, each within the output bound", part_count > 1,
                             f"{part_count} part")
            own = [(k, v) for k, v in headers if not k.startswith("tickertape.")]
            checks.check(
                f"{name}: dead-lettered `{reason}`, value, key and headers byte for byte",
                named.get("tickertape.reason") == reason.encode()
                and got_value == value and got_key == case.key
                and own == [(k, v) for k, v in case.headers]
                and headers[:len(case.headers)] == [(k, v) for k, v in case.headers]
                and named.get("tickertape.source.topic") == source.encode()
                and int(named.get("tickertape.attempts", b"0")) >= 1
                and len(named.get("tickertape.detail", b"")) <= MAX_DETAIL,
                f"reason {named.get('tickertape.reason')}, value equal {got_value == value}, "
                f"key {got_key!r}, headers {[(k, v[:60]) for k, v in headers]}")
        checks.check(f"kafka: no unexpected dead letters on {kind} dead-letter topic", not by_offset,
                     f"{[(o, m[2].get('tickertape.reason')) for o, m in by_offset.items()]}")

    # A dead letter written in parts is redriven as the one message it was.
    bigs = [c for c in cases if c.topic == PAGES and c.reason == "too_large"]
    for future in admin.create_topics([NewTopic(topic("redriven"), 1, 1)]).values():
        future.result()
    redrive = subprocess.run([args.tickertape, "redrive", topic("articles.dlq"), "--brokers", args.brokers,
                              "--reason", "too_large", "--to", topic("redriven"), "--group", f"{prefix}-redrive"],
                             capture_output=True, text=True)
    redriven = read_all(args.brokers, topic("redriven"), 1, 30)
    checks.check("kafka: each dead letter in parts is redriven whole, byte for byte",
                 redrive.returncode == 0 and len(redriven) == len(bigs)
                 and all(got.value() == big.value and [(k, v) for k, v in (got.headers() or [])] == big.headers
                         for got, big in zip(redriven, bigs)),
                 f"redrive exit {redrive.returncode} {redrive.stderr[-300:]}; {len(redriven)} messages")

    # The cases expected published, and every good message: the same as
    # `tickertape process` over the same inputs (minus the broker-refused
    # page, and the pages whose headers decide how they read: `process`
    # reads values alone).
    clock = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    for kind, got_messages in [(PAGES, enriched), (TICKS, changes)]:
        header_cases = [c for c, _ in sent[kind] if c and c.headers and c.check]
        got = collections.Counter(canonical(event) for event in map(json.loads, (m.value() for m in got_messages))
                                  if not any(case_matches(c, event) and c.check(event) for c in header_cases))
        want = expected(args.tickertape, kind,
                        [v for c, v in sent[kind] if not (c and (c.reason or c.broker_refuses or c.headers))],
                        clock)
        missing, extra = sum((want - got).values()), sum((got - want).values())
        checks.check(f"kafka: {kind} outputs exactly as `tickertape process` ({sum(want.values())})",
                     missing == 0 and extra == 0, f"missing {missing}, extra {extra}")
        for case in (c for c, _ in sent[kind] if c and c.check and not c.broker_refuses):
            events = [json.loads(m.value()) for m in got_messages]
            checks.check(f"kafka: {case.name}: published, and its check holds",
                         any(case.check(e) for e in events if case_matches(case, e)))

    # Metrics equal the dead-letter topics, per reason.
    # A dead letter in parts counts once: its first part.
    on_topics = collections.Counter(dict(m.headers())["tickertape.reason"].decode()
                                    for kind in letters for m in letters[kind]
                                    if dict(m.headers()).get("tickertape.part", b"1/1").startswith(b"1/"))
    counted = collections.Counter()
    for s in services:
        counted.update(metric_sums(s.port, "tickertape_dead_letters_total"))
    counted = collections.Counter({k: int(v) for k, v in counted.items() if v})
    checks.check("kafka: /metrics dead letters by reason equal the dead-letter topics", counted == on_topics,
                 f"metrics {dict(counted)}, topics {dict(on_topics)}")
    # The services' own counters count each input once, although the
    # broker-refused page made the articles service abort and re-read its batch.
    duplicates = read_all(args.brokers, topic("articles.duplicates"), 0, 10)
    articles = metric_sums(services[0].port, "tickertape_articles_total", label="status")
    price_changes = metric_sums(services[1].port, "tickertape_price_changes_total", label="basis")
    # One published page has a malformed strip line (the 600 kB symbol); it
    # sits in the batch the broker-refused page made the parse stage re-read.
    strip = metric_sums(services[0].port, "tickertape_strip_lines_total", label="outcome")
    checks.check("kafka: tickertape_strip_lines_total{outcome=\"malformed\"} counts the one malformed line once",
                 strip["malformed"] == 1, f"metrics {dict(strip)}")
    checks.check("kafka: tickertape_articles_total equals the article events and copies on the topics",
                 articles["new"] + articles["update"] == len(enriched) and articles["duplicate"] == len(duplicates),
                 f"metrics {dict(articles)}; topics: {len(enriched)} events, {len(duplicates)} copies")
    checks.check("kafka: tickertape_price_changes_total equals the price changes on the topic",
                 sum(price_changes.values()) == len(changes),
                 f"metrics {dict(price_changes)}; topic: {len(changes)}")
    for s in services:
        checks.check(f"kafka: {s.name} is still up", s.process.poll() is None, f"logs in {workdir}")
        s.process.send_signal(signal.SIGTERM)
    for s in services:
        try:
            s.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            s.process.kill()
    if checks.failed:
        log(f"service logs kept in {workdir}")
    else:
        subprocess.run(["rm", "-rf", workdir])


def canonical(value):
    return json.dumps({k: v for k, v in value.items() if k not in VOLATILE}, sort_keys=True, ensure_ascii=False)


def case_matches(case, event):
    """Whether an article event or price change is the one `case` caused (not a good message's)."""
    title = event.get("title", "")
    return "after case" not in title and event.get("symbol") != "GOOD"


def expected(binary, kind, values, clock):
    workdir = tempfile.mkdtemp(prefix="tickertape-hostile-expected-")
    try:
        paths = []
        for i, value in enumerate(values):
            path = os.path.join(workdir, f"{i:04d}" + (".txt" if kind == PAGES else ".jsonl"))
            with open(path, "wb") as f:
                f.write(value)
            paths.append(path)
        records = process(binary, "articles" if kind == PAGES else "ticks", paths, clock)
        return collections.Counter(canonical(r["value"]) for r in published(records, kind)
                                   if r["topic"] in ("articles.enriched", "prices.changes"))
    finally:
        subprocess.run(["rm", "-rf", workdir])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="folder with tickertape, tickertape-articles, tickertape-prices")
    parser.add_argument("--offline", action="store_true", help="run the catalogue through `tickertape process`")
    parser.add_argument("--brokers", help="run the catalogue through the services against this broker")
    parser.add_argument("--settle-seconds", type=float, default=120)
    args = parser.parse_args()
    args.tickertape = os.path.join(args.bin, "tickertape")
    args.articles = os.path.join(args.bin, "tickertape-articles")
    args.prices = os.path.join(args.bin, "tickertape-prices")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    cases = catalogue(now)
    log(f"{len(cases)} hostile inputs ({sum(c.topic == PAGES for c in cases)} pages, "
        f"{sum(c.topic == TICKS for c in cases)} ticks)")
    if len(cases) < 40:
        checks.check("the catalogue holds at least 40 inputs", False, f"{len(cases)}")
    if args.offline:
        offline(args.tickertape, cases, now)
    if args.brokers:
        through_kafka(args, cases, now)
    if not args.offline and not args.brokers:
        parser.error("give --offline, --brokers or both")
    log(f"{checks.passed} passed, {checks.failed} failed")
    sys.exit(1 if checks.failed or not checks.passed else 0)


if __name__ == "__main__":
    main()
