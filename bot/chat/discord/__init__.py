"""Discord: `start.py` logs in and keeps the gateway up, `inbound.py` turns application commands, buttons,
modals and thread messages into handler requests, `outbound.py` is the chat port over the REST API,
`render.py` writes embeds and components, `held.py` keeps replies a guard held for "Publish anyway",
and `check.py` is `socialdesk check` for Discord. The only package that imports discord.py.
"""
