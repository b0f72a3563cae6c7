"""Files: one resource per kind of upload, merged on the tenant and the kind's key.

An owner's file is a snapshot of their records, not a change feed: the same rows come again in the next
export, corrected or not. So every kind merges on its key (a corrected file updates the rows it
changes), and the cursor is the upload's own time (``_uploaded_at``): each upload is newer than the last.
"""

from __future__ import annotations

from ingestion.sources.files.kinds import KINDS
from ingestion.sources.spec import MERGE_MUTABLE, ResourceSpec, tenant_resource

SOURCE = "files"
CURSOR_FIELD = "_uploaded_at"

RESOURCES: tuple[ResourceSpec, ...] = tuple(
    tenant_resource(
        SOURCE,
        kind.name,
        kind.key,
        CURSOR_FIELD,
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (the next export repeats the rows; a corrected file updates them by key)",
        (),
        kind.description,
    )
    for kind in KINDS.values()
)

RESOURCES_BY_KIND: dict[str, ResourceSpec] = {spec.name: spec for spec in RESOURCES}
