"""What a teammate can do: one module per command, each a plain async function `run(desk, request) -> Outcome`.

`COMMANDS` is the one declaration of them: the chat packages build their slash commands, `!`
commands, help and Discord descriptions from it, and `socialdesk manifest` the Slack app manifest
(regenerate slack-manifest.yml after adding one).
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.desk import Desk
from handlers import (
    approve,
    assign,
    claim,
    customer,
    desk,
    escalate,
    incident,
    lifecycle_commands,
    link,
    note,
    queue,
    replies,
    reply,
    reply_all,
    resolve,
    resolve_all,
    sla,
    snooze,
    stats,
    suggest,
    tag,
)
from handlers.context import Held, Outcome, Refusal, Request

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Command:
    name: str
    run: Callable[[Desk, Request], Awaitable[Outcome]]
    usage: str
    summary: str  # one line for help and Discord (at most 100 characters there)
    needs_number: bool = False  # takes a conversation number (implied inside the conversation's thread)
    typed: bool = True  # False: not typed as a command (a note is any other thread message)


COMMANDS = {command.name: command for command in (
    Command("claim", claim.run, claim.USAGE, "Take ownership of a conversation.", needs_number=True),
    Command("assign", assign.run, assign.USAGE, "Hand a conversation to a teammate.", needs_number=True),
    Command("reply", reply.run, reply.USAGE, "Answer the customer on the network, signed with your initials.",
            needs_number=True),
    Command("resolve", resolve.run, resolve.USAGE, "Close a conversation (a later post by the customer opens a new one).",
            needs_number=True),
    Command("note", note.run, "Any thread message that is not a command", "An internal note, never published.",
            needs_number=True, typed=False),
    Command("queue", queue.run, queue.USAGE, "The open conversations, the most pressing first, with time left and owner."),
    Command("desk", desk.run, desk.USAGE, "How each source is doing, and who runs the scheduled jobs."),
    Command("suggest", suggest.run, suggest.USAGE, "New suggested replies for the customer's latest post.",
            needs_number=True),
    Command("snooze", snooze.run, snooze.USAGE, "Put a conversation aside; its SLA clocks pause.", needs_number=True),
    Command("sla", sla.run, sla.USAGE, "The response-time policy in a few lines, and how today is going."),
    Command("stats", stats.run, stats.USAGE, "Response times, response rate and SLA attainment, by agent and network."),
    Command("reopen", lifecycle_commands.reopen, lifecycle_commands.REOPEN_USAGE, "Open a resolved conversation again.",
            needs_number=True),
    Command("unclaim", lifecycle_commands.unclaim, lifecycle_commands.UNCLAIM_USAGE,
            "Give a conversation up: nobody owns it, it is back in the unowned queue.", needs_number=True),
    Command("spam", lifecycle_commands.spam, lifecycle_commands.SPAM_USAGE,
            "Close a conversation as spam and mute its author for a while.", needs_number=True),
    Command("customer", customer.run, customer.USAGE,
            "The customer record: handles, past conversations, notes, tags; `note …` adds a note."),
    Command("link", link.link, link.USAGE, "Join two conversations' customers into one person (across networks).",
            needs_number=True),
    Command("unlink", link.unlink, link.UNLINK_USAGE, "Take a conversation's customer out of a linked person.",
            needs_number=True),
    Command("tag", tag.tag, tag.USAGE, "Tag a conversation (no words: take the suggested tags).", needs_number=True),
    Command("untag", tag.untag, tag.UNTAG_USAGE, "Remove tags from a conversation.", needs_number=True),
    Command("escalate", escalate.escalate, escalate.USAGE,
            "Hand a conversation to an expert group or channel, with a summary.", needs_number=True),
    Command("deescalate", escalate.deescalate, escalate.DEESCALATE_USAGE, "Take a conversation back from its expert group.",
            needs_number=True),
    Command("replies", replies.run, replies.USAGE, "The saved replies (for a conversation: those that fit it)."),
    Command("approve", approve.approve, approve.APPROVE_USAGE, "Lead: publish a reply waiting for approval (edited, maybe).",
            needs_number=True),
    Command("reject", approve.reject, approve.REJECT_USAGE, "Lead: reject a reply waiting for approval, saying why.",
            needs_number=True),
    Command("reply-all", reply_all.run, reply_all.USAGE, "Answer every open conversation of an incident (I7), each "
            "customer personally."),
    Command("resolve-all", resolve_all.run, resolve_all.USAGE, "Resolve every open conversation of an incident (I7)."),
    Command("incident", incident.run, incident.USAGE,
            "What an incident (I7) holds; `remove 42` takes one out, `merge I8` joins I8 in."),
)}
TYPED = {name: command for name, command in COMMANDS.items() if command.typed}  # slash and ! commands


async def dispatch(desk: Desk, request: Request) -> Outcome:
    """Run the command; a refusal comes back as an outcome that changed nothing."""
    command = COMMANDS.get(request.command)
    if command is None:
        return Outcome(f"Unknown command {request.command!r}. Try: {', '.join(TYPED)}.", ok=False)
    try:
        return await command.run(desk, request)
    except Held as held:
        return Outcome(str(held), ok=False, override=held.override)
    except Refusal as refusal:
        return Outcome(str(refusal), ok=False)
    except Exception as error:  # the teammate is told, whatever broke: nothing they type is dropped silently
        log.exception("%s by %s:%s failed", request.command, request.actor.platform, request.actor.user_id)
        return Outcome(f"socialdesk failed to run {request.command}: {error.__class__.__name__}. Nothing was changed. "
                       "Try again; if it keeps happening, tell whoever runs socialdesk (the details are in its log).",
                       ok=False)
