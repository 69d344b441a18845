"""Ingest: posts in from the sources, stored once, each joined to its conversation.

- `poller.py`: pages a source from its stored cursor, storing each page with the new cursor.
- `ahead.py`: during a backlog, a worker process enriches the next page while the poller stores this one.
- `pipeline.py`: post -> dedupe -> conversation -> enrichment -> store -> chat messages and suggestions.
- `stream.py`: `store_posts`, what the poller and the streams share (the pipeline, then incident grouping),
  and `follow`, which keeps a streaming source (Mastodon) connected, with polls as its backfill.
- `incidents.py`: near-duplicate new conversations of a channel grouped into incidents (a surge in one message).
- `health.py`: how each source is doing; `alerts.py`: telling the team when a source fails and recovers.
- `normalise.py`: a post's values made storable on both databases; `quarantine.py`: posts that still cannot be
  parsed or stored, set aside so the rest of the page goes on.
"""
