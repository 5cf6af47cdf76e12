"""SQL for access requests: everything the catalogue holds about one person (by Entra object id)."""

from __future__ import annotations

from services.kernel.privacy import subject_sql

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
    "reads_by_them": subject_sql(
        """SELECT at, purpose, cardinality(subject_ids) + cardinality(subject_oids) AS people
            FROM catalog.personal_data_reads WHERE reader_oid = {oid} ORDER BY at"""
    ),
    "reads_about_them": subject_sql(
        """SELECT at, purpose, reader_oid FROM catalog.personal_data_reads
            WHERE {oid} = ANY(subject_oids) ORDER BY at"""
    ),
}
