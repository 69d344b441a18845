"""X (Twitter) through the X API v2, as a socialdesk source (`type = "x"`).

- `source.py`: `XSource` and `build`: the mentions, search and DM feeds, publishing replies and DMs,
  finding a reply already published, `verify`.
- `client.py`: the API on the wire: OAuth 1.0a signing, X's error dialect, typed payloads, snowflake ids.
- `text.py`: how X counts a post's length (twitter-text's weighted length) and where its links are.
"""
