"""Bluesky (the AT Protocol) as a socialdesk source (`type = "bluesky"`).

- `source.py`: `BlueskySource` and `build`: sweeping notifications and keyword searches from a
  watermark, threads, publishing a reply record, finding one already published, `verify`.
- `client.py`: XRPC calls to the brand's PDS: the session (login, refresh), XRPC's error dialect.
- `text.py`: Bluesky's text rules: graphemes and bytes, facets, a reply's record key, post URLs.

The atproto SDK (`atproto_client`) is imported here and nowhere else in the bot.
"""
