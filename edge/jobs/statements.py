"""The hot-path statements of the queue, built once per dialect.

A worker claims and completes jobs in a loop: building a SQLAlchemy statement
with fifty literal values costs more than running it, so these are made once
with bound parameters (the compiled form is then cached by SQLAlchemy) and
executed with the values of each batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import (
    BigInteger,
    Insert,
    Integer,
    Select,
    Text,
    Update,
    and_,
    bindparam,
    func,
    insert,
    select,
    update,
)

from edge.jobs.models import PENDING, Job, JobQueueState, JobState

J = Job.__table__  # type: ignore[attr-defined]
Q = JobQueueState.__table__  # type: ignore[attr-defined]

HELD = and_(
    J.c.state == JobState.EXECUTING.value,
    J.c.holder_pid == bindparam("pid"),
    J.c.holder_boot == bindparam("boot"),
    J.c.holder_host == bindparam("host"),
)
"""Rows executing under the worker named by ``pid``, ``boot`` and ``host``."""


@dataclass(frozen=True)
class Statements:
    """Prepared statements of one dialect."""

    rooms: Select[str, bool, int]
    """(queue, paused, free slots) of the ``queues`` (expanding)."""
    lock_queues: Select[str] | None
    """PostgreSQL: lock the rows of ``queues`` (claims of one queue serialise)."""
    claim: Update
    """Take up to ``room`` due jobs of ``b_queue`` for the holder; RETURNING what runs them."""
    complete: Update
    """Mark held jobs completed with their results: on PostgreSQL the arrays ``ids``,
    ``attempts``, ``results``; on SQLite one parameter set per job (``b_id``, ``b_attempt``,
    ``b_result``)."""
    enqueue: Insert
    """Insert job rows (one, or many at once), RETURNING their ids."""
    add_queue: Insert
    """Insert the row of queue ``name`` (defaults) unless it exists."""


@cache
def statements(postgres: bool) -> Statements:
    """The statements for PostgreSQL (``FOR UPDATE SKIP LOCKED``) or SQLite."""
    # Each dialect's module is loaded for its own statements: a box's processes (SQLite)
    # do without PostgreSQL's (~2 MB resident in each).
    if postgres:
        from sqlalchemy.dialects.postgresql import ARRAY
        from sqlalchemy.dialects.postgresql import insert as insert_new
    else:
        from sqlalchemy.dialects.sqlite import insert as insert_new  # type: ignore[assignment]
    running = (
        select(func.count())
        .where(J.c.state == JobState.EXECUTING.value, J.c.queue == Q.c.name)
        .scalar_subquery()
    )
    rooms = (
        select(Q.c.name, Q.c.paused, Q.c.concurrency - running)
        .where(Q.c.name.in_(bindparam("queues", expanding=True)))
        .order_by(Q.c.name)
    )
    due = (
        select(J.c.id)
        .where(
            J.c.queue == bindparam("b_queue"),
            J.c.state.in_([s.value for s in PENDING]),
            J.c.scheduled_at_us <= bindparam("now"),
        )
        .order_by(J.c.priority, J.c.scheduled_at_us, J.c.id)
        .limit(bindparam("room", type_=Integer))
    )
    lock_queues = None
    if postgres:
        due = due.with_for_update(skip_locked=True)
        lock_queues = (
            select(Q.c.name)
            .where(Q.c.name.in_(bindparam("queues", expanding=True)))
            .order_by(Q.c.name)
            .with_for_update()
        )
    claim = (
        update(J)
        .where(J.c.id.in_(due.scalar_subquery()))
        .values(
            state=JobState.EXECUTING.value,
            attempt=J.c.attempt + 1,
            attempted_us=bindparam("now"),
            cancel_requested=False,
            holder_host=bindparam("host"),
            holder_boot=bindparam("boot"),
            holder_pid=bindparam("pid"),
            holder_start=bindparam("start"),
            heartbeat_mono_us=bindparam("mono"),
            heartbeat_us=bindparam("now"),
        )
        .returning(J.c.id, J.c.kind, J.c.queue, J.c.payload, J.c.attempt, J.c.max_attempts)
    )
    done = {
        "state": JobState.COMPLETED.value,
        "progress": 100,
        "finished_us": bindparam("now"),
        "holder_pid": None,
    }
    if postgres:
        # One statement for the batch: the (id, attempt, result) rows as arrays.
        batch = (
            func.unnest(
                bindparam("ids", type_=ARRAY(BigInteger)),
                bindparam("attempts", type_=ARRAY(Integer)),
                bindparam("results", type_=ARRAY(Text)),
            )
            .table_valued("id", "attempt", "result", name="batch")
            .render_derived()
        )
        complete = (
            update(J)
            .where(J.c.id == batch.c.id, J.c.attempt == batch.c.attempt, HELD)
            .values(result=batch.c.result, **done)
        )
    else:
        # Executed with one parameter set per job (sqlite3's executemany: one call, and its
        # rowcount is the total).
        complete = (
            update(J)
            .where(J.c.id == bindparam("b_id"), J.c.attempt == bindparam("b_attempt"), HELD)
            .values(result=bindparam("b_result"), **done)
        )
    add_queue = (
        insert_new(Q)
        .values(name=bindparam("name"), paused=False, concurrency=bindparam("concurrency"))
        .on_conflict_do_nothing()
    )
    return Statements(rooms, lock_queues, claim, complete, insert(J).returning(J.c.id), add_queue)
