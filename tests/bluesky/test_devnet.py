"""socialdesk against the real AT Protocol reference servers: a PDS and the Bluesky AppView on loopback.

A brand and a customer account are created on the PDS; the customer mentions the brand and
posts about it without the @; socialdesk picks both up into chat threads; an agent's `/reply`
goes through the handlers and the outbox; and the reply is checked on the network itself
(`getPostThread`): under the customer's post, with the right root, parent and facets.
"""
from __future__ import annotations

import random
import string
import time
from datetime import UTC, datetime

import httpx
import pytest
from sqlmodel import Session, select

from bot.app.runtime import Runtime
from bot.clock import SystemClock
from bot.desk.publishing import PUBLISH
from bot.ingest.poller import poll_once
from bot.sources import build_source
from bot.sources.base import OutboundReply
from handlers import dispatch
from handlers.context import Actor, Request
from storage.models import Conversation, Customer, OutboxEntry, Post, Reply, ReplyStatus
from tests.auxil import factories
from tests.auxil.desk import drain
from tests.fakes.chat import RecordingChat

LOGIN_DEADLINE = 30.0  # a fresh account may not log in at once


class Account:
    """A user of the PDS, driven over XRPC as a Bluesky app would."""

    def __init__(self, pds: str, handle: str, password: str = "hunter2-hunter2") -> None:
        self.http = httpx.AsyncClient(base_url=pds, timeout=30)
        self.handle, self.password = handle, password
        self.name = handle.split(".")[0].capitalize()  # unique: the tests share one network
        self.hashtag = f"#{self.name.lower()}help"
        self.did = ""
        self.headers: dict[str, str] = {}

    async def create(self) -> Account:
        answer = await self.http.post("/xrpc/com.atproto.server.createAccount", json={
            "handle": self.handle, "email": f"{self.handle}@example.com", "password": self.password})
        assert answer.status_code == 200, answer.text
        self.did = answer.json()["did"]
        deadline = time.monotonic() + LOGIN_DEADLINE
        while True:
            session = await self.http.post("/xrpc/com.atproto.server.createSession",
                                           json={"identifier": self.handle, "password": self.password})
            if session.status_code == 200 or time.monotonic() > deadline:
                break
            await _pause()
        assert session.status_code == 200, session.text
        self.headers = {"Authorization": f"Bearer {session.json()['accessJwt']}"}
        return self

    async def app_password(self) -> str:
        answer = await self.http.post("/xrpc/com.atproto.server.createAppPassword", json={"name": "socialdesk"},
                                      headers=self.headers)
        assert answer.status_code == 200, answer.text
        return answer.json()["password"]

    async def post(self, text: str, *, mention: Account | None = None, reply: dict | None = None) -> dict:
        record = {"$type": "app.bsky.feed.post", "text": text,
                  "createdAt": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")}
        if mention:
            start = text.encode().index(f"@{mention.handle}".encode())
            record["facets"] = [{"index": {"byteStart": start, "byteEnd": start + len(mention.handle) + 1},
                                 "features": [{"$type": "app.bsky.richtext.facet#mention", "did": mention.did}]}]
        if reply:
            record["reply"] = reply
        answer = await self.http.post("/xrpc/com.atproto.repo.createRecord", headers=self.headers, json={
            "repo": self.did, "collection": "app.bsky.feed.post", "record": record})
        assert answer.status_code == 200, answer.text
        return answer.json()  # uri and cid

    async def get(self, nsid: str, **params) -> dict:
        answer = await self.http.get(f"/xrpc/{nsid}", params=params, headers=self.headers)
        assert answer.status_code == 200, answer.text
        return answer.json()


async def _pause() -> None:
    import asyncio

    await asyncio.sleep(0.5)


def unique(prefix: str) -> str:
    return prefix + "".join(random.choices(string.ascii_lowercase, k=6)) + ".test"


@pytest.fixture
async def accounts(devnet):
    brand = await Account(devnet.pds, unique("acmedesk")).create()
    carla = await Account(devnet.pds, unique("carla")).create()
    yield brand, carla
    for account in (brand, carla):
        await account.http.aclose()


def runtime_for(db_url, tmp_path, devnet, brand: Account, monkeypatch, **source) -> tuple[Runtime, RecordingChat]:
    monkeypatch.setenv("BLUESKY_HANDLE", brand.handle)
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", brand.password)
    config = factories.config(
        brand={"name": brand.name, "handles": [brand.handle], "misspellings": [brand.name + "e"],
               "hashtags": [brand.hashtag]},
        sources=[{"name": "bluesky", "type": "bluesky", "base_url": devnet.pds, "backfill": "1h", **source}])
    runtime = Runtime(config, database_url=db_url, base_dir=tmp_path, clock=SystemClock())
    chat = RecordingChat()
    runtime.add_chat(chat)
    return runtime, chat


async def test_mention_and_keyword_reach_chat_and_the_reply_lands_in_the_thread(db_url, tmp_path, devnet, accounts,
                                                                                  monkeypatch):
    brand, carla = accounts
    brand.password = await brand.app_password()  # socialdesk logs in with an app password, as the README says
    mention = await carla.post(f"@{brand.handle} my order never arrived 📦", mention=brand)
    keyword = await carla.post(f"Is {brand.name} down again? Nothing loads")
    devnet.sync()
    runtime, chat = runtime_for(db_url, tmp_path, devnet, brand, monkeypatch)
    source = runtime.sources["bluesky"]

    assert await poll_once(runtime.engine, runtime.config, source, runtime.clock) == 2
    await drain(runtime)
    with Session(runtime.engine) as session:
        kinds = {p.external_id: p.kind for p in session.exec(select(Post))}
        number = session.exec(select(Conversation.id).where(Conversation.thread_root_id == mention["uri"])).one()
    assert kinds == {mention["uri"]: "mention", keyword["uri"]: "keyword"}
    assert len(chat.parents) == 2  # two conversations, each a chat thread
    assert any("my order never arrived" in str(parent.body) for parent in chat.parents)

    text = f"Sorry 😟 @{carla.handle}! ありがとう — status: https://acme.example/status?id=1 {brand.hashtag}"
    outcome = await dispatch(runtime.desk, Request("reply", Actor("slack", "USAM"), number, text))
    assert outcome.ok, outcome.text
    await drain(runtime)
    with Session(runtime.engine) as session:
        reply = session.exec(select(Reply)).one()
        key = session.exec(select(OutboxEntry.key).where(OutboxEntry.kind == PUBLISH)).one()
    assert reply.status == ReplyStatus.PUBLISHED, reply.error
    devnet.sync()

    thread = (await carla.get("app.bsky.feed.getPostThread", uri=mention["uri"]))["thread"]
    (answer,) = thread["replies"]
    record = answer["post"]["record"]
    assert answer["post"]["uri"] == reply.external_id
    assert answer["post"]["author"]["did"] == brand.did
    assert record["text"] == f"{text} ^SL"
    assert (record["reply"]["root"]["uri"], record["reply"]["root"]["cid"]) == (mention["uri"], mention["cid"])
    assert (record["reply"]["parent"]["uri"], record["reply"]["parent"]["cid"]) == (mention["uri"], mention["cid"])
    encoded = record["text"].encode()
    spans = {encoded[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode(): f["features"][0] for f in record["facets"]}
    assert spans[f"@{carla.handle}"]["did"] == carla.did
    assert spans["https://acme.example/status?id=1"]["uri"] == "https://acme.example/status?id=1"
    assert spans[brand.hashtag]["tag"] == brand.hashtag[1:]

    # The record key comes from the outbox key: publishing again finds the post instead of making a second one.
    again = await source.publish_reply(OutboundReply(key=key, text="x", in_reply_to=mention["uri"],
                                                     thread_root_id=mention["uri"], customer_handle=carla.handle))
    assert again.external_id == reply.external_id
    assert len((await brand.get("com.atproto.repo.listRecords", repo=brand.did, collection="app.bsky.feed.post"))["records"]) == 1

    # The customer answers the brand: a reply notification, in the same conversation and chat thread.
    follow_up = await carla.post("Thanks! Order 1234", reply={
        "root": {"uri": mention["uri"], "cid": mention["cid"]},
        "parent": {"uri": answer["post"]["uri"], "cid": answer["post"]["cid"]}})
    devnet.sync()
    assert await poll_once(runtime.engine, runtime.config, source, runtime.clock) == 1
    await drain(runtime)
    with Session(runtime.engine) as session:
        post = session.exec(select(Post).where(Post.external_id == follow_up["uri"])).one()
    assert (post.kind, post.conversation_id, post.reply_to_id) == ("reply", number, answer["post"]["uri"])
    assert len(chat.parents) == 2

    # The customer adds to her own first post: the AppView notifies nobody, the thread read after the poll finds it.
    own = await carla.post("Also: it was sent to Lisbon", reply={
        "root": {"uri": mention["uri"], "cid": mention["cid"]}, "parent": {"uri": mention["uri"], "cid": mention["cid"]}})
    devnet.sync()
    notified = await brand.get("app.bsky.notification.listNotifications", limit=50)
    assert own["uri"] not in {n["uri"] for n in notified["notifications"]}
    assert await poll_once(runtime.engine, runtime.config, source, runtime.clock) == 1
    with Session(runtime.engine) as session:
        post = session.exec(select(Post).where(Post.external_id == own["uri"])).one()
        customer = session.get(Customer, post.customer_id)
    assert (post.kind, post.conversation_id, post.reply_to_id) == ("reply", number, mention["uri"])
    assert (customer.handle, customer.account_id) == (carla.handle, carla.did)
    await runtime.close()


async def test_a_restart_in_the_middle_of_paging_resumes_without_gap_or_duplicate(tmp_path, devnet, accounts,
                                                                                  monkeypatch):
    brand, carla = accounts
    posted = [(await carla.post(f"@{brand.handle} problem {n}", mention=brand))["uri"] for n in range(5)]
    devnet.sync()
    runtime, _ = runtime_for(f"sqlite:///{tmp_path / 'desk.db'}", tmp_path, devnet, brand, monkeypatch,
                             page_size=2, keywords=[])
    first = runtime.sources["bluesky"]
    page = await first.poll(None)  # the newest two
    assert page.has_more and len(page.posts) == 2
    await first.close()  # the process dies with that page and its cursor stored

    restarted = build_source(runtime.config.sources[0], tmp_path, runtime.clock, brand=runtime.config.brand)
    seen = [p.external_id for p in page.posts]
    cursor = page.cursor
    while True:
        page = await restarted.poll(cursor)
        seen += [p.external_id for p in page.posts]
        cursor = page.cursor
        if not page.has_more:
            break
    assert sorted(seen) == sorted(posted) and len(seen) == len(set(seen))
    later = await carla.post(f"@{brand.handle} and another thing", mention=brand)
    devnet.sync()
    page = await restarted.poll(cursor)
    assert [p.external_id for p in page.posts] == [later["uri"]]
    await restarted.close()
    await runtime.close()
