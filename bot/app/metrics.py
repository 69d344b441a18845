"""What /metrics says (Prometheus text format, prometheus-client): counted events and figures read from the database.

Events are counted by this process as they happen, through hooks: the delivery engine's `on_outcome` (deliveries,
429s, SLA warnings and breaches sent, replies published) and the poll job (posts ingested, polls and their errors).
With several replicas, Prometheus adds them up. Figures that are stored are read from the database at each scrape,
so every replica shows the same: the outbox (pending, failed and the oldest pending entry's age, per channel), each
source's last success and failure, and the model's tokens and cost. One registry per runtime, so that tests can run
several.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.clock import Clock
from bot.desk.publishing import PUBLISH
from bot.ingest.poller import PollOutcome
from bot.sla.clocks import BREACH, WARN
from bot.sla.nudges import NUDGE
from storage.models import LlmUsage, OutboxEntry, OutboxStatus, SourceCursor

log = logging.getLogger(__name__)
WHOLE_SOURCE = "all"  # the `feed` label of a figure about a whole source (per-feed figures name the feed)


class Metrics:
    """The process's counters and the database collector, in a registry of their own."""

    def __init__(self, engine: Engine, clock: Clock, *, leading: Callable[[], bool]) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.posts_ingested = Counter("socialdesk_posts_ingested", "New posts stored, by source.", ["source"],
                                      registry=registry)
        self.polls = Counter("socialdesk_polls", "Polls of a source, by outcome (ok, error).",
                             ["source", "feed", "outcome"], registry=registry)
        self.deliveries = Counter("socialdesk_deliveries", "Outbox delivery attempts by kind and outcome "
                                  "(delivered, retry, throttled, failed).", ["kind", "outcome"], registry=registry)
        self.rate_limited = Counter("socialdesk_rate_limited", "429 answers (throttled deliveries) by platform or "
                                    "source.", ["target"], registry=registry)
        self.sla_nudges = Counter("socialdesk_sla_nudges", "SLA nudges posted in threads, by stage (warn, breach, "
                                  "remind).", ["stage"], registry=registry)
        self.replies_published = Counter("socialdesk_replies_published", "Replies published on a network, by source.",
                                         ["source"], registry=registry)
        Gauge("socialdesk_leader", "1 while this replica holds the lease and runs the scheduled jobs.",
              registry=registry).set_function(lambda: 1.0 if leading() else 0.0)
        registry.register(StoredFigures(engine, clock))

    def observe_delivery(self, entry: OutboxEntry, outcome: str, result: dict | None) -> None:
        """The delivery engine's hook."""
        self.deliveries.labels(entry.kind, outcome).inc()
        if outcome == "throttled":
            self.rate_limited.labels(":".join(entry.target.split(":")[:2])).inc()
        if outcome != "delivered" or (result or {}).get("skipped"):
            return
        if entry.kind == NUDGE:
            stage = str(entry.payload.get("stage", ""))
            self.sla_nudges.labels(stage if stage in (WARN, BREACH) else "remind").inc()
        elif entry.kind == PUBLISH:
            self.replies_published.labels(entry.target.removeprefix("source:")).inc()

    def observe_poll(self, source: str, outcome: PollOutcome) -> None:
        """The poll job's hook: a poll failed when it left the source with a failure in a row."""
        self.polls.labels(source, WHOLE_SOURCE, "error" if outcome.failures else "ok").inc()
        if outcome.new:
            self.posts_ingested.labels(source).inc(outcome.new)


class StoredFigures(Collector):
    """Figures read from the database at each scrape; `socialdesk_database_up` is 0 when it cannot be read."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("socialdesk_database_up", "1 when the database answered this scrape.")
        try:
            with Session(self.engine) as session:
                figures = [*self._outbox(session), *self._sources(session), *self._model(session)]
        except Exception as error:  # noqa: BLE001 - a scrape must answer whatever the database does
            log.warning("metrics: the database cannot be read: %r", error)
            up.add_metric([], 0.0)
            yield up
            return
        up.add_metric([], 1.0)
        yield up
        yield from figures

    def _outbox(self, session: Session) -> list[Metric]:
        pending = GaugeMetricFamily("socialdesk_outbox_pending", "Entries waiting or being sent, per channel.",
                                    labels=["channel"])
        failed = GaugeMetricFamily("socialdesk_outbox_failed", "Entries that failed for good, per channel (socialdesk "
                                   "outbox retry sends chat ones again).", labels=["channel"])
        age = GaugeMetricFamily("socialdesk_outbox_oldest_pending_age_seconds", "How long the oldest pending entry "
                                "has waited, per channel.", labels=["channel"])
        now = self.clock.now()
        rows = session.exec(select(OutboxEntry.target, OutboxEntry.status, func.count(), func.min(OutboxEntry.created_at))
                            .where(OutboxEntry.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING,
                                                           OutboxStatus.FAILED)))
                            .group_by(OutboxEntry.target, OutboxEntry.status))
        waiting: dict[str, tuple[int, datetime]] = {}
        for target, status, count, oldest in rows:
            if status == OutboxStatus.FAILED:
                failed.add_metric([target], count)
                continue
            so_far, earliest = waiting.get(target, (0, oldest))
            waiting[target] = (so_far + count, min(earliest, oldest))
        for target, (count, oldest) in waiting.items():
            pending.add_metric([target], count)
            age.add_metric([target], max(0.0, (now - oldest).total_seconds()))
        return [pending, failed, age]

    def _sources(self, session: Session) -> list[Metric]:
        success = GaugeMetricFamily("socialdesk_source_last_success_timestamp_seconds", "When a poll last succeeded.",
                                    labels=["source", "feed"])
        error = GaugeMetricFamily("socialdesk_source_last_error_timestamp_seconds", "When a poll last failed.",
                                  labels=["source", "feed"])
        failing = GaugeMetricFamily("socialdesk_source_failing", "1 while the last poll of a source failed.",
                                    labels=["source", "feed"])
        for state in session.exec(select(SourceCursor)):
            labels = [state.source_name, WHOLE_SOURCE]
            if state.last_success_at:
                success.add_metric(labels, state.last_success_at.timestamp())
            if state.last_error_at:
                error.add_metric(labels, state.last_error_at.timestamp())
            down = bool(state.last_error) and (state.last_success_at is None or state.last_error_at > state.last_success_at)
            failing.add_metric(labels, 1.0 if down else 0.0)
        return [success, error, failing]

    def _model(self, session: Session) -> list[Metric]:
        tokens = CounterMetricFamily("socialdesk_llm_tokens", "Tokens of the suggestions' model calls.",
                                     labels=["model", "direction"])
        cost = CounterMetricFamily("socialdesk_llm_cost", "Cost of the model calls, in [llm] currency, at the configured "
                                   "prices.", labels=["model"])
        rows = session.exec(select(LlmUsage.model, func.sum(LlmUsage.input_tokens), func.sum(LlmUsage.output_tokens),
                                   func.sum(LlmUsage.cost)).group_by(LlmUsage.model))
        for model, input_tokens, output_tokens, spent in rows:
            tokens.add_metric([model, "input"], input_tokens or 0)
            tokens.add_metric([model, "output"], output_tokens or 0)
            cost.add_metric([model], spent or 0.0)
        return [tokens, cost]
