#!/usr/bin/env python3
"""Outage test: the services ride out a broker that is down, against a real
Apache Kafka broker started with scripts/kafka.sh.

For each guarantee (exactly_once, at_least_once):
1. the broker is stopped; the three services are started against it: they stay
   up and /readyz answers 503;
2. the broker is started: /readyz turns 200, and pages and ticks are fed;
3. mid-stream the broker is stopped for --outage-seconds (30): /readyz must
   answer 503 within 5 s of the stop, no service process may exit, and
   /readyz must be 200 again after the broker is back;
4. the rest of the feed goes in; every output topic is read with kcat
   (read_committed) and compared with `tickertape process` over the same
   inputs: exactly-once must match exactly, at-least-once must miss nothing.
5. SIGTERM: each service exits 0 within its drain bound.

Prints `outage-test: ok  <check>` or `outage-test: FAIL <check>` per check.
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "crash"))
from harness import Checks, TOPIC_VARS, free_port  # noqa: E402
import crash_test  # noqa: E402

OUTPUTS = crash_test.OUTPUTS
checks = Checks("outage-test")
WORKDIRS = []  # one per run, with the services' logs


def log(*parts):
    print("outage-test:", *parts, flush=True)


def kafka(action, kafka_dir):
    subprocess.run([os.path.join(REPO, "scripts", "kafka.sh"), action, kafka_dir], check=True,
                   stdout=subprocess.DEVNULL)


def readyz(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def wait_for(predicate, timeout, step=0.2):
    """Seconds until `predicate()` held, or None."""
    started = time.time()
    while time.time() - started < timeout:
        if predicate():
            return time.time() - started
        time.sleep(step)
    return None


class Service:
    def __init__(self, args, binary, name, prefix, env, mode, workdir):
        self.name, self.port = name, free_port()
        self.process = subprocess.Popen(
            [binary, "--brokers", args.brokers, "--metrics-addr", f"127.0.0.1:{self.port}",
             "--group-id", f"{prefix}-{name}", "--instance-id", name, "--processing-guarantee", mode],
            env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, f"{name}.log"), "w"))

    def alive(self):
        return self.process.poll() is None

    def ready(self):
        return readyz(self.port) == 200

    def unready(self):
        return readyz(self.port) == 503


def run(args, mode, ticks, pages, expected):
    label = mode[:3]
    prefix = f"outage-{label}-{int(time.time() * 1000)}"
    env = dict(os.environ, RUST_LOG="info", **crash_test.REACTION_ENV, **{var: f"{prefix}.{name}" for var, name in TOPIC_VARS.items()})
    workdir = tempfile.mkdtemp(prefix=f"tickertape-outage-{label}-")
    WORKDIRS.append(workdir)
    topic = lambda name: f"{prefix}.{name}"  # noqa: E731
    # One raw-pages partition: which copy of a story is the original
    # depends on the order pages arrive in, as in `tickertape process`.
    subprocess.run([args.tickertape, "topics", "create", "--brokers", args.brokers, "--partitions", "4",
                    "--partitions-for", f"{topic('articles.raw')}=1"],
                   env=env, check=True, stdout=subprocess.DEVNULL)

    # 1. Broker down at start.
    kafka("stop", args.kafka_dir)
    services = [Service(args, args.articles, "articles", prefix, env, mode, workdir),
                Service(args, args.prices, "prices", prefix, env, mode, workdir),
                Service(args, args.reactions, "reactions", prefix, env, mode, workdir)]
    time.sleep(5)
    for s in services:
        checks.check(f"{mode}: {s.name} stays up with the broker down at start", s.alive())
        checks.check(f"{mode}: {s.name} /readyz is 503 with the broker down at start", s.unready(),
                     f"readyz={readyz(s.port)}")
    kafka("restart", args.kafka_dir)
    for s in services:
        took = wait_for(s.ready, 60)
        checks.check(f"{mode}: {s.name} /readyz is 200 once the broker is up", took is not None)

    # 2.-3. Feed, with an outage in the middle.
    half_ticks, half_pages = len(ticks) // 2, len(pages) // 2

    def feed(tick_part, page_part):
        crash_test.Run.produce(runner, topic("ticks.raw"), tick_part)
        crash_test.Run.produce(runner, topic("articles.raw"),
                               [(json.loads(p).get("url", "none"), p) for p in page_part])

    runner = argparse.Namespace(brokers=args.brokers)
    feed(ticks[:half_ticks], pages[:half_pages])
    time.sleep(2)
    kafka("stop", args.kafka_dir)
    stopped = time.time()
    unready = {}
    while time.time() - stopped < 10 and len(unready) < len(services):
        for s in services:
            if s.name not in unready and s.unready():
                unready[s.name] = time.time() - stopped
        time.sleep(0.1)
    for s in services:
        took = unready.get(s.name)
        checks.check(f"{mode}: {s.name} /readyz is 503 within 5 s of losing the broker",
                     took is not None and took <= 5.0, f"took {took}")
    time.sleep(max(0.0, args.outage_seconds - (time.time() - stopped)))
    for s in services:
        checks.check(f"{mode}: {s.name} stays up through a {args.outage_seconds:.0f} s outage", s.alive())
    kafka("restart", args.kafka_dir)
    for s in services:
        took = wait_for(s.ready, 90)
        checks.check(f"{mode}: {s.name} /readyz is 200 again after the outage", took is not None,
                     f"readyz={readyz(s.port)}")
    feed(ticks[half_ticks:], pages[half_pages:])

    # 4. Compare.
    totals = {t: sum(expected[t].values()) for t in OUTPUTS}
    wait_for(lambda: all(crash_test.count_topic(args.brokers, topic(t)) >= totals[t] for t in OUTPUTS),
             args.settle_seconds, step=2)
    time.sleep(6)
    for t in OUTPUTS:
        got = crash_test.read_topic(args.brokers, topic(t))
        want = expected[t]
        if mode == "at_least_once" and t == "market.reactions":
            # As in the crash test: a price change re-delivered later than
            # the allowed lateness may change a reaction's prices, never
            # whether it is there.
            want, got = crash_test.reaction_identities(want), crash_test.reaction_identities(got)
        missing, extra = sum((want - got).values()), sum((got - want).values())
        if missing and extra:
            explain(list((want - got).elements()), list((got - want).elements()))
        if mode == "exactly_once":
            checks.check(f"{mode}: {t} exactly as `tickertape process` ({totals[t]})", missing == 0 and extra == 0,
                         f"missing {missing}, extra {extra}")
        else:
            checks.check(f"{mode}: {t} misses nothing ({totals[t]})", missing == 0, f"missing {missing}")

    # 5. SIGTERM.
    for s in services:
        checks.check(f"{mode}: {s.name} never exited", s.alive())
        s.process.send_signal(signal.SIGTERM)
    for s in services:
        try:
            code = s.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            s.process.kill()
            code = "timeout"
        checks.check(f"{mode}: {s.name} exits 0 on SIGTERM", code == 0, f"exit {code}; logs in {workdir}")


def explain(missing, extra):
    """Logs which fields differ between a missing event and the extra one most like it."""
    def fields(key):
        try:
            return json.loads(key)
        except ValueError:
            return {"_": key}
    want = fields(missing[0])
    best = min((fields(e) for e in extra),
               key=lambda got: sum(got.get(k) != v for k, v in want.items()) if isinstance(got, dict) else 99)
    if isinstance(want, dict) and isinstance(best, dict):
        diff = {k: (want.get(k), best.get(k)) for k in set(want) | set(best) if want.get(k) != best.get(k)}
        log("first missing event differs from the closest extra one in:",
            json.dumps(diff, ensure_ascii=False)[:1500])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--kafka-dir", required=True, help="the folder given to scripts/kafka.sh start")
    parser.add_argument("--ticks", type=int, default=20_000)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--outage-seconds", type=float, default=30)
    parser.add_argument("--settle-seconds", type=float, default=180)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--modes", default="exactly_once,at_least_once")
    parser.add_argument("--keep-logs", action="store_true", help="keep the services' logs after a pass too")
    args = parser.parse_args()
    args.tickertape = os.path.join(args.bin, "tickertape")
    args.articles = os.path.join(args.bin, "tickertape-articles")
    args.prices = os.path.join(args.bin, "tickertape-prices")
    args.reactions = os.path.join(args.bin, "tickertape-reactions")

    rng = random.Random(args.seed)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    # Topics of 4 partitions, as `run` creates them.
    ticks, pages, expected, inputs = crash_test.make_inputs_and_expected(args.tickertape, rng, args.ticks, args.pages,
                                                                    now, 4, "tickertape-outage-inputs-")
    log("expected from `tickertape process`: "
        + ", ".join(f"{t}={sum(expected[t].values())}" for t in OUTPUTS))

    try:
        for mode in args.modes.split(","):
            run(args, mode, ticks, pages, expected)
    finally:
        # Leave the broker running for whoever comes next.
        subprocess.run([os.path.join(REPO, "scripts", "kafka.sh"), "restart", args.kafka_dir],
                       stdout=subprocess.DEVNULL)
    print(f"outage-test: {checks.passed} passed, {checks.failed} failed")
    # The services' logs are kept after a failure.
    if checks.failed == 0 and not args.keep_logs:
        for folder in [inputs, *WORKDIRS]:
            shutil.rmtree(folder, ignore_errors=True)
    sys.exit(0 if checks.failed == 0 else 1)


if __name__ == "__main__":
    main()
