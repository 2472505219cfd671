"""Durable background jobs on the box's database (SQLite; PostgreSQL for central).

Jobs are rows: a worker claims a batch with one UPDATE ... RETURNING, runs
them, and records the outcome only if it still holds them (at-least-once,
never twice at the same time). See ``queue.py`` for the state machine and
``worker.py`` for the process. The queue knows no job of its own: a
``JobRegistry`` (``registry.py``) passed to it declares the kinds it runs, and
``box.py`` declares the box's.
"""

from edge.jobs.context import JobCancelled, JobContext
from edge.jobs.registry import JobRegistry, Kind, Periodic

__all__ = ["JobCancelled", "JobContext", "JobRegistry", "Kind", "Periodic"]
