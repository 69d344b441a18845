"""What every handler gets: who is asking, about which conversation, and the desk to act on."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlmodel import Session

from bot.desk import Desk
from bot.desk.agents import agent_for
from bot.views import Attachment, HomeView
from storage.models import Agent, AuditEvent, Conversation


@dataclass(frozen=True)
class Actor:
    """A chat user. Platforms with roles (Discord) pass them, ids and names, with the user's display name."""

    platform: str
    user_id: str
    roles: tuple[str, ...] = ()
    display_name: str = ""


@dataclass(frozen=True)
class Request:
    """A teammate's command, already parsed out of the chat platform's payload."""

    command: str
    actor: Actor
    number: int | None = None  # the conversation number (#42)
    args: str = ""
    message_id: str | None = None  # the chat message that carried it (notes dedupe on it)
    mentioned: tuple[Actor, ...] = ()  # users mentioned in `args`, with their roles, where the platform knows them


def request_to_dict(request: Request) -> dict:
    """A request as JSON-able data, to be stored before its ack and run after a crash (`request_from_dict`)."""
    return dataclasses.asdict(request)


def request_from_dict(data: dict) -> Request:
    def actor(fields: dict) -> Actor:
        return Actor(**{**fields, "roles": tuple(fields.get("roles") or ())})

    return Request(**{**data, "actor": actor(data["actor"]), "mentioned": tuple(actor(m) for m in data.get("mentioned") or ())})


@dataclass(frozen=True)
class Outcome:
    """What to tell the teammate privately. `ok` False means nothing changed."""

    text: str
    ok: bool = True
    override: str | None = None  # a held reply: the same command's args with --anyway, for a "Publish anyway" button
    files: tuple[Attachment, ...] = ()  # to share where the command was typed (a chart, an export), under `files_note`
    files_note: str = ""
    home: HomeView | None = None  # /desk me: the agent's desk, for a platform that draws it (Discord: an embed)


FLAGS = ("--private", "--anyway")  # what may lead a reply's text


def parse_flags(args: str) -> tuple[set[str], str]:
    """Leading `--private` / `--anyway` flags, in any order, and the reply text after them."""
    flags, text = set(), args.strip()
    while (word := text.split(" ", 1)[0]) in FLAGS:
        flags.add(word)
        text = text[len(word):].strip()
    return flags, text


class Refusal(Exception):
    """Raised inside a handler to stop with a message for the teammate; nothing is changed."""


class Held(Refusal):
    """A reply held by a guard that the agent may override: `override` are the args that publish it anyway."""

    def __init__(self, message: str, override: str) -> None:
        super().__init__(message)
        self.override = override


def actor_agent(session: Session, desk: Desk, actor: Actor) -> Agent | None:
    return agent_for(session, desk.config, actor.platform, actor.user_id, roles=actor.roles,
                     display_name=actor.display_name)


def require_agent(desk: Desk, session: Session, actor: Actor, doing: str) -> Agent:
    agent = actor_agent(session, desk, actor)
    if agent is None:
        roles = desk.config.chat_role_names(actor.platform)
        ask = f"Ask an admin for the {actor.platform} role {' or '.join(roles)}, or a lead" if roles else "Ask a lead"
        raise Refusal(
            f"Only socialdesk agents can {doing}. {ask} to add you to [[agents]] in socialdesk.toml "
            f"(your {actor.platform} id is {actor.user_id})."
        )
    return agent


def require_conversation(session: Session, number: int | None, usage: str) -> Conversation:
    if number is None:
        raise Refusal(f"Which conversation? Usage: {usage}")
    conversation = session.get(Conversation, number)
    if conversation is None:
        raise Refusal(f"There is no conversation #{number}. The number is on each conversation's first message.")
    return conversation


def audit(session: Session, desk: Desk, actor: str, action: str, conversation: Conversation | None, **detail) -> None:
    session.add(AuditEvent(at=desk.clock.now(), actor=actor, action=action,
                           conversation_id=conversation.id if conversation else None, detail=detail))


def owner_name(session: Session, conversation: Conversation) -> str | None:
    owner = session.get(Agent, conversation.assignee_id) if conversation.assignee_id else None
    return owner.name if owner else None
