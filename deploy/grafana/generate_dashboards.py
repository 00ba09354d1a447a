#!/usr/bin/env python3
"""Writes the Grafana dashboards in dashboards/ from the panel lists below.

Edit the lists, run this script, commit both. The end-to-end observability
check evaluates every `expr` here against a real Prometheus.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}

OVERVIEW = [
    ("Input rate by topic (msg/s)", 'sum by (topic) (rate(tickertape_messages_consumed_total[1m]))', "ops"),
    ("Output rate by topic (msg/s)", 'sum by (topic) (rate(tickertape_messages_produced_total[1m]))', "ops"),
    ("Duplicates by kind (per s)", 'sum by (kind) (rate(tickertape_duplicates_total[5m]))', "ops"),
    ("Dead letters by reason (per s)", 'sum by (topic, reason) (rate(tickertape_dead_letters_total[5m]))', "ops"),
    ("Consumer lag by topic (messages)", 'sum by (topic) (tickertape_consumer_lag_messages)', "short"),
    ("Processing time p50 / p99 (s)", 'histogram_quantile(0.99, sum by (le, topic) (rate(tickertape_processing_duration_seconds_bucket[5m])))', "s"),
    ("Event age at publish p50 (s)", 'histogram_quantile(0.5, sum by (le, topic) (rate(tickertape_event_age_seconds_bucket[5m])))', "s"),
    ("Event age at publish p99 (s)", 'histogram_quantile(0.99, sum by (le, topic) (rate(tickertape_event_age_seconds_bucket[5m])))', "s"),
    ("Price changes by basis (per s)", 'sum by (basis) (rate(tickertape_price_changes_total[5m]))', "ops"),
    ("Market reactions published (per s)", 'sum(rate(tickertape_reactions_total[5m]))', "ops"),
    ("Services up", 'sum by (job) (up{job=~"tickertape-.*"})', "short"),
]
ARTICLES = [
    ("Articles by dedupe status (per s)", 'sum by (status) (rate(tickertape_articles_total[5m]))', "ops"),
    ("Strip lines by outcome (per s)", 'sum by (outcome) (rate(tickertape_strip_lines_total[5m]))', "ops"),
    ("HTML pages by the extractor whose text won (per s)", 'sum by (extractor) (rate(tickertape_html_pages_total[5m]))', "ops"),
    ("Share of raw pages that are HTML", 'sum(rate(tickertape_html_pages_total[5m])) / sum(rate(tickertape_messages_consumed_total{topic=~".*articles.raw"}[5m]))', "percentunit"),
    ("Stories in the dedupe index", 'sum by (service) (tickertape_state_entries{service=~"articles.*"})', "short"),
    ("Transactions by outcome (per s)", 'sum by (service, outcome) (rate(tickertape_transactions_total{service=~"articles.*"}[5m]))', "ops"),
    ("State restore time, mean (s)", 'sum by (service) (tickertape_state_restore_duration_seconds_sum{service=~"articles.*"}) / sum by (service) (tickertape_state_restore_duration_seconds_count{service=~"articles.*"})', "s"),
    ("State restore throughput (bytes/s, all restores)", 'sum by (service) (tickertape_state_restored_bytes_total{service=~"articles.*"}) / sum by (service) (tickertape_state_restore_duration_seconds_sum{service=~"articles.*"})', "Bps"),
    ("Dead letters by reason (per s)", 'sum by (reason) (rate(tickertape_dead_letters_total{topic=~".*articles.*"}[5m]))', "ops"),
    ("Assigned partitions", 'sum by (service) (tickertape_assigned_partitions{service=~"articles.*"})', "short"),
    ("Broker round trip (s)", 'max by (broker) (tickertape_broker_rtt_seconds{service=~"articles.*"})', "s"),
]
PRICES = [
    ("Ticks by outcome (per s)", 'sum by (outcome) (rate(tickertape_ticks_total[5m]))', "ops"),
    ("Price changes by basis (per s)", 'sum by (basis) (rate(tickertape_price_changes_total[5m]))', "ops"),
    ("Alerts (count)", 'sum by (direction) (tickertape_price_alerts_total)', "short"),
    ("Unknown instruments (count)", 'sum(tickertape_unknown_instruments_total)', "short"),
    ("Repeated ticks (per s)", 'sum(rate(tickertape_duplicates_total{kind="repeated_tick"}[5m]))', "ops"),
    ("State entries", 'sum(tickertape_state_entries{service="prices"})', "short"),
    ("Transactions by outcome (per s)", 'sum by (outcome) (rate(tickertape_transactions_total{service="prices"}[5m]))', "ops"),
    ("State restore throughput (bytes/s, all restores)", 'sum(tickertape_state_restored_bytes_total{service="prices"}) / sum(tickertape_state_restore_duration_seconds_sum{service="prices"})', "Bps"),
    ("Consumer lag by partition", 'sum by (partition) (tickertape_consumer_lag_messages{topic=~".*ticks.*"})', "short"),
    ("Producer queue (messages)", 'sum(tickertape_producer_queue_messages{service="prices"})', "short"),
    ("Event age of price changes p99 (s)", 'histogram_quantile(0.99, sum by (le) (rate(tickertape_event_age_seconds_bucket{topic=~".*prices.changes"}[5m])))', "s"),
]

REACTIONS = [
    ("Reactions published by what closed them (per s)", 'sum by (closed_by) (rate(tickertape_reactions_total[5m]))', "ops"),
    ("Stories waiting for their horizons", 'sum(tickertape_reaction_pending_entries)', "short"),
    ("Prices retained for joining", 'sum(tickertape_reaction_history_entries)', "short"),
    ("Watermark delay behind the clock (s)", 'max(tickertape_reaction_watermark_delay_seconds)', "s"),
    ("Prices joined by lateness (per s)", 'sum by (outcome) (rate(tickertape_reaction_prices_total[5m]))', "ops"),
    ("Mentions routed (per s)", 'sum(rate(tickertape_reaction_mentions_total[5m]))', "ops"),
    ("Transactions by outcome (per s)", 'sum by (service, outcome) (rate(tickertape_transactions_total{service=~"reactions.*"}[5m]))', "ops"),
    ("Dead letters by reason (per s)", 'sum by (topic, reason) (rate(tickertape_dead_letters_total{job="tickertape-reactions"}[5m]))', "ops"),
    ("State restore time, mean (s)", 'sum by (service) (tickertape_state_restore_duration_seconds_sum{service="reactions-join"}) / sum by (service) (tickertape_state_restore_duration_seconds_count{service="reactions-join"})', "s"),
    ("Consumer lag by topic", 'sum by (topic) (tickertape_consumer_lag_messages{job="tickertape-reactions"})', "short"),
]


def dashboard(uid, title, panels):
    return {
        "uid": uid,
        "title": title,
        "tags": ["tickertape"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "panels": [
            {
                "id": index + 1,
                "type": "timeseries",
                "title": title,
                "datasource": DATASOURCE,
                "gridPos": {"h": 8, "w": 12, "x": (index % 2) * 12, "y": (index // 2) * 8},
                "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                "targets": [{"refId": "A", "datasource": DATASOURCE, "expr": expr, "legendFormat": "__auto"}],
            }
            for index, (title, expr, unit) in enumerate(panels)
        ],
    }


def main():
    for uid, title, panels in [
        ("tickertape-overview", "tickertape: pipeline overview", OVERVIEW),
        ("tickertape-articles", "tickertape: articles", ARTICLES),
        ("tickertape-prices", "tickertape: prices", PRICES),
        ("tickertape-reactions", "tickertape: market reactions", REACTIONS),
    ]:
        path = os.path.join(HERE, "dashboards", f"{uid}.json")
        with open(path, "w") as out:
            json.dump(dashboard(uid, title, panels), out, indent=2)
            out.write("\n")


if __name__ == "__main__":
    main()
