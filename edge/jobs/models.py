"""Tables of the job queue (on the edge schema; central creates the same tables)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, Index, Integer
from sqlmodel import AutoString, Field, SQLModel


class JobState(StrEnum):
    """Where a job stands."""

    SCHEDULED = "scheduled"  # waits for its scheduled_at
    AVAILABLE = "available"  # may be claimed now
    EXECUTING = "executing"  # held by a worker
    RETRYABLE = "retryable"  # failed; waits for its backoff
    COMPLETED = "completed"
    DISCARDED = "discarded"  # failed max_attempts times; errors kept
    CANCELLED = "cancelled"


class Cause(StrEnum):
    """Why an attempt ended without completing (``cause`` of an entry of ``Job.errors``)."""

    RAISED = "raised"  # the job raised an error
    INTERRUPTED = "interrupted"  # its worker died or hung (rescued): a crash, not the job's fault


ROW_ID = BigInteger().with_variant(Integer(), "sqlite")
"""BIGINT on PostgreSQL; INTEGER on SQLite, where only that makes the rowid autoincrement."""

PENDING = (JobState.SCHEDULED, JobState.AVAILABLE, JobState.RETRYABLE)
UNFINISHED = (*PENDING, JobState.EXECUTING)


class Job(SQLModel, table=True):
    """One unit of background work."""

    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_claim", "state", "queue", "priority", "scheduled_at_us"),
        Index("ix_job_unique_key", "unique_key"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=ROW_ID)
    kind: str
    queue: str = "default"
    priority: int = 0  # lower runs first
    state: JobState = Field(default=JobState.AVAILABLE, sa_type=AutoString)
    payload: str = "{}"
    result: str | None = None
    errors: str = "[]"  # JSON list of {attempt, at_us, error, cause} (cause: a Cause)
    attempt: int = 0
    max_attempts: int = 5
    unique_key: str | None = None
    progress: int = 0
    stage: str = ""
    cancel_requested: bool = False
    scheduled_at_us: int = Field(sa_type=BigInteger)
    created_us: int = Field(sa_type=BigInteger)
    attempted_us: int | None = Field(default=None, sa_type=BigInteger)
    finished_us: int | None = Field(default=None, sa_type=BigInteger)
    # Who holds it: the lease is judged without the wall clock (see lease.py).
    holder_host: str | None = None
    holder_boot: str | None = None
    holder_pid: int | None = None
    holder_start: int | None = Field(default=None, sa_type=BigInteger)
    heartbeat_mono_us: int | None = Field(default=None, sa_type=BigInteger)
    heartbeat_us: int | None = Field(default=None, sa_type=BigInteger)


class JobLog(SQLModel, table=True):
    """A line a job logged; the id is the cursor log readers resume from."""

    __tablename__ = "job_log"

    id: int | None = Field(default=None, primary_key=True, sa_type=ROW_ID)
    job_id: int = Field(index=True, sa_type=BigInteger)
    at_us: int = Field(sa_type=BigInteger)
    level: str = "info"
    message: str


class JobQueueState(SQLModel, table=True):
    """A named queue: paused or not, and how many of its jobs may run at once."""

    __tablename__ = "job_queue"

    name: str = Field(primary_key=True)
    paused: bool = False
    concurrency: int = 10


class WorkerBeat(SQLModel, table=True):
    """A worker process and its last heartbeat."""

    __tablename__ = "job_worker"

    id: str = Field(primary_key=True)  # host:boot:pid:start
    host: str
    pid: int
    queues: str
    concurrency: int
    status: str = "running"  # running | draining | stopped
    running: int = 0
    started_us: int = Field(sa_type=BigInteger)
    heartbeat_us: int = Field(sa_type=BigInteger)
