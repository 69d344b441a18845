"""The offline `replay` source (`type = "replay"`): posts from a JSONL file, replies appended to another.

- `source.py`: `ReplaySource` and `build`. It has no network behind it, so no client and no text rules
  of its own: it counts length in characters.
"""
