"""The periods of the catalog service's register it enforces itself (services/kernel/retention.py)."""

from __future__ import annotations

from services.kernel.retention import Retention

RULES = (Retention("catalog.personal_data_reads", "at < :now - interval '5 years'"),)
