"""/replies [N]: the team's saved replies (prompts/replies/); with a conversation (or `!replies` in its thread), only
those that fit its intent and language. `/reply N :name` sends one."""
from __future__ import annotations

from sqlmodel import Session

from bot.desk import Desk
from bot.suggest import saved
from handlers.context import Actor, Outcome, Refusal, Request, require_agent, require_conversation
from storage.models import Agent, Conversation, Customer

USAGE = "/replies [42]"


async def run(desk: Desk, request: Request) -> Outcome:
    words = request.args.strip().lstrip("#")
    number = int(words) if words.isdigit() else request.number
    if words and not words.isdigit():
        raise Refusal(f"/replies takes a conversation number or nothing. Usage: {USAGE}")
    with desk.session() as session:
        require_agent(desk, session, request.actor, "see the saved replies")
        conversation = require_conversation(session, number, USAGE) if number else None
    found, problems = saved.load_all(desk.saved_replies_dir)
    if conversation is not None:
        found = [r for r in found if r.fits(conversation.intent, conversation.language)]
    lines = [_line(r, conversation) for r in found]
    if not lines:
        where = f" for #{conversation.id} ({conversation.intent.replace('_', ' ')}, {conversation.language})" \
            if conversation else ""
        lines = [f"No saved replies{where}. Add one file per reply to {desk.saved_replies_dir} (README: Saved replies)."]
    else:
        head = f"Saved replies for #{conversation.id}:" if conversation else "Saved replies:"
        lines = [head, *lines, f"Send one with `/reply {conversation.id if conversation else 42} :name`."]
    lines += [f"⚠ {problem}" for problem in problems]
    return Outcome("\n".join(lines))


def _line(reply: saved.SavedReply, conversation: Conversation | None) -> str:
    languages = ", ".join(sorted(reply.texts))
    fits = f" · {', '.join(i.replace('_', ' ') for i in reply.intents)}" if reply.intents and not conversation else ""
    return f"• :{reply.name} — {reply.title} ({languages}){fits}"


def expand_saved(desk: Desk, session: Session, conversation: Conversation, agent: Agent, text: str) -> str:
    """`:refund-delay` -> the saved reply's text for this conversation; any other text stays as it is."""
    if not text.startswith(":") or " " in text.strip():
        return text
    try:
        reply = saved.find(desk.saved_replies_dir, text[1:].strip())
        customer = session.get(Customer, conversation.customer_id)
        return saved.render(reply, conversation.language, customer_name=customer.display_name or customer.handle,
                            agent_name=agent.name, brand=desk.config.brand.name,
                            links=saved.links(_read(desk.knowledge_path)))
    except saved.SavedReplyError as error:
        raise Refusal(f"{error} Nothing was sent.") from None


def _read(path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def fitting(desk: Desk, number: int) -> list[saved.SavedReply]:
    """The saved replies the Reply… modal offers for #number: those of its intent and language."""
    with Session(desk.engine) as session:
        conversation = session.get(Conversation, number)
    if conversation is None:
        return []
    return [r for r in saved.load_all(desk.saved_replies_dir)[0] if r.fits(conversation.intent, conversation.language)]


def rendered(desk: Desk, number: int, name: str, actor: Actor) -> str:
    """A saved reply's text for #number as `actor` would send it (to edit in the modal before sending)."""
    with Session(desk.engine) as session:
        conversation = require_conversation(session, number, USAGE)
        agent = require_agent(desk, session, actor, "use saved replies")
        return expand_saved(desk, session, conversation, agent, f":{name}")
