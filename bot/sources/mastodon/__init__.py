"""Mastodon (and GoToSocial, Takahē, Pleroma, Akkoma) as a socialdesk source (`type = "mastodon"`).

- `source.py`: `MastodonSource` and `build`: polling the feeds, threads, publishing with an
  idempotency key, finding a reply already published, `verify`.
- `client.py`: the REST API: typed entities, pages with their Link header, the scopes a refusal needs.
- `text.py`: status HTML to plain text, and how the instance counts a status's length.
- `feeds.py`: the feeds (mentions, hashtag timelines, search, the brand's threads) and how each pages
  from its cursor without a gap or a duplicate.
"""
