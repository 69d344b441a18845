"""The figures as a picture, for /stats and the daily digest: one PNG of four panels.

Conversations by hour of the day (the team's time zone), first-response times against their target
(median per priority, the target beside it), first responses on time and late by network, and by
agent. Drawn with matplotlib's object API on its Agg canvas: no display, no global pyplot state, so
it is safe in a worker thread. matplotlib is imported when a chart is drawn (it takes a second or
so), not when the bot starts.
"""
from __future__ import annotations

import io
import statistics
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

from bot.reports.figures import Measured, StatsContext, measured
from bot.reports.tally import UNASSIGNED
from bot.sla.clocks import FIRST
from bot.vocabulary import PRIORITIES

MET, MISSED, TARGET = "#2e7d32", "#c62828", "#90a4ae"
VOLUME = "#1d3b53"
DPI = 100


def chart_png(ctx: StatsContext) -> bytes:
    """The four panels of the window's figures as a PNG."""
    from matplotlib.figure import Figure

    first = [clock for clock in measured(ctx) if clock.kind == FIRST]
    figure = Figure(figsize=(11, 7.5), dpi=DPI, layout="constrained")
    figure.suptitle(f"socialdesk · {len(first)} conversations {ctx.window.label}", fontsize=13)
    by_hour, times, networks, agents = figure.subplots(2, 2).flat
    _by_hour(by_hour, first, ctx.config.sla.timezone)
    _against_target(times, first)
    _on_time(networks, first, lambda clock: clock.network, "First responses by network")
    _on_time(agents, first, lambda clock: clock.agent, "First responses by agent")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _by_hour(axes, first: list[Measured], zone: str) -> None:
    from matplotlib.ticker import MaxNLocator

    tz = ZoneInfo(zone)
    counts = Counter(clock.started_at.astimezone(tz).hour for clock in first if clock.started_at)
    hours = list(range(24))
    axes.bar(hours, [counts.get(hour, 0) for hour in hours], color=VOLUME)
    axes.set_title(f"Conversations by hour ({zone})")
    axes.set_xticks(range(0, 24, 3))
    axes.set_xlabel("hour of the day")
    axes.set_ylabel("conversations")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))


def _against_target(axes, first: list[Measured]) -> None:
    """Median first-response time per priority, in hours, with the priority's target beside it."""
    answered: dict[str, list[float]] = defaultdict(list)
    targets: dict[str, float] = {}
    for clock in first:
        if clock.target is not None:
            targets.setdefault(clock.priority, clock.target.total_seconds() / 3600)
        if clock.response_time is not None:
            answered[clock.priority].append(clock.response_time.total_seconds() / 3600)
    shown = [priority for priority in PRIORITIES if priority in targets]
    positions = range(len(shown))
    medians = [statistics.median(answered[p]) if answered[p] else 0.0 for p in shown]
    colours = [MET if median <= targets[p] else MISSED for p, median in zip(shown, medians, strict=True)]
    axes.bar([x - 0.2 for x in positions], medians, width=0.4, color=colours, label="median first response")
    axes.bar([x + 0.2 for x in positions], [targets[p] for p in shown], width=0.4, color=TARGET, label="target")
    axes.set_xticks(list(positions), [f"{p}\n({len(answered[p])} answered)" for p in shown])
    axes.set_title("First-response time against the target")
    axes.set_ylabel("hours (business time where it counts)")
    if shown:
        axes.legend(loc="upper left", fontsize=8)
    else:
        axes.text(0.5, 0.5, "no conversations", ha="center", va="center", transform=axes.transAxes)


def _on_time(axes, first: list[Measured], key, title: str) -> None:
    """Stacked bars: first responses on time and late (or overdue), per group."""
    from matplotlib.ticker import MaxNLocator

    met: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    for clock in first:
        if clock.verdict == "met":
            met[key(clock)] += 1
        elif clock.verdict == "missed":
            missed[key(clock)] += 1
    names = sorted(set(met) | set(missed), key=lambda name: (name == UNASSIGNED, name.lower()))
    axes.bar(names, [met[name] for name in names], width=0.5, color=MET, label="on time")
    axes.bar(names, [missed[name] for name in names], width=0.5, bottom=[met[name] for name in names], color=MISSED,
             label="late or overdue")
    axes.set_title(title)
    axes.set_ylabel("first responses")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlim(-0.75, max(len(names), 2) - 0.25)
    if names:
        axes.legend(loc="upper right", fontsize=8)
        axes.tick_params(axis="x", labelrotation=20)
    else:
        axes.text(0.5, 0.5, "nothing due yet", ha="center", va="center", transform=axes.transAxes)
