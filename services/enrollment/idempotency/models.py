"""Idempotency keys: a request's claim on a key and, once it succeeded, its stored result."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from services.kernel.models import TableBase, server_timestamp


class IdempotencyKey(TableBase, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = {"schema": "enrollment"}

    owner_oid: str = Field(primary_key=True, max_length=64)
    route: str = Field(primary_key=True, max_length=200)
    key: str = Field(primary_key=True, max_length=255)
    request_hash: str
    status_code: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    response: Any | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    locked_until: datetime = Field(sa_type=DateTime(timezone=True))
    # The process holding an open claim (services.kernel.presence): gone, and the claim is taken over.
    holder_pid: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    holder_started: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime | None = server_timestamp()
