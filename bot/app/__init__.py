"""The app: start-up and wiring, the top floor.

- `cli.py`: the `socialdesk` command (demo, run, check, db, outbox).
- `runtime.py`: one process wired together (storage, sources, desk, outbox and its effects, lease).
- `jobs.py`: the scheduled jobs (polls, streams, outbox, SLA sweep, digest, purge), run by the lease holder.
- `memory.py`: the malloc arena limit a long run needs to keep its memory level, and the garbage collector's
  thresholds.
- `lease.py`: which replica runs the jobs; `checks.py`: `socialdesk check`; `demo.py`: `socialdesk demo`.
"""
