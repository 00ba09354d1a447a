#!/usr/bin/env python3
"""The deployment files agree with the services and with each other.

Needs the built binaries (their `--help` lists every flag's variable and
default), Debian's docker-compose, helm, and PyYAML. Checks:

- docker-compose.yml passes `docker-compose config`; it runs apache/kafka in
  KRaft mode with the one-broker transaction settings; every TICKERTAPE_
  variable it sets is one the service reads; its topic names are the
  services' defaults and the variables the real-broker harnesses set; the
  Prometheus targets are the services' metrics ports; Grafana gets the
  provisioning and dashboards folders.
- The Helm chart lints and renders with default and non-default values; each
  Deployment runs a binary the workspace builds, probes /healthz and /readyz
  on the metrics port, sets only variables its service reads, and is given
  longer to stop than its drain bound; the PrometheusRule holds exactly
  deploy/prometheus/alerts.yml; the topics Job's flags exist.
- The Dockerfile copies the binaries the chart and compose run.

Prints one line per check and `N passed, N failed`; exits 1 on a failure.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CHART = os.path.join(REPO, "deploy", "helm", "tickertape")
sys.path.insert(0, os.path.dirname(HERE))
from harness import Checks  # noqa: E402  (tests/harness.py)
SERVICES = ("articles", "prices", "reactions")
BINARIES = ("tickertape", *(f"tickertape-{service}" for service in SERVICES))


def help_text(bin_dir, binary, *args):
    return subprocess.run([os.path.join(bin_dir, binary), *args, "--help"], check=True,
                          capture_output=True, text=True).stdout


def settings_of(text):
    """{VARIABLE: default or None} from clap's help text."""
    found = {}
    # clap prints `[env: NAME=]` or `[env: NAME=] [default: value]`, possibly
    # wrapped; the default follows the env in the same bracket run. A
    # variable whose values are hidden (secrets) prints as `[env: NAME]`.
    for match in re.finditer(r"\[env: (TICKERTAPE_[A-Z0-9_]+)(?:=[^\]]*)?\](?:\s*\[default: ([^\]]*)\])?", text):
        found[match.group(1)] = match.group(2)
    return found


def harness_topic_vars():
    """The topic variables each real-broker harness sets, by file."""
    found = {}
    for path in ("tests/lib.rs", "tests/harness.py"):
        with open(os.path.join(REPO, path)) as f:
            text = f.read()
        found[path] = dict(re.findall(r'"(TICKERTAPE_[A-Z_]+_TOPIC)",?\s*[:,]?\s*"([a-z.]+)"', text))
    return found


