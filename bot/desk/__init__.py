"""The desk: the domain every chat platform shares.

- `desk.py`: the `Desk` handed to handlers and chat adapters (the database, the config, the
  clock, the sources' length rules, and the few lookups chat needs).
- `lifecycle.py`: the conversation lifecycle, the only place a conversation's status changes.
- `messages.py`: a conversation's chat messages (parent, customer posts, notices, updates) as
  outbox kinds; `publishing.py`: a reply published on the network.
- `incidents.py`: a surge's conversations shown by one incident message (folding, leaving, its outbox kinds).
- `snapshots.py`: the views chat shows, built from the database when delivered.
- `agents.py`: teammates and their roles; `guards.py`: what the brand may say in public;
  `events.py`: inbound chat events acted on once across replicas.
- `customers.py`: the customer record (linked handles, history, notes, mute); `tags.py`: tags;
  `collisions.py`: the collision guard and who is composing; `approvals.py`: replies held for a lead.
"""
from bot.desk.desk import Desk

__all__ = ["Desk"]
