"""Suggested replies: offline templates, a language model, and what the model cost.

- `requests.py`: asking for suggestions (the outbox's background lane `llm`) and showing them.
- `maker.py`: working a request: context, the model or the templates, storing the result.
- `templates.py`: the offline suggester (prompts/suggestions/<lang>.toml), the floor that always works.
- `model.py`: the OpenAI-compatible model, with its guards; `usage.py`: tokens and cost for /stats.
- `saved.py`: the team's saved replies (prompts/replies/), in the conversation's language.
"""