def check_compose(checks, known):
    out = subprocess.run(["docker-compose", "-f", os.path.join(REPO, "docker-compose.yml"), "config"],
                         capture_output=True, text=True)
    checks.check("docker-compose config validates docker-compose.yml", out.returncode == 0, out.stderr.strip()[-300:])
    if out.returncode != 0:
        return
    compose = yaml.safe_load(out.stdout)
    services = compose["services"]
    for name in ("kafka", "topics", *SERVICES, "prometheus", "grafana"):
        checks.check(f"compose has the {name} service", name in services)

    kafka = services["kafka"]
    env = {k: str(v) for k, v in kafka.get("environment", {}).items()}
    checks.check("compose Kafka is the official apache/kafka image", kafka["image"].startswith("apache/kafka:"), kafka["image"])
    checks.check("compose Kafka runs KRaft (broker and controller roles)", env.get("KAFKA_PROCESS_ROLES") == "broker,controller")
    for setting in ("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
                    "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"):
        checks.check(f"compose Kafka sets {setting}=1 (transactions on one broker)", env.get(setting) == "1", env.get(setting))
    advertised = env.get("KAFKA_ADVERTISED_LISTENERS", "")

    defaults = {}
    for binary in BINARIES[1:]:
        defaults.update({k: v for k, v in known[binary].items() if v is not None})
    harnesses = harness_topic_vars()
    for service, binary in (*((s, f"tickertape-{s}") for s in SERVICES), ("topics", "tickertape")):
        spec = services[service]
        command = spec.get("command") or []
        checks.check(f"compose {service} runs {binary}", command[:1] == [binary], command)
        env = {k: str(v) for k, v in spec.get("environment", {}).items()}
        unknown = [var for var in env if var.startswith("TICKERTAPE_") and var not in known[binary]
                   and not any(var in settings for settings in known.values())]
        checks.check(f"compose {service}: every TICKERTAPE_ variable exists", not unknown, unknown)
        own_unknown = [var for var in env if var.startswith("TICKERTAPE_") and var not in known[binary]
                       and not var.endswith("_TOPIC")]
        checks.check(f"compose {service}: non-topic variables are {binary}'s own", not own_unknown, own_unknown)
        topics = {var: value for var, value in env.items() if var.endswith("_TOPIC")}
        wrong = {var: value for var, value in topics.items() if defaults.get(var) != value}
        checks.check(f"compose {service}: topic names are the services' defaults", topics and not wrong, wrong)
        for path, harness in harnesses.items():
            missing = sorted(set(harness) - set(topics))
            checks.check(f"compose {service} names every topic variable of {path}", not missing, missing)
        brokers = env.get("TICKERTAPE_BROKERS", "")
        checks.check(f"compose {service}: brokers are an advertised listener",
                     bool(brokers) and f"PLAINTEXT://{brokers}" in advertised, f"{brokers} vs {advertised}")

    with open(os.path.join(REPO, "deploy", "prometheus", "prometheus.yml")) as f:
        prometheus = yaml.safe_load(f)
    targets = {t for job in prometheus["scrape_configs"] for c in job["static_configs"] for t in c["targets"]}
    for service in SERVICES:
        addr = str(services[service]["environment"].get("TICKERTAPE_METRICS_ADDR", "0.0.0.0:9464"))
        port = addr.rsplit(":", 1)[1]
        checks.check(f"Prometheus scrapes compose {service} on its metrics port", f"{service}:{port}" in targets,
                     f"{service}:{port} not in {sorted(targets)}")
    mounts = " ".join(str(v) for v in services["prometheus"].get("volumes", []))
    checks.check("compose Prometheus mounts deploy/prometheus config and rules",
                 "deploy/prometheus/prometheus.yml" in mounts and "deploy/prometheus/alerts.yml" in mounts, mounts)
    mounts = " ".join(str(v) for v in services["grafana"].get("volumes", []))
    checks.check("compose Grafana mounts the provisioning and dashboards",
                 "deploy/grafana/provisioning" in mounts and "deploy/grafana/dashboards" in mounts, mounts)
    with open(os.path.join(REPO, "deploy", "grafana", "provisioning", "dashboards", "tickertape.yml")) as f:
        provider_path = yaml.safe_load(f)["providers"][0]["options"]["path"]
    checks.check("compose mounts the dashboards where the provider reads them", f":{provider_path}" in mounts,
                 provider_path)


def render(helm, values=None):
    args = [helm, "template", "t", CHART] + (["-f", values] if values else [])
    out = subprocess.run(args, capture_output=True, text=True)
    return out, [doc for doc in yaml.safe_load_all(out.stdout) if doc] if out.returncode == 0 else []


