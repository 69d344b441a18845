"""Chat: one package per platform, each implementing the chat port (bot/ports.py) for the desk.

- `slack/` and `discord/`: `start.py` (connect), `inbound.py` (payloads -> handler requests),
  `outbound.py` (views -> platform calls), `render.py` (how each view looks), plus what the
  platform alone needs (`discord/held.py`, `discord/check.py`, `slack/check.py`).
- `console.py`: the terminal as a chat platform, for `socialdesk demo`.
- `text.py`: what both platforms' renderers share: fitting text to a field (cut between graphemes, after
  escaping), a readable head of a long post, URLs from the internet rebuilt or dropped.
- `recovery.py`: running, after a restart, the commands acknowledged before it and never run.
Only these packages import a chat SDK.
"""
