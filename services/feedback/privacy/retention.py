"""The periods of the feedback service's register it enforces itself (services/kernel/retention.py)."""

from __future__ import annotations

from services.kernel.retention import Retention

RULES = (Retention("feedback.personal_data_reads", "at < :now - interval '5 years'"),)
