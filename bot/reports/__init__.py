"""Reports: what the team and its leads read about the desk.

- `figures.py`: response times, response rate and SLA attainment (for /stats, /sla and the digest).
- `tally.py`: those figures counted and grouped: whole past days, hours and five-minute slots from the kept rows of
  `rollup.py` (counted by a job every minute, response times as the histograms of `histogram.py`), the rest by the
  database.
- `digest.py`: the daily digest in a channel; `retention.py`: customers' texts removed after their use.
- `home.py`: each agent's own desk (Slack's App Home tab, `/desk me`), redrawn after changes.
"""
