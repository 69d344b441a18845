"""Teammates: the config's [[agents]] mirrored into the database, looked up by chat user id.

On platforms with roles (Discord), holding a role mapped in the config also makes someone an
agent or a lead: their Agent row is created on first use, named after their display name.
"""
from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.settings import DeskConfig
from bot.wording import cut, plain
from storage.models import Agent

PLATFORMS = ("slack", "discord", "console")


def sync_agents(session: Session, config: DeskConfig) -> None:
    """Upsert every configured agent (matched by a chat id, else by name); removed agents stay for history."""
    for configured in config.agents:
        agent = _match(session, configured)
        if agent is None:
            agent = Agent(name=configured.name, initials=configured.initials)
            session.add(agent)
        agent.name = configured.name
        agent.initials = configured.initials
        agent.role = configured.role
        for platform in PLATFORMS:
            setattr(agent, f"{platform}_user_id", getattr(configured, platform, None))
    session.flush()


def _match(session: Session, configured) -> Agent | None:
    for platform in PLATFORMS:
        user_id = getattr(configured, platform, None)
        if user_id:
            found = session.exec(select(Agent).where(getattr(Agent, f"{platform}_user_id") == user_id)).first()
            if found:
                return found
    return session.exec(select(Agent).where(Agent.name == configured.name)).first()


NAME_LIMIT = 64  # characters of a chat display name kept as an agent's name


def agent_for(session: Session, config: DeskConfig, platform: str, user_id: str, *,
              roles: tuple[str, ...] = (), display_name: str = "") -> Agent | None:
    """The agent behind a chat user: listed in [[agents]], or holding a chat role the config maps (checked every time).

    A listed agent keeps the name and initials of the config; their role is the higher of the config's and the
    mapped chat role's. Anyone else with a mapped role is an agent by that role, under their current display name.
    """
    configured = config.agent(platform, user_id)
    mapped = config.chat_role(platform, roles)
    if configured is None and mapped is None:
        return None
    column = getattr(Agent, f"{platform}_user_id")
    agent = session.exec(select(Agent).where(column == user_id)).first()
    if configured is not None:
        if agent is not None:
            agent.role = "lead" if "lead" in (configured.role, mapped) else configured.role
        return agent
    shown = cut(plain(display_name), NAME_LIMIT)  # a chat nickname is anyone's to choose: no markup, no bidi controls
    if agent is None:
        agent = _first_use(session, platform, user_id, shown or f"{platform} user {user_id}", mapped)
    elif shown:
        agent.name = shown
    agent.role = mapped
    return agent


def _first_use(session: Session, platform: str, user_id: str, name: str, role: str) -> Agent:
    """Create the Agent row of someone acting by chat role; a concurrent first use of the same user wins the race."""
    agent = Agent(name=name, initials=initials_for(name), role=role, **{f"{platform}_user_id": user_id})
    try:
        with session.begin_nested():
            session.add(agent)
    except IntegrityError:
        return session.exec(select(Agent).where(getattr(Agent, f"{platform}_user_id") == user_id)).one()
    return agent


def initials_for(name: str) -> str:
    """'Sam Lee' -> 'SL', 'sam_lee' -> 'SL', 'sam' -> 'SA', '李小龙' -> '李小'; replies are signed with them."""
    words = [w for w in re.split(r"[\W_]+", name) if w]
    if not words:
        return "AG"
    letters = "".join(w[0] for w in words[:3]) if len(words) > 1 else words[0][:2]
    return letters.upper()
