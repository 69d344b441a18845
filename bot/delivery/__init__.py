"""Delivery: the durable outbox that every effect on the outside world goes through, exactly once.

Mechanics only: `queue` stores an entry under a key that makes queueing it twice a no-op;
`engine` claims due entries with a lease, paces each target (`pace`), retries and records the
outcome; `chat` holds what every chat effect shares (post once, wait for the thread's parent);
`admin` lists and requeues failed deliveries; `compaction` forgets what delivered entries no longer
need. What an entry *means* (the kinds and their effects) is decided by the wing that queues it:
bot/desk/messages.py, bot/desk/publishing.py, bot/sla/nudges.py and bot/suggest/requests.py register
them with the engine at start-up.
"""
