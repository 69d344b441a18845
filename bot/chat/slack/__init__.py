"""Slack: `start.py` connects (Socket Mode or HTTP), `inbound.py` turns slash commands, buttons, the reply
modal and thread messages into handler requests, `outbound.py` is the chat port over the Web API, and
`render.py` writes Block Kit. The only package that imports slack_sdk and slack_bolt.
"""
