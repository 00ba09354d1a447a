#!/usr/bin/env python3
"""Observability against the real things: Apache Kafka, the three services, and a
real Prometheus server scraping them.

Pushes sample traffic (the fixtures, good and bad), then checks through
Prometheus's HTTP API that:
- `promtool check metrics` passes on each service's /metrics;
- every metric the services export is in docs/metrics.md;
- every query of every panel of every dashboard in deploy/grafana evaluates
  without error and returns data;
- every alert rule in deploy/prometheus/alerts.yml evaluates without error.
Prints one line per check and a closing `N passed, N failed`.
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
from harness import TOPIC_VARS, Checks, free_port  # noqa: E402  (tests/harness.py)


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--brokers", required=True)
    args = parser.parse_args()
    for tool in ("prometheus", "promtool", "kcat"):
        if not shutil.which(tool):
            sys.exit(f"observability: {tool} is missing; run scripts/install-deps.sh")

    work = tempfile.mkdtemp(prefix="tickertape-observability-")
    prefix = f"obs-{int(time.time() * 1000)}"
    env = dict(os.environ, **{var: f"{prefix}.{name}" for var, name in TOPIC_VARS.items()})
    subprocess.run([os.path.join(args.bin, "tickertape"), "topics", "create", "--brokers", args.brokers, "--partitions", "2"],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    services, processes = {}, []
    try:
        for name in ("articles", "prices", "reactions"):
            port = free_port()
            services[name] = f"127.0.0.1:{port}"
            processes.append(subprocess.Popen(
                [os.path.join(args.bin, f"tickertape-{name}"), "--brokers", args.brokers,
                 "--metrics-addr", services[name], "--group-id", f"{prefix}-{name}", "--instance-id", f"{name}-obs"],
                env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, f"{name}.log"), "w")))

        prom_port = free_port()
        config = os.path.join(work, "prometheus.yml")
        with open(config, "w") as out:
            out.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - {os.path.join(REPO, 'deploy/prometheus/alerts.yml')}
scrape_configs:
  - job_name: tickertape-articles
    static_configs: [{{targets: ["{services['articles']}"]}}]
  - job_name: tickertape-prices
    static_configs: [{{targets: ["{services['prices']}"]}}]
  - job_name: tickertape-reactions
    static_configs: [{{targets: ["{services['reactions']}"]}}]
""")
        processes.append(subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={work}/tsdb",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "prometheus.log"), "w")))
        prometheus = f"http://127.0.0.1:{prom_port}"

        # Traffic, in two waves so that rates have something to measure.
        fixtures = os.path.join(REPO, "tests", "fixtures")
        # HTML pages too, recognised by their bytes (kcat sends no content-type).
        pages = (sorted(glob.glob(os.path.join(fixtures, "articles", "*.txt")))
                 + sorted(glob.glob(os.path.join(fixtures, "articles", "*.html")))
                 + glob.glob(os.path.join(fixtures, "bad", "*.txt")))
        ticks = open(os.path.join(fixtures, "ticks", "feed.jsonl")).read().splitlines()
        now_ms = int(time.time() * 1000)
        for wave in range(2):
            for page in pages:
                subprocess.run(["kcat", "-b", args.brokers, "-P", "-t", f"{prefix}.articles.raw",
                                "-k", f"{os.path.basename(page)}-{wave}", page], check=True)
            lines = [json.dumps({"symbol": "ACME", "price": f"{10 + wave}.{i:02d}", "ts": now_ms + 1000 * i + 60000 * wave})
                     for i in range(20)] + ticks
            subprocess.run(["kcat", "-b", args.brokers, "-P", "-t", f"{prefix}.ticks.raw"],
                           input="\n".join(lines) + "\n", text=True, check=True)
            time.sleep(8)

        checks = Checks("observability")
        documented = open(os.path.join(REPO, "docs", "metrics.md")).read()
        for name, address in services.items():
            text = get(f"http://{address}/metrics")
            lint = subprocess.run(["promtool", "check", "metrics"], input=text, text=True, capture_output=True)
            checks.check(f"promtool check metrics on {name}", lint.returncode == 0, lint.stdout + lint.stderr)
            families = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}
            undocumented = sorted(f for f in families if f.startswith("tickertape_") and f"`{f}`" not in documented)
            checks.check(f"every metric {name} exports is in docs/metrics.md", not undocumented, ", ".join(undocumented))
            checks.check(f"{name} /readyz", urllib.request.urlopen(f"http://{address}/readyz", timeout=5).status == 200)

        panels = []
        for path in sorted(glob.glob(os.path.join(REPO, "deploy", "grafana", "dashboards", "*.json"))):
            dashboard = json.load(open(path))
            for panel in dashboard["panels"]:
                for target in panel["targets"]:
                    panels.append((dashboard["title"], panel["title"], target["expr"]))
        pending = list(panels)
        deadline = time.time() + 90
        results = {}
        while pending and time.time() < deadline:
            still = []
            for dashboard, title, expr in pending:
                answer = json.loads(get(f"{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expr})))
                results[(dashboard, title)] = answer
                if not (answer.get("status") == "success" and answer["data"]["result"]):
                    still.append((dashboard, title, expr))
            pending = still
            if pending:
                time.sleep(3)
        for dashboard, title, expr in panels:
            answer = results.get((dashboard, title), {})
            ok = answer.get("status") == "success" and bool(answer.get("data", {}).get("result"))
            checks.check(f"panel '{title}' of '{dashboard}' returns data", ok, f"{expr} -> {json.dumps(answer)[:200]}")

        rules = json.loads(get(f"{prometheus}/api/v1/rules"))["data"]["groups"]
        evaluated = [rule for group in rules for rule in group["rules"]]
        checks.check("alert rules loaded", len(evaluated) >= 6, f"{len(evaluated)} rules")
        for rule in evaluated:
            ok = rule.get("health") == "ok" and not rule.get("lastError")
            checks.check(f"alert rule {rule['name']} evaluates", ok, rule.get("lastError", rule.get("health", "")))
        print(f"observability: {checks.passed} passed, {checks.failed} failed")
        sys.exit(0 if checks.failed == 0 else 1)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
