"""The catalogue's part of an erasure: it knows people by their object id only (audience facts, who
changed what, who read what)."""

from __future__ import annotations

from services.kernel.erasure import erasure_sql, erasure_subscription, reads_statement

STATEMENTS = [
    erasure_sql("DELETE FROM catalog.audience WHERE entra_oid = :oid"),
    erasure_sql("UPDATE catalog.changes SET actor_oid = :pseudo WHERE actor_oid = :oid"),
    erasure_sql(
        """UPDATE catalog.offerings
           SET created_by_oid = CASE WHEN created_by_oid = :oid THEN :pseudo ELSE created_by_oid END,
               updated_by_oid = CASE WHEN updated_by_oid = :oid THEN :pseudo ELSE updated_by_oid END
           WHERE created_by_oid = :oid OR updated_by_oid = :oid"""
    ),
    erasure_sql(reads_statement("catalog")),
]
ERASURES = erasure_subscription("catalog", STATEMENTS)
