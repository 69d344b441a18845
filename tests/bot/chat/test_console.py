"""The demo's chat: a conversation's panel says when it is due the way a person reads it, in the team's zone."""
from datetime import timedelta

import pytest
from rich.console import Console

from bot.chat.console import ConsoleChat
from bot.views import ConversationView
from tests.auxil.clock import FakeClock


def view(**overrides) -> ConversationView:
    clock = FakeClock()
    fields = dict(number=42, network="x", author_handle="carla", author_name="Carla Diaz", url="https://x.com/carla/status/1",
                  text="my order never arrived [bold]x[/]", language="en", sentiment="negative", intent="complaint",
                  priority="urgent", status="new", due_at=clock.now() + timedelta(minutes=14), owner_name=None,
                  owner_chat_id=None, has_pii=False)
    return ConversationView(**{**fields, **overrides})


async def panel(view: ConversationView, zone: str = "UTC", clock: FakeClock | None = None) -> str:
    console = Console(record=True, width=200, highlight=False)
    chat = ConsoleChat(console, clock or FakeClock(), zone)
    await chat.post_conversation("#social-desk", view, "conv:42:open")
    return " ".join(console.export_text().split())


@pytest.mark.parametrize("minutes,zone,due", [
    (14, "UTC", "due in 14 min (09:14 UTC)"),
    (24 * 60, "UTC", "due tomorrow 09:00 UTC"),
    (3 * 24 * 60, "Europe/Berlin", "due Thu 5 Nov 10:00 CET"),
    (-5, "UTC", "overdue by 5 min (08:55 UTC)"),
])
async def test_the_panel_says_when_it_is_due_as_a_person_reads_it(minutes, zone, due):
    clock = FakeClock()
    text = await panel(view(due_at=clock.now() + timedelta(minutes=minutes)), zone, clock)
    assert f"urgent · {due} · new" in text and "[bold]x[/]" in text


async def test_snoozed_and_answered():
    clock = FakeClock()
    snoozed = await panel(view(status="snoozed", due_at=None, snoozed_until=clock.now() + timedelta(hours=24)), clock=clock)
    assert "snoozed until tomorrow 09:00 UTC · snoozed" in snoozed
    assert "answered · new" in await panel(view(due_at=None))
