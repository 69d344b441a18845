"""Ingest: posts in from the sources, stored once, each joined to its conversation.

- `poller.py`: pages a source from its stored cursor, storing each page with the new cursor.
- `pipeline.py`: post -> dedupe -> conversation -> enrichment -> store -> chat messages and suggestions.
- `health.py`: how each source is doing; `alerts.py`: telling the team when a source fails and recovers.
"""
