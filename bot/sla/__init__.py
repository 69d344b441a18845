"""SLA: response-time targets and the nudges that keep them.

- `policy.py`: targets measured the team's way (business time, quiet hours, reminder rhythm);
  `business_time.py`: adding working hours to a moment.
- `clocks.py`: the clocks of a conversation (first response, next response, resolution).
- `sweep.py`: queues the warnings, breaches and reminders that are due; `nudges.py`: what they say.
"""
