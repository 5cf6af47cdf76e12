"""The catalogue's register of processing: what personal data it keeps (docs/privacy.md)."""

from __future__ import annotations

from services.kernel.privacy import BY_ERASURE, Processing, reads_processing

PUBLIC_TASK = "GDPR art. 6(1)(e): the municipality's task as employer to develop its leaders"

REGISTER = (
    Processing(
        data="Entra object id of each employee with the facts that decide what they may enrol in (whether "
        "they lead, their units and leader groups)",
        subjects="Employees the enrolment service announces",
        purpose="Telling each reader of the catalogue whether they may enrol",
        basis=PUBLIC_TASK,
        retention="While the enrolment service lists the person; removed when they leave or their data is "
        "erased",
        enforced_by=BY_ERASURE,
        stored_in=["catalog.audience"],
    ),
    Processing(
        data="Entra object id of the coordinator who created, changed, published or archived an offering "
        "or session",
        subjects="Coordinators",
        purpose="Accountability for the catalogue: who changed what, and when",
        basis=PUBLIC_TASK,
        retention="As long as the offering exists; pseudonymised when the coordinator's data is erased",
        enforced_by=BY_ERASURE,
        stored_in=["catalog.changes", "catalog.offerings"],
    ),
    Processing(
        data="Names, organisations and roles of an offering's facilitators (internal consultants, external "
        "experts)",
        subjects="Facilitators",
        purpose="Telling participants who leads an offering",
        basis=PUBLIC_TASK,
        retention="As long as the offering exists",
        enforced_by=None,
        stored_in=["catalog.offerings"],
    ),
    reads_processing("catalog"),
)

# Tables that hold no personal data, and why.
NO_PERSONAL_DATA = {
    "catalog.offering_kinds": "kinds of offering",
    "catalog.themes": "themes",
    "catalog.offering_themes": "which themes an offering carries",
    "catalog.sessions": "dates, places and seat counts",
    "catalog.search_words": "the words the offerings use",
}
