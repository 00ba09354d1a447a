"""What the Python real-broker harnesses share (tests/crash, tests/observability).

The Rust end-to-end tests name the same variables in tests/lib.rs;
tests/deploy/check_deploy.py checks both lists against docker-compose.yml.
"""

import socket

# Every topic variable of the services, with its default name. A harness
# sets each to a prefixed name so that runs never share topics.
TOPIC_VARS = {
    "TICKERTAPE_ARTICLES_RAW_TOPIC": "articles.raw",
    "TICKERTAPE_ARTICLES_PARSED_TOPIC": "articles.parsed",
    "TICKERTAPE_ARTICLES_ENRICHED_TOPIC": "articles.enriched",
    "TICKERTAPE_ARTICLES_DUPLICATES_TOPIC": "articles.duplicates",
    "TICKERTAPE_ARTICLES_DLQ_TOPIC": "articles.dlq",
    "TICKERTAPE_TICKS_TOPIC": "ticks.raw",
    "TICKERTAPE_CHANGES_TOPIC": "prices.changes",
    "TICKERTAPE_ALERTS_TOPIC": "prices.alerts",
    "TICKERTAPE_TICKS_DLQ_TOPIC": "ticks.dlq",
    "TICKERTAPE_REACTIONS_MENTIONS_TOPIC": "reactions.mentions",
    "TICKERTAPE_REACTIONS_TOPIC": "market.reactions",
    "TICKERTAPE_REACTIONS_DLQ_TOPIC": "reactions.dlq",
}


class Checks:
    """Counts named checks and prints one line each: `<suite>: ok  <name>` or
    `<suite>: FAIL <name> (<detail>)` (scripts/test-real-broker.sh counts them)."""

    def __init__(self, suite):
        self.suite = suite
        self.passed, self.failed = 0, 0

    def check(self, name, ok, detail=""):
        print(f"{self.suite}: {'ok  ' if ok else 'FAIL'} {name}" + (f" ({detail})" if detail and not ok else ""),
              flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def free_port():
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