def check_helm(checks, helm, known):
    full_values = os.path.join(CHART, "ci", "full-values.yaml")
    for label, values in (("default", None), ("non-default", full_values)):
        args = [helm, "lint", "--strict", CHART] + (["-f", values] if values else [])
        out = subprocess.run(args, capture_output=True, text=True)
        checks.check(f"helm lint --strict ({label} values)", out.returncode == 0, (out.stdout + out.stderr)[-400:])
        out, docs = render(helm, values)
        checks.check(f"helm template renders ({label} values)", out.returncode == 0, out.stderr[-400:])
        kinds = sorted({d["kind"] for d in docs})
        expected = {"Deployment", "Service", "PodDisruptionBudget"}
        if values:
            expected |= {"ServiceMonitor", "PrometheusRule", "ScaledObject", "Job"}
        checks.check(f"helm {label}: renders {sorted(expected)}", expected <= set(kinds), kinds)
        for deployment in (d for d in docs if d["kind"] == "Deployment"):
            name = deployment["metadata"]["name"]
            pod = deployment["spec"]["template"]["spec"]
            container = pod["containers"][0]
            binary = container["command"][0]
            checks.check(f"helm {label} {name}: runs a built binary", binary in BINARIES, binary)
            port = next(p["containerPort"] for p in container["ports"] if p["name"] == "metrics")
            env = {e["name"]: e.get("value") for e in container["env"]}
            checks.check(f"helm {label} {name}: metrics address is the metrics port",
                         env.get("TICKERTAPE_METRICS_ADDR") == f"0.0.0.0:{port}", env.get("TICKERTAPE_METRICS_ADDR"))
            probes = (container["livenessProbe"]["httpGet"], container["readinessProbe"]["httpGet"])
            checks.check(f"helm {label} {name}: liveness /healthz, readiness /readyz on metrics",
                         [p["path"] for p in probes] == ["/healthz", "/readyz"]
                         and all(p["port"] == "metrics" for p in probes), probes)
            drain_ms = int(env.get("TICKERTAPE_DRAIN_TIMEOUT_MS") or 10000)
            grace = pod["terminationGracePeriodSeconds"]
            checks.check(f"helm {label} {name}: grace {grace} s exceeds the drain bound {drain_ms} ms", grace * 1000 > drain_ms)
            unknown = [v for v in env if v.startswith("TICKERTAPE_") and v not in known.get(binary, {})
                       and not v.endswith("_TOPIC")]
            checks.check(f"helm {label} {name}: sets only variables {binary} reads", not unknown, unknown)
            checks.check(f"helm {label} {name}: instance id is the pod name",
                         any(e["name"] == "TICKERTAPE_INSTANCE_ID" and e.get("valueFrom", {}).get("fieldRef", {})
                             .get("fieldPath") == "metadata.name" for e in container["env"]))
            checks.check(f"helm {label} {name}: runs as non-root", pod["securityContext"].get("runAsNonRoot") is True)
        for rule in (d for d in docs if d["kind"] == "PrometheusRule"):
            with open(os.path.join(REPO, "deploy", "prometheus", "alerts.yml")) as f:
                expected_rules = yaml.safe_load(f)
            checks.check(f"helm {label}: PrometheusRule holds deploy/prometheus/alerts.yml",
                         rule["spec"] == expected_rules)
        for job in (d for d in docs if d["kind"] == "Job"):
            container = job["spec"]["template"]["spec"]["containers"][0]
            flags = {a.split("=")[0] for a in container.get("args", []) if a.startswith("--")}
            topics_help = known["tickertape topics create"]
            missing = sorted(f for f in flags if f not in topics_help)
            checks.check(f"helm {label}: topics Job flags exist in `tickertape topics create`", not missing, missing)
            checks.check(f"helm {label}: topics Job runs `tickertape topics create`",
                         container["command"] == ["tickertape", "topics", "create"], container["command"])

    with open(os.path.join(REPO, "deploy", "prometheus", "alerts.yml"), "rb") as a, \
            open(os.path.join(CHART, "files", "alerts.yml"), "rb") as b:
        checks.check("the chart's files/alerts.yml is deploy/prometheus/alerts.yml", a.read() == b.read())
    out = subprocess.run([helm, "template", "t", CHART, "--set", "terminationGracePeriodSeconds=5"],
                         capture_output=True, text=True)
    checks.check("helm refuses a grace period shorter than the drain bound",
                 out.returncode != 0 and "must exceed the drain bound" in out.stderr, out.stderr[-200:])


def check_dockerfile(checks):
    with open(os.path.join(REPO, "deploy", "Dockerfile")) as f:
        text = f.read()
    for binary in BINARIES:
        checks.check(f"the Dockerfile ships {binary}", re.search(rf"target/(release|dist)/{binary}\b", text) is not None)
    checks.check("the Dockerfile's runtime stage runs as a non-root user", re.search(r"^USER 10001", text, re.M) is not None)
    with open(os.path.join(REPO, ".dockerignore")) as f:
        ignored = f.read().split()
    checks.check(".dockerignore keeps target/ and .git/ out of the build context", "target/" in ignored and ".git/" in ignored)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=os.path.join(REPO, "target", "debug"))
    parser.add_argument("--helm", default=shutil.which("helm") or os.path.expanduser("~/.cache/tickertape/bin/helm"))
    args = parser.parse_args()
    for tool in ("docker-compose",):
        if not shutil.which(tool):
            sys.exit(f"deploy: {tool} is missing; run scripts/install-deps.sh")
    if not os.path.exists(args.helm):
        sys.exit("deploy: helm is missing; run scripts/install-deps.sh")

    known = {binary: settings_of(help_text(args.bin, binary)) for binary in BINARIES[1:]}
    topics_help = help_text(args.bin, "tickertape", "topics", "create")
    known["tickertape topics create"] = set(re.findall(r"--[a-z][a-z-]+", topics_help))
    known["tickertape"] = settings_of(topics_help)
    checks = Checks("deploy")
    checks.check("the services' help lists their variables", all(len(known[b]) > 10 for b in BINARIES))
    check_compose(checks, known)
    check_helm(checks, args.helm, known)
    check_dockerfile(checks)
    print(f"deploy: {checks.passed} passed, {checks.failed} failed")
    sys.exit(1 if checks.failed else 0)


if __name__ == "__main__":
    main()
