#!/usr/bin/env python3
"""A downstream subscriber of tickertape, in Python with confluent-kafka.

Prints every price change, every new story (updates too, marked) and every
market reaction (how a company a story names moved after it ran) as one line
each, and the raw JSON with --json. Reads with
isolation.level=read_committed, so under tickertape's default exactly-once
guarantee each event is seen once; offsets are committed after an event is
handled (at-least-once on this side: a crash here re-reads, never skips).

    pip install confluent-kafka
    python3 examples/python/consumer.py --brokers localhost:9092

Stop with Ctrl-C, or let --max-events / --idle-timeout end it (for scripts).
"""

import argparse
import json
import signal
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException


def describe(topic_kind, event):
    """One readable line for an event; None for events it does not print."""
    if topic_kind == "changes" and event.get("schema") == "tickertape.price_change.v1":
        name = (event.get("instrument") or {}).get("name") or "unknown instrument"
        sign = "" if event["change"].startswith("-") else "+"
        return (f"price  {event['symbol']:<6} {event['price']:>10} {event.get('currency') or '':<3} "
                f"{sign}{event['change']} ({sign}{event['change_pct']}%) vs {event['basis']} "
                f"{event['previous_price']}  [{name}] at {event['event_time']}")
    if topic_kind == "articles" and event.get("schema") == "tickertape.article.v1":
        status = event.get("dedupe", {}).get("status", "new")
        label = "story " if status == "new" else f"update v{event['version']}"
        countries = ",".join(event.get("entities", {}).get("countries", []))
        source = event.get("source", {})
        return (f"{label} {event['title']!r} — {source.get('name')} ({source.get('code')}), "
                f"{event.get('language')}, {event.get('word_count', 0)} words, countries {countries}, "
                f"story {event['story_id']}")
    if topic_kind == "reactions" and event.get("schema") == "tickertape.market_reaction.v1":
        market = {True: "market open", False: "market closed", None: "market hours unknown"}[event["market_open"]]
        moves = ", ".join(
            f"+{h['after_s']}s {h['change'] if h['change'] is not None else '?'}"
            f" ({h['change_pct'] if h['change_pct'] is not None else '?'}%)"
            for h in event["horizons"])
        return (f"reaction {event['symbol']:<6} {event['title']!r} v{event['story_version']} "
                f"at {event['published_at']} ({market}) from {event['price_at_publication'] or 'no price'}: {moves}")
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--brokers", default="localhost:9092")
    parser.add_argument("--group", default="example-python-subscriber",
                        help="consumer group; a new one starts from --start")
    parser.add_argument("--changes-topic", default="prices.changes")
    parser.add_argument("--articles-topic", default="articles.enriched")
    parser.add_argument("--reactions-topic", default="market.reactions")
    parser.add_argument("--start", choices=["earliest", "latest"], default="earliest",
                        help="where a new group starts reading")
    parser.add_argument("--json", action="store_true", help="print each event's JSON instead")
    parser.add_argument("--max-events", type=int, default=0, help="stop after this many printed events")
    parser.add_argument("--idle-timeout", type=float, default=0,
                        help="stop after this many seconds without a message")
    parser.add_argument("-X", dest="properties", action="append", default=[], metavar="KEY=VALUE",
                        help="any librdkafka property (security.protocol, sasl.*, ssl.*)")
    args = parser.parse_args()

    config = {
        "bootstrap.servers": args.brokers,
        "group.id": args.group,
        "auto.offset.reset": args.start,
        # Only committed transactions: no event of an aborted attempt.
        "isolation.level": "read_committed",
        # Commit after handling, not on a timer.
        "enable.auto.commit": False,
    }
    for prop in args.properties:
        key, _, value = prop.partition("=")
        config[key] = value
    consumer = Consumer(config)
    kinds = {args.changes_topic: "changes", args.articles_topic: "articles", args.reactions_topic: "reactions"}
    consumer.subscribe(list(kinds))

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    printed, last_message = 0, time.monotonic()
    try:
        while not stopping:
            message = consumer.poll(0.5)
            if message is None:
                if args.idle_timeout and time.monotonic() - last_message > args.idle_timeout:
                    break
                continue
            last_message = time.monotonic()
            if message.error():
                # Reaching a partition's end is news, not an error; a topic
                # not created yet (no reactions service deployed) is a warning.
                code = message.error().code()
                if code == KafkaError.UNKNOWN_TOPIC_OR_PART:
                    print(f"subscriber: {message.error().str()}", file=sys.stderr)
                elif code != KafkaError._PARTITION_EOF:
                    raise KafkaException(message.error())
                continue
            try:
                event = json.loads(message.value())
            except ValueError as error:
                print(f"skipping a message that is not JSON at {message.topic()}/{message.partition()}"
                      f"@{message.offset()}: {error}", file=sys.stderr)
                consumer.commit(message=message, asynchronous=False)
                continue
            line = json.dumps(event, sort_keys=True) if args.json else describe(kinds[message.topic()], event)
            if line is not None:
                print(line, flush=True)
                printed += 1
            consumer.commit(message=message, asynchronous=False)
            if args.max_events and printed >= args.max_events:
                break
    finally:
        consumer.close()
    print(f"subscriber: {printed} events", file=sys.stderr)


if __name__ == "__main__":
    main()
