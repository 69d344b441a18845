"""What the language model cost: lines for /stats from the `llmusage` table."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import distinct, func
from sqlmodel import Session, select

from bot.wording import count
from storage.models import LlmUsage


def usage_lines(session: Session, since: datetime, currency: str = "USD", until: datetime | None = None) -> list[str]:
    """Model calls from `since` (until `until`): one line per model and, with more than one, a total; [] when none."""
    within = [LlmUsage.at >= since] + ([LlmUsage.at < until] if until else [])
    rows = session.exec(
        select(LlmUsage.model, func.count(), func.count(distinct(LlmUsage.conversation_id)),
               func.sum(LlmUsage.input_tokens), func.sum(LlmUsage.output_tokens), func.sum(LlmUsage.cost))
        .where(*within).group_by(LlmUsage.model).order_by(LlmUsage.model)
    ).all()
    lines = [f"Model {model}: {count(calls, 'call')} on {count(conversations, 'conversation')}, {tokens_in:,} tokens in, "
             f"{tokens_out:,} out, {cost:.2f} {currency}" for model, calls, conversations, tokens_in, tokens_out, cost in rows]
    if len(rows) > 1:
        conversations = session.exec(select(func.count(distinct(LlmUsage.conversation_id))).where(*within)).one()
        total = sum(row[5] for row in rows)
        lines.append(f"Model cost in all: {total:.2f} {currency} on {count(conversations, 'conversation')}")
    return lines
