"""Who is an agent: the [[agents]] list, and on Discord the roles mapped in [discord] roles (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.desk.agents import _first_use, agent_for, initials_for
from handlers import dispatch
from handlers.context import Actor, Request
from storage.db import session_scope
from storage.models import Agent
from tests.auxil import factories
from tests.auxil.desk import make_runtime

GUILD, SUPPORT = "111111111111111111", "222222222222222222"
LISTED = "444444444444444444"


@pytest.fixture
def runtime(db_url, tmp_path):
    agents = [*factories.config().model_dump()["agents"],
              {"name": "Priya Shah", "initials": "PRS", "discord": LISTED}]
    runtime, _, _ = make_runtime(db_url, tmp_path, agents=agents,
                                 discord={"guild_id": GUILD, "roles": {"agent": [SUPPORT, "Support"], "lead": ["Support Lead"]}})
    yield runtime
    runtime.engine.dispose()


def lookup(runtime, user_id: str, roles=(), name="") -> tuple[str, str, str] | None:
    with session_scope(runtime.engine) as session:
        agent = agent_for(session, runtime.config, "discord", user_id, roles=roles, display_name=name)
        return (agent.name, agent.initials, agent.role) if agent else None


def test_a_mapped_role_makes_an_agent_on_first_use_by_id_or_name(runtime):
    assert lookup(runtime, "555555555555555555", roles=(SUPPORT,), name="Sam Lee") == ("Sam Lee", "SL", "agent")
    assert lookup(runtime, "666666666666666666", roles=("999", "support"), name="kim") == ("kim", "KI", "agent")
    assert lookup(runtime, "777777777777777777", roles=("Support Lead",), name="Lena Ortiz") == ("Lena Ortiz", "LO", "lead")
    with Session(runtime.engine) as session:
        assert session.exec(select(Agent).where(Agent.discord_user_id == "555555555555555555")).one().name == "Sam Lee"


def test_no_mapped_role_no_agent_and_a_revoked_role_stops_them(runtime):
    assert lookup(runtime, "555555555555555555", roles=("Moderators",), name="Sam") is None
    assert lookup(runtime, "555555555555555555", roles=(SUPPORT,), name="Sam") is not None
    assert lookup(runtime, "555555555555555555", roles=(), name="Sam") is None
    with Session(runtime.engine) as session:  # the row stays for history
        assert session.exec(select(Agent).where(Agent.discord_user_id == "555555555555555555")).one()


def test_display_names_follow_discord_but_initials_stay(runtime):
    lookup(runtime, "555555555555555555", roles=(SUPPORT,), name="Sam")
    assert lookup(runtime, "555555555555555555", roles=(SUPPORT,), name="Samuel Lee") == ("Samuel Lee", "SA", "agent")
    assert lookup(runtime, "555555555555555555", roles=(SUPPORT,)) == ("Samuel Lee", "SA", "agent")  # no name given


def test_a_listed_agent_keeps_the_configured_name_and_a_lead_role_lifts_them(runtime):
    assert lookup(runtime, LISTED, name="priya_s") == ("Priya Shah", "PRS", "agent")
    assert lookup(runtime, LISTED, roles=(SUPPORT,), name="priya_s") == ("Priya Shah", "PRS", "agent")
    assert lookup(runtime, LISTED, roles=("Support Lead",), name="priya_s") == ("Priya Shah", "PRS", "lead")


def test_slack_rules_are_unchanged(runtime):
    with session_scope(runtime.engine) as session:
        assert agent_for(session, runtime.config, "slack", "USAM").name == "Sam Lee"
        assert agent_for(session, runtime.config, "slack", "UNOBODY", roles=("Support",)) is None


def test_two_first_uses_at_once_make_one_agent(runtime):
    with session_scope(runtime.engine) as session:
        agent_for(session, runtime.config, "discord", "555555555555555555", roles=(SUPPORT,), display_name="Sam")
    with session_scope(runtime.engine) as session:  # the other request did not see that row when it looked
        agent = _first_use(session, "discord", "555555555555555555", "Sam again", "agent")
        assert agent.name == "Sam"
    with Session(runtime.engine) as session:
        assert len(session.exec(select(Agent).where(Agent.discord_user_id == "555555555555555555")).all()) == 1


async def test_a_role_agent_can_act_and_is_told_what_to_ask_for_otherwise(runtime):
    from bot.ingest.pipeline import ingest

    with session_scope(runtime.engine) as session:
        ingest(session, runtime.config, "replay", factories.post(external_id="c1"), runtime.clock.now())
    refused = await dispatch(runtime.desk, Request("claim", Actor("discord", "888888888888888888", roles=("Moderators",)), 1))
    assert not refused.ok and "Ask an admin for the discord role 222222222222222222 or Support or Support Lead" in refused.text
    taken = await dispatch(runtime.desk, Request("claim", Actor("discord", "888888888888888888", roles=("Support",),
                                                                display_name="Ana Lima"), 1))
    assert taken.ok and taken.text.startswith("#1 is yours")


@pytest.mark.parametrize("name,initials", [("Sam Lee", "SL"), ("sam_lee", "SL"), ("sam", "SA"), ("x", "X"),
                                           ("Mary Jane Watson Parker", "MJW"), ("李小龙", "李小"), ("🎉🎉", "AG"),
                                           ("élodie dupont", "ÉD")])
def test_initials_from_a_display_name(name, initials):
    assert initials_for(name) == initials
