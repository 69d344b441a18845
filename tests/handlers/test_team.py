"""A desk for a whole team, platform-neutral: the customer record across linked handles, the collision guard, saved
replies, tags, escalation, approvals and the lifecycle commands, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.desk.snapshots import conversation_view
from handlers import dispatch
from handlers.context import Actor
from handlers.parsing import parse_slash, parse_thread_message
from storage.models import AuditEvent, Conversation, ConversationStatus, Customer, OutboxEntry, Post, Reply, ReplyStatus
from tests.auxil import factories
from tests.auxil.desk import drain, feed, make_runtime
from tests.fakes.chat import RecordingChat

JANE, SAM, KIM, TESS = (Actor("slack", u) for u in ("UJANE", "USAM", "UKIM", "UTESS"))
AGENTS = [
    {"name": "Jane Doe", "initials": "JD", "role": "lead", "slack": "UJANE"},
    {"name": "Sam Lee", "initials": "SL", "slack": "USAM"},
    {"name": "Kim Park", "initials": "KP", "slack": "UKIM"},
    {"name": "Tess Ray", "initials": "TR", "role": "trainee", "slack": "UTESS"},
]


@pytest.fixture
def team(db_url, tmp_path):
    runtime, chat, clock = make_runtime(
        db_url, tmp_path, agents=AGENTS, approvals={"roles": ["trainee"], "tags": ["legal"]},
        escalations=[{"name": "billing", "channel": "C0BILLING", "mention": "S0BILL", "priority": "urgent"}],
        tags={"keywords": {"billing": ["refund", "charged"]}, "intents": {"bug_report": "bug"}},
        spam={"mute_for": "3d"})
    return runtime, chat, clock


async def do(runtime, line: str, actor: Actor):
    command, _, rest = line.partition(" ")
    return await dispatch(runtime.desk, parse_slash(command, rest, actor))


def texts(chat: RecordingChat) -> list[str]:
    return [getattr(sent.body, "text", "") for sent in chat.replies]


def audited(runtime) -> list[str]:
    with Session(runtime.engine) as session:
        return [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]


def view(runtime, number: int):
    with Session(runtime.engine) as session:
        return conversation_view(session, session.get(Conversation, number), "slack", runtime.config, runtime.clock.now())


async def test_history_follows_a_customer_across_linked_handles(team):
    runtime, chat, clock = team
    feed(runtime, factories.post("@acme my order never arrived", handle="carla", network="x", external_id="a1"))
    assert (await do(runtime, "/claim 1", SAM)).ok
    assert (await do(runtime, "/customer 1 note Prefers DMs; VIP since 2021", SAM)).ok
    assert (await do(runtime, "/resolve 1", SAM)).ok
    clock.advance(timedelta(days=2))
    feed(runtime, factories.post("@acme hi again, same problem", handle="carla@mastodon.social", network="mastodon",
                                 external_id="b1"))
    assert view(runtime, 2).history == "first contact"  # another network: not known to be Carla yet

    linked = await do(runtime, "/link 2 1", KIM)
    assert linked.ok and "@carla on X" in linked.text and "@carla@mastodon.social on Mastodon" in linked.text
    assert view(runtime, 2).history == "2nd conversation; last resolved 2 days ago by SL"
    record = (await do(runtime, "/customer 2", KIM)).text
    assert "#2 " in record and "#1 " in record and "Prefers DMs; VIP since 2021" in record
    assert record.index("#2 ") < record.index("#1 ")  # newest first
    by_handle = (await do(runtime, "/customer @carla x", KIM)).text
    assert "Also: @carla@mastodon.social on Mastodon" in by_handle

    feed(runtime, factories.post("@acme my order never arrived", handle="carla", network="x", external_id="a3"))
    assert view(runtime, 3).history.startswith("3rd conversation; last resolved")
    assert "also open: #2" in view(runtime, 3).history
    with Session(runtime.engine) as session:  # follower counts and history inform; they never decide priority
        assert session.get(Conversation, 3).priority == session.get(Conversation, 1).priority

    unlinked = await do(runtime, "/unlink 2", KIM)
    assert unlinked.ok and view(runtime, 2).history == "first contact"
    assert audited(runtime).count("customer.link") == 1 and "customer.unlink" in audited(runtime)


async def test_a_reply_to_a_colleagues_conversation_is_held_and_the_owner_hears(team):
    runtime, chat, clock = team
    feed(runtime, factories.post(external_id="c1"))
    await drain(runtime)
    assert (await do(runtime, "/claim 1", SAM)).ok
    held = await do(runtime, "/reply 1 Sorry, checking now!", KIM)
    assert not held.ok and "#1 is Sam Lee's — send again with --anyway to answer anyway" in held.text
    assert held.override == "--anyway Sorry, checking now!"
    await drain(runtime)
    (told,) = [s.body for s in chat.replies if "tried to answer" in getattr(s.body, "text", "")]
    assert told.text == "Kim Park tried to answer; the reply was held on #1 (it is yours)." and told.mention_chat_id == "USAM"
    with Session(runtime.engine) as session:
        assert session.exec(select(Reply)).all() == []

    sent = await do(runtime, "/reply 1 --anyway Sorry, checking now!", KIM)
    assert sent.ok and "being published" in sent.text
    await drain(runtime)
    assert any("Kim Park answered anyway on #1" in t for t in texts(chat))
    assert "reply.collision_overridden" in audited(runtime)


async def test_a_reply_moments_after_a_colleagues_is_held_until_the_window_passes(team):
    runtime, chat, clock = team
    feed(runtime, factories.post(external_id="c1"))
    assert (await do(runtime, "/reply 1 So sorry, on it!", SAM)).ok  # Sam takes it by answering
    assert (await do(runtime, "/assign 1 @kim", JANE)).ok  # and hands it to Kim right after
    clock.advance(timedelta(seconds=50))
    held = await do(runtime, "/reply 1 Hi! Kim here, looking into it.", KIM)
    assert not held.ok and "Sam Lee queued a reply to #1 under a minute ago" in held.text and "--anyway" in held.text
    clock.advance(timedelta(minutes=2))
    assert (await do(runtime, "/reply 1 Hi! Kim here, looking into it.", KIM)).ok


async def test_saved_replies_in_the_conversations_language_with_guards(team, tmp_path):
    runtime, chat, clock = team
    feed(runtime, factories.post("@acme I was charged twice, where is my refund?", handle="dan", name="Dan Rivers",
                                 external_id="en1"),
         factories.post("@acme hola, me cobraron dos veces y no llega el reembolso", handle="lucia", name="Lucía Gómez",
                        external_id="es1"))
    with Session(runtime.engine) as session:
        assert [session.get(Conversation, n).language for n in (1, 2)] == ["en", "es"]
    assert (await do(runtime, "/reply 1 :refund-delay", SAM)).ok
    assert (await do(runtime, "/reply 2 :refund-delay", KIM)).ok
    with Session(runtime.engine) as session:
        english, spanish = session.exec(select(Reply).order_by(Reply.id)).all()
    assert english.text == ("Hi Dan, Sam here, sorry for the wait! A refund reaches the card 5-10 working days after we "
                            "approve it: https://help.acme.example/refunds ^SL")
    assert spanish.text.startswith("Hola Lucía, soy Kim, ¡perdona la espera!") and spanish.text.endswith(
        "https://help.acme.example/refunds ^KP")

    listed = (await dispatch(runtime.desk, parse_thread_message("!replies", 2, KIM, "C1:1.1"))).text
    assert ":refund-delay" in listed and ":dm-us" in listed
    unknown = await do(runtime, "/reply 1 :nope", SAM)
    assert not unknown.ok and "no saved reply `nope`" in unknown.text


async def test_a_saved_reply_goes_through_the_guards_like_any_other(db_url, tmp_path):
    saved = tmp_path / "replies"
    saved.mkdir()
    (saved / "ask.toml").write_text('[text]\nen = "Hi {name}, what is your email address?"\n'
                                    'de = "Hallo {name}, wie lautet deine E-Mail-Adresse?"\n')
    (saved / "long.toml").write_text(f'[text]\nen = "{"word " * 20}"\n')
    (saved / "broken.toml").write_text('[text]\nen = "Hi {customer}"\n')
    runtime, _, _ = make_runtime(db_url, tmp_path, replies={"saved": "replies"}, sources=[
        {"name": "replay", "type": "replay", "path": "posts.jsonl", "max_length": 60}])
    feed(runtime, factories.post(external_id="g1"), factories.post("@acme Hallo, meine Bestellung ist nicht angekommen",
                                                                   handle="jonas", external_id="g2"))
    for number in (1, 2):
        held = await do(runtime, f"/reply {number} :ask", SAM if number == 1 else KIM)
        assert not held.ok and "asks for personal data" in held.text and held.override == "--anyway :ask"
    too_long = await do(runtime, "/reply 1 :long", SAM)
    assert not too_long.ok and "the network allows 60" in too_long.text
    broken = await do(runtime, "/reply 1 :broken", SAM)
    assert not broken.ok and "unknown placeholder {customer}" in broken.text
    listed = (await do(runtime, "/replies", SAM)).text
    assert ":ask — ask (de, en)" in listed and "⚠ replies/broken.toml: [text] en has an unknown placeholder" in listed


async def test_tags_are_suggested_applied_shown_and_filter_queue_and_stats(team):
    runtime, chat, clock = team
    feed(runtime, factories.post("@acme I was charged twice!", handle="dan", external_id="t1"),
         factories.post("@acme do you ship to Canada?", handle="eve", external_id="t2"))
    assert view(runtime, 1).suggested_tags == ("billing",)
    applied = await do(runtime, "/tag 1", SAM)
    assert applied.ok and "tagged billing" in applied.text
    assert (await do(runtime, "/tag 2 Shipping #canada", SAM)).ok
    assert view(runtime, 1).tags == ("billing",) and view(runtime, 1).suggested_tags == ()
    assert view(runtime, 2).tags == ("canada", "shipping")
    bad = await do(runtime, "/tag 2 <!channel>", SAM)
    assert not bad.ok and "cannot be a tag" in bad.text
    queue = (await do(runtime, "/queue tag:billing", SAM)).text
    assert queue.startswith("1 open (tag:billing)") and "#1 " in queue and "#2 " not in queue
    stats = (await do(runtime, "/stats 7d tag:shipping", SAM)).text
    assert stats.startswith("1 conversation tagged shipping in the last 7 days")
    assert "By tag:" in (await do(runtime, "/stats", SAM)).text
    assert (await do(runtime, "/untag 2 canada", SAM)).ok and view(runtime, 2).tags == ("shipping",)


async def test_escalation_sends_a_summary_and_switches_the_sla(team):
    runtime, chat, clock = team
    feed(runtime, factories.post("@acme a question about my last invoice", handle="dan", name="Dan Rivers", external_id="e1"),
         factories.post("@acme still nothing?", handle="dan", name="Dan Rivers", thread_root="e1", reply_to="e1",
                        external_id="e2", minutes=1))
    await drain(runtime)
    assert (await do(runtime, "/customer 1 note Asked for an invoice last month", SAM)).ok
    with Session(runtime.engine) as session:
        before = session.get(Conversation, 1).priority
    refused = await do(runtime, "/escalate 1 @legal why not", SAM)
    assert not refused.ok and "no expert group @legal" in refused.text and "@billing" in refused.text
    outcome = await do(runtime, "/escalate 1 @billing double charge, needs a refund decision", SAM)
    assert outcome.ok and "C0BILLING" in outcome.text
    await drain(runtime)
    (summary,) = [s for s in chat.channel_posts if s.channel == "C0BILLING"]
    body = summary.body
    assert body.group == "billing" and body.reason == "double charge, needs a refund decision" and body.by == "Sam Lee"
    assert body.customer == "@dan on Replay (Dan Rivers)" and body.history == "first contact"
    assert body.notes == ("Sam Lee: Asked for an invoice last month",) and body.mention_group_id == "S0BILL"
    assert [p.text for p in body.posts] == ["@acme a question about my last invoice", "@acme still nothing?"]
    assert any("Escalated to billing by Sam Lee" in t for t in texts(chat))
    with Session(runtime.engine) as session:
        assert session.get(Conversation, 1).priority == "urgent" != before
    assert view(runtime, 1).escalated_to == "billing"
    # the expert answers from the group's thread
    assert runtime.desk.conversation_in_thread("slack", summary.message_id) == 1
    answered = await dispatch(runtime.desk, parse_thread_message("!reply We refunded the second charge.", 1, JANE, "C0B:1"))
    assert answered.ok
    again = await do(runtime, "/escalate 1 @billing more", SAM)
    assert not again.ok and "already escalated" in again.text
    assert (await do(runtime, "/deescalate 1", SAM)).ok
    with Session(runtime.engine) as session:
        assert session.get(Conversation, 1).priority == before
    assert runtime.desk.conversation_in_thread("slack", summary.message_id) is None


async def test_a_trainees_reply_waits_for_a_lead_who_approves_edits_or_rejects(team):
    runtime, chat, clock = team
    feed(runtime, factories.post(external_id="p1"), factories.post(handle="eve", external_id="p2"))
    await drain(runtime)
    waiting = await do(runtime, "/reply 1 Sorry Carla, we are on it!", TESS)
    assert waiting.ok and "waits for a lead's approval (trainee)" in waiting.text
    await drain(runtime)
    (request,) = [s.body for s in chat.replies if type(s.body).__name__ == "ApprovalRequest"]
    assert request.author == "Tess Ray" and request.text == "Sorry Carla, we are on it! ^TR" and request.reasons == "trainee"
    with Session(runtime.engine) as session:
        assert not session.exec(select(OutboxEntry).where(OutboxEntry.kind == "source.publish")).all()
    clock.advance(timedelta(minutes=12))
    assert view(runtime, 1).awaiting_approval == "Tess Ray's reply, waiting 12 min for a lead"
    not_lead = await do(runtime, "/approve 1", SAM)
    assert not not_lead.ok and "Only leads" in not_lead.text
    assert (await do(runtime, "/approve 1", JANE)).ok
    again = await do(runtime, f"/approve 1 reply={request.reply_id}", JANE)
    assert not again.ok and "already approved by Jane Doe" in again.text
    await drain(runtime)
    assert any("Your reply was approved by Jane Doe" in t for t in texts(chat))
    (shown,) = [s for s in chat.replies if s.body == request]
    (redrawn,) = [(message_id, body) for _, message_id, body in chat.thread_updates]
    assert redrawn[0] == shown.message_id and redrawn[1].decided == "Approved by Jane Doe"  # its buttons are gone

    assert (await do(runtime, "/reply 2 Hi Eve, checking!", TESS)).ok
    edited = await do(runtime, "/approve 2 Hi Eve, checking right now!", JANE)
    assert edited.ok and "Edited and approved" in edited.text
    assert (await do(runtime, "/reply 2 One more thing", TESS)).ok
    assert (await do(runtime, "/reject 2 we already answered", JANE)).ok
    await drain(runtime)
    assert any("Your reply was rejected by Jane Doe: we already answered" in t for t in texts(chat))
    with Session(runtime.engine) as session:
        statuses = [(r.text, r.status) for r in session.exec(select(Reply).order_by(Reply.id))]
    assert statuses == [("Sorry Carla, we are on it! ^TR", ReplyStatus.PUBLISHED),
                        ("Hi Eve, checking right now! ^TR", ReplyStatus.PUBLISHED),
                        ("One more thing ^TR", ReplyStatus.REJECTED)]
    assert {"reply.awaiting_approval", "reply.approved", "reply.edited", "reply.rejected"} <= set(audited(runtime))


async def test_a_tagged_conversation_holds_an_agents_reply_but_not_a_leads(team):
    runtime, chat, clock = team
    feed(runtime, factories.post(external_id="l1"))
    assert (await do(runtime, "/tag 1 legal", SAM)).ok
    held = await do(runtime, "/reply 1 We will look into it.", SAM)
    assert held.ok and "approval (tagged legal)" in held.text
    with Session(runtime.engine) as session:
        session.exec(select(Reply)).one()  # stored, waiting
    clock.advance(timedelta(minutes=3))
    lead = await do(runtime, "/reply 1 --anyway Our legal team will contact you.", JANE)
    assert lead.ok and "being published" in lead.text


async def test_reopen_unclaim_and_spam(team):
    runtime, chat, clock = team
    feed(runtime, factories.post("Follow me for free promo codes!!", handle="spammer", external_id="s1"),
         factories.post(external_id="s2"))
    assert (await do(runtime, "/claim 2", SAM)).ok
    refused = await do(runtime, "/unclaim 2", KIM)
    assert not refused.ok and "only they or a lead" in refused.text
    assert (await do(runtime, "/unclaim 2", SAM)).ok
    with Session(runtime.engine) as session:
        conversation = session.get(Conversation, 2)
        assert conversation.assignee_id is None and conversation.status == ConversationStatus.NEW
    assert (await do(runtime, "/resolve 2", SAM)).ok
    assert (await do(runtime, "/reopen 2", SAM)).ok
    with Session(runtime.engine) as session:
        assert session.get(Conversation, 2).status == ConversationStatus.NEW

    spam = await do(runtime, "/spam 1", KIM)
    assert spam.ok and "3 days" in spam.text
    feed(runtime, factories.post("More promo codes!!", handle="spammer", external_id="s3"))
    await drain(runtime)
    with Session(runtime.engine) as session:
        muted = session.exec(select(Conversation).where(Conversation.id == 3)).one()
        assert muted.status == ConversationStatus.RESOLVED and muted.intent == "spam"
        assert session.exec(select(Post).where(Post.external_id == "s3")).one()  # stored: nothing is lost
    assert all(p.body.number != 3 for p in chat.parents)  # but never shown in chat
    assert "Spam: 1 conversation marked with /spam · 1 post of muted authors kept out of chat." in \
        (await do(runtime, "/stats", SAM)).text
    clock.advance(timedelta(days=3, minutes=1))
    feed(runtime, factories.post("hello, real question", handle="spammer", external_id="s4"))
    with Session(runtime.engine) as session:
        assert session.get(Conversation, 4).status == ConversationStatus.NEW
    assert (await do(runtime, "/reopen 1", SAM)).ok
    with Session(runtime.engine) as session:
        assert session.exec(select(Customer).where(Customer.handle == "spammer")).one().muted_until is None


async def test_escalating_to_a_channel_as_slack_escapes_it(team):
    runtime, chat, clock = team
    feed(runtime, factories.post(external_id="h1"))
    outcome = await do(runtime, "/escalate 1 <#C0EXPERTS|app-experts> crash on login, logs attached", SAM)
    assert outcome.ok and "escalated to app-experts" in outcome.text
    await drain(runtime)
    (summary,) = [s for s in chat.channel_posts if s.channel == "C0EXPERTS"]
    assert summary.body.group == "app-experts" and summary.body.mention_group_id is None
    with Session(runtime.engine) as session:  # a channel has no policy: the SLA keeps running as it was
        assert session.get(Conversation, 1).priority == "high"
    unknown = await do(runtime, "/escalate 1 experts please", SAM)
    assert not unknown.ok and "Name a group (@billing) or a channel (#experts)" in unknown.text
