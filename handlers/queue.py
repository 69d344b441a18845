"""/queue [mine|unowned] [urgent…] [x…] [tag:billing…] [page 2]: the open conversations, the most pressing first,
with time left and owner.

The database filters, sorts and pages (LIMIT/OFFSET), so a queue of thousands stays quick; only one
page of rows ever reaches Python.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlmodel import Session

from bot.desk import Desk, tags
from bot.sources import TYPES
from bot.vocabulary import PRIORITIES
from bot.wording import count, day_time, plain, time_left
from handlers.context import Outcome, Refusal, Request, require_agent
from storage.models import Conversation
from storage.queries import PRESSING_FIRST, count_open, open_conversations

SHOWN = 20  # conversations a page
OWNERS = ("mine", "unowned")
NETWORKS = tuple(sorted(TYPES))
ALIASES = {"twitter": "x"}
USAGE = f"/queue [{'|'.join(OWNERS)}] [{'|'.join(PRIORITIES)}] [{'|'.join(NETWORKS)}] [tag:billing] [page 2]"


@dataclass(frozen=True)
class Wanted:
    """Which part of the queue a teammate asked for, typed back in one order by `filters` and `command`."""

    owner: str | None = None  # "mine" or "unowned"
    priorities: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    page: int = 1
    tags: tuple[str, ...] = ()

    def filters(self) -> str:
        """'mine urgent x tag:billing'; '' for the whole queue."""
        return " ".join([*filter(None, [self.owner]), *self.priorities, *self.networks, *(f"tag:{t}" for t in self.tags)])

    def command(self, page: int) -> str:
        """How to type page `page` of the same view: '`/queue mine urgent page 2`'."""
        return "`" + " ".join(filter(None, ["/queue", self.filters(), f"page {page}" if page > 1 else ""])) + "`"


def parse(args: str) -> Wanted:
    """Read `/queue`'s words; anything unknown is refused with what is accepted, so nothing typed is ignored."""
    owner, page = None, None
    priorities: set[str] = set()
    networks: set[str] = set()
    tagged: set[str] = set()
    words = iter(args.lower().split())
    for word in words:
        word = ALIASES.get(word, word)
        if word in OWNERS:
            if owner and owner != word:
                raise Refusal("`mine` and `unowned` exclude each other: choose one.")
            owner = word
        elif word in PRIORITIES:
            priorities.add(word)
        elif word in NETWORKS:
            networks.add(word)
        elif word.startswith("tag:"):
            tagged.update(tag_filter(word))
        elif word == "page":
            number = next(words, "")
            if not number.isdigit() or int(number) < 1 or page is not None:
                raise Refusal("`page` takes one page number after it, like `/queue page 2`.")
            page = int(number)
        elif word.isdigit():
            raise Refusal(f"For page {word} of the queue, type `/queue page {word}`.")
        else:
            shown = plain(word)[:40].replace("`", "")
            raise Refusal(f"/queue doesn't know `{shown}`; nothing was listed. Usage: {USAGE}, "
                          "in any order and combined, e.g. `/queue mine urgent`.")
    return Wanted(owner, tuple(p for p in PRIORITIES if p in priorities), tuple(sorted(networks)), page or 1,
                  tuple(sorted(tagged)))


def tag_filter(word: str) -> list[str]:
    """`tag:billing` -> ['billing'] (also /stats and the digest); a bad tag is refused with what a tag looks like."""
    try:
        found = tags.normalize(word.removeprefix("tag:"))
    except tags.BadTag as error:
        raise Refusal(str(error)) from None
    if not found:
        raise Refusal("`tag:` needs a tag after it, like `tag:billing`.")
    return found


async def run(desk: Desk, request: Request) -> Outcome:
    wanted = parse(request.args)
    with desk.session() as session:
        agent_id = require_agent(desk, session, request.actor, "see the queue").id
    return Outcome(await asyncio.to_thread(_listing, desk, wanted, agent_id))


def _listing(desk: Desk, wanted: Wanted, agent_id: int) -> str:
    now = desk.clock.now()
    where = _conditions(wanted, agent_id)
    with Session(desk.engine) as session:
        total = count_open(session, *where)
        if not total:
            return _nothing(wanted, count_open(session) if wanted.filters() else 0)
        pages = -(-total // SHOWN)
        if wanted.page > pages:
            return (f"There is no page {wanted.page}: {total} open{_scope(wanted)} fit on {count(pages, 'page')}. "
                    f"The last: {wanted.command(pages)}")
        offset = (wanted.page - 1) * SHOWN
        rows = session.exec(open_conversations(*where).order_by(*PRESSING_FIRST).offset(offset).limit(SHOWN)).all()
    paging = f", page {wanted.page} of {pages}" if pages > 1 else ""
    lines = [f"{total} open{_scope(wanted)}, most pressing first{paging}:"]
    for conversation, customer, owner in rows:
        if conversation.snoozed_until:
            when = f"snoozed until {day_time(conversation.snoozed_until, desk.config.sla.timezone, now)}"
        else:
            when = time_left(conversation.response_due_at, now)
        lines.append(
            f"#{conversation.id} {conversation.priority} · {when} · {conversation.network} "
            f"@{plain(customer.handle)} · {conversation.status.replace('_', ' ')} · "
            f"{owner.name if owner else 'nobody'}"
        )
    more = total - offset - len(rows)
    if more:
        lines.append(f"…and {more} more: {wanted.command(wanted.page + 1)}")
    return "\n".join(lines)


def _conditions(wanted: Wanted, agent_id: int) -> list:
    where = []
    if wanted.owner == "mine":
        where.append(Conversation.assignee_id == agent_id)
    elif wanted.owner == "unowned":
        where.append(Conversation.assignee_id.is_(None))
    if wanted.priorities:
        where.append(Conversation.priority.in_(wanted.priorities))
    if wanted.networks:
        where.append(Conversation.network.in_(wanted.networks))
    if wanted.tags:
        where.append(tags.tagged(wanted.tags))
    return where


def _scope(wanted: Wanted) -> str:
    return f" ({wanted.filters()})" if wanted.filters() else ""


def _nothing(wanted: Wanted, open_in_all: int) -> str:
    if not open_in_all:
        return "The queue is empty: every conversation is resolved."
    return (f"Nothing open matches `{wanted.filters()}`; "
            f"{open_in_all} open in all: `/queue` lists them.")
