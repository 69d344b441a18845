"""Teammates: the config's [[agents]] mirrored into the database, looked up by chat user id."""
from __future__ import annotations

from sqlmodel import Session, select

from bot.settings import DeskConfig
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


def agent_for(session: Session, config: DeskConfig, platform: str, user_id: str) -> Agent | None:
    """The agent behind a chat user, only while they are still in the config."""
    if config.agent(platform, user_id) is None:
        return None
    return session.exec(select(Agent).where(getattr(Agent, f"{platform}_user_id") == user_id)).first()
