"""The record of bulk reads of personal data in the feedback schema (services/kernel/privacy.py)."""

from __future__ import annotations

from services.kernel.privacy import PersonalDataReadBase


class PersonalDataRead(PersonalDataReadBase, table=True):
    __tablename__ = "personal_data_reads"
    __table_args__ = {"schema": "feedback"}
