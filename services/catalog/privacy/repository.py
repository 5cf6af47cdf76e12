"""SQL for access requests: everything the catalogue holds about one person (by Entra object id)."""

from __future__ import annotations

from services.kernel.privacy import reads_queries, subject_sql

# Category -> the rows about the person (`:oid`).
SUBJECT = {
    "audience": subject_sql("SELECT facts FROM catalog.audience WHERE entra_oid = {oid}"),
    "offering_changes": subject_sql(
        """SELECT c.offering_id, o.title AS offering, c.session_id, c.action, c.at
            FROM catalog.changes c LEFT JOIN catalog.offerings o ON o.id = c.offering_id
            WHERE c.actor_oid = {oid} ORDER BY c.at, c.id"""
    ),
    "offerings_made_or_edited": subject_sql(
        """SELECT id, title, created_by_oid = {oid} AS created, updated_by_oid = {oid} AS last_edited
            FROM catalog.offerings WHERE created_by_oid = {oid} OR updated_by_oid = {oid}
            ORDER BY created_at"""
    ),
    **reads_queries("catalog"),
}
