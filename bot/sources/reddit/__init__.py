"""Reddit as a socialdesk source (`type = "reddit"`).

- `source.py`: `RedditSource` and `build`: the inbox, subreddit-comment and search feeds, a Thing
  as an `InboundPost` (thread root, reply-to, URL), publishing comments and messages, finding a
  reply already published, `verify`.
- `client.py`: Reddit on the wire: OAuth for a "script" app, Listings of Things (the typed
  payloads), and Reddit's `json.errors` refusals as `SourceError`s.
- `text.py`: an agent's plain text made safe as Reddit markdown, and Reddit's length rule.
"""
