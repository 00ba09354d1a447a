#!/usr/bin/env python3
"""SASL_SSL with SCRAM-SHA-512 against a real Apache Kafka broker.

Starts its own broker with `scripts/kafka.sh start-secure` (a test CA and a
broker certificate made with openssl, SCRAM credentials made by Kafka's own
StorageTool at format time), then, through configuration alone
(TICKERTAPE_BROKERS, TICKERTAPE_KAFKA_PROPERTIES):
1. `tickertape topics create` creates the topics;
2. both services run exactly-once; a page and a tick produced by
   confluent-kafka (an independent client) over SASL_SSL come out as an
   article event and a price change, which `tickertape tail` prints;
3. a wrong password and an untrusted certificate fail fast (within 15 s)
   with an error naming the broker, for a service, `topics create` and
   `tail`;
4. neither password appears in any log line (services at RUST_LOG=trace,
   librdkafka debug on), in /metrics, in `--help`, or in an error message.

Prints `secure-test: ok  <check>` or `secure-test: FAIL <check>` per check.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
from harness import Checks, TOPIC_VARS, free_port  # noqa: E402

checks = Checks("secure-test")
SEED = os.path.join(REPO, "tests", "fixtures", "articles", "seed-article.txt")


def log(*parts):
    print("secure-test:", *parts, flush=True)


def properties(ca, password, debug=False):
    props = ["security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-512", "sasl.username=tickertape",
             f"sasl.password={password}", f"ssl.ca.location={ca}"]
    if debug:
        props.append("debug=security,broker,conf")
    return ",".join(props)


def run_quick(command, env, timeout=30):
    """Runs `command`; returns (exit code or None on timeout, seconds, output)."""
    started = time.time()
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
        return done.returncode, time.time() - started, done.stdout + done.stderr
    except subprocess.TimeoutExpired as expired:
        out = (expired.stdout or b"").decode(errors="replace") + (expired.stderr or b"").decode(errors="replace")
        return None, time.time() - started, out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    binary = lambda name: os.path.join(args.bin, name)  # noqa: E731
    work = tempfile.mkdtemp(prefix="tickertape-secure-")
    broker_dir = os.path.join(work, "broker")
    kafka = os.path.join(REPO, "scripts", "kafka.sh")
    services = []
    try:
        brokers = subprocess.run([kafka, "start-secure", broker_dir], check=True, capture_output=True,
                                 text=True).stdout.strip()
        log(f"Apache Kafka with a SASL_SSL listener at {brokers}")
        with open(os.path.join(broker_dir, "scram")) as f:
            user, password = f.read().split()
        ca = os.path.join(broker_dir, "tls", "ca.pem")
        other_ca = os.path.join(broker_dir, "tls", "other-ca.pem")
        wrong = "not-the-password-" + password[:6][::-1]
        prefix = f"secure-{int(time.time() * 1000)}"
        topic = lambda name: f"{prefix}.{name}"  # noqa: E731
        base = dict(os.environ, TICKERTAPE_BROKERS=brokers, RUST_BACKTRACE="0",
                    **{var: topic(name) for var, name in TOPIC_VARS.items()})
        good = dict(base, TICKERTAPE_KAFKA_PROPERTIES=properties(ca, password))
        secrets = [password, wrong]
        seen = []  # every text a user could see: logs, errors, --help, /metrics

        # 1. Topics.
        code, took, out = run_quick([binary("tickertape"), "topics", "create", "--partitions", "2",
                                     "--partitions-for", f"{topic('articles.raw')}=1"], good)
        seen.append(out)
        checks.check("topics create over SASL_SSL", code == 0, out[-400:])

        # 2. Both services, exactly-once, logging everything.
        traced = dict(good, RUST_LOG="trace", TICKERTAPE_KAFKA_PROPERTIES=properties(ca, password, debug=True))
        ports = {}
        for name in ("articles", "prices"):
            ports[name] = free_port()
            log_path = os.path.join(work, f"{name}.log")
            services.append((name, log_path, subprocess.Popen(
                [binary(f"tickertape-{name}"), "--metrics-addr", f"127.0.0.1:{ports[name]}",
                 "--group-id", f"{prefix}-{name}", "--processing-guarantee", "exactly_once"],
                env=traced, stdout=subprocess.DEVNULL, stderr=open(log_path, "w"))))
        tails = {}
        for name in ("articles.enriched", "prices.changes"):
            tails[name] = subprocess.Popen([binary("tickertape"), "tail", topic(name), "--from-beginning"],
                                           env=good, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

        from confluent_kafka import Producer
        producer = Producer({"bootstrap.servers": brokers, "security.protocol": "SASL_SSL",
                             "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": user, "sasl.password": password,
                             "ssl.ca.location": ca})
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        with open(SEED) as f:
            page = json.dumps({"url": "https://btb.example/en/World/seed.html", "fetched_at": now, "body": f.read()})
        producer.produce(topic("articles.raw"), key=b"seed", value=page.encode())
        producer.produce(topic("ticks.raw"), key=b"SECURE",
                         value=json.dumps({"symbol": "SECURE", "price": "10.50", "ts": now, "change_pct": "1.25",
                                           "currency": "USD"}).encode())
        checks.check("confluent-kafka produced over SASL_SSL", producer.flush(30) == 0)

        printed = {}
        deadline = time.time() + 90
        for name, process in tails.items():
            lines = []
            os.set_blocking(process.stdout.fileno(), False)
            while time.time() < deadline:
                chunk = process.stdout.read() or b""
                lines.append(chunk.decode(errors="replace"))
                text = "".join(lines)
                if ("North Korea" in text) if name == "articles.enriched" else ("SECURE" in text):
                    break
                time.sleep(0.5)
            printed[name] = "".join(lines)
            process.send_signal(signal.SIGINT)
        for process in tails.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        seen.extend(printed.values())
        checks.check("the article event comes out, and tail prints it over SASL_SSL",
                     "North Korea ratifies defence treaty with Russia" in printed["articles.enriched"],
                     printed["articles.enriched"][-400:])
        checks.check("the price change comes out, and tail prints it over SASL_SSL",
                     "SECURE" in printed["prices.changes"], printed["prices.changes"][-400:])
        for name, port in ports.items():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                seen.append(response.read().decode())
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
                checks.check(f"{name} is ready over SASL_SSL", response.status == 200)

        # 3. Refusals fail fast, naming the broker.
        bad_password = dict(base, TICKERTAPE_KAFKA_PROPERTIES=properties(ca, wrong))
        untrusted = dict(base, TICKERTAPE_KAFKA_PROPERTIES=properties(other_ca, password))
        for label, env, words in [("a wrong password", bad_password, "Authentication failed"),
                                  ("an untrusted certificate", untrusted, "certificate verify failed")]:
            for command in ([binary("tickertape-prices"), "--metrics-addr", "127.0.0.1:0"],
                            [binary("tickertape-articles"), "--metrics-addr", "127.0.0.1:0"],
                            [binary("tickertape"), "topics", "create"],
                            [binary("tickertape"), "tail", topic("prices.changes")]):
                code, took, out = run_quick(command, dict(env, RUST_LOG="trace"), timeout=30)
                seen.append(out)
                name = os.path.basename(command[0]) + (f" {command[1]}" if command[0].endswith("tickertape") else "")
                checks.check(f"{label}: {name} fails within 15 s, naming the broker",
                             code not in (0, None) and took <= 15 and brokers in out and "refused" in out
                             and words in out, f"exit {code} after {took:.1f} s: {out[-300:]}")

        # 4. No secret anywhere a person or a scraper looks.
        for command in ([binary("tickertape"), "--help"], [binary("tickertape"), "topics", "create", "--help"],
                        [binary("tickertape"), "tail", "--help"], [binary("tickertape-prices"), "--help"],
                        [binary("tickertape-articles"), "--help"]):
            seen.append(run_quick(command, good)[2])
        for name, log_path, process in services:
            checks.check(f"{name} stayed up", process.poll() is None)
            process.send_signal(signal.SIGTERM)
        for name, log_path, process in services:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
            with open(log_path, errors="replace") as f:
                text = f.read()
            seen.append(text)
            checks.check(f"{name}'s log (RUST_LOG=trace, librdkafka debug) is not empty", len(text) > 10_000,
                         f"{len(text)} bytes")
        leaks = [s for s in secrets if any(s in text for text in seen)]
        checks.check(f"no password in logs, /metrics, --help or errors ({sum(map(len, seen))} bytes read)",
                     not leaks, f"{len(leaks)} secrets found; outputs kept in {work}")
    finally:
        for _, _, process in services:
            if process.poll() is None:
                process.kill()
        subprocess.run([kafka, "stop", broker_dir], stdout=subprocess.DEVNULL)
        if not checks.failed:
            shutil.rmtree(work, ignore_errors=True)
    log(f"{checks.passed} passed, {checks.failed} failed")
    sys.exit(1 if checks.failed or not checks.passed else 0)


if __name__ == "__main__":
    main()
