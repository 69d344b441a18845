"""Chat: one package per platform, each implementing the chat port (bot/ports.py) for the desk.

- `slack/` and `discord/`: `start.py` (connect), `inbound.py` (payloads -> handler requests),
  `outbound.py` (views -> platform calls), `render.py` (how each view looks), plus what the
  platform alone needs (`discord/held.py`, `discord/check.py`).
- `console.py`: the terminal as a chat platform, for `socialdesk demo`.
Only these packages import a chat SDK.
"""
