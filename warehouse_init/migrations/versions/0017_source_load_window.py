"""``app.source_loads.provider_window``: what a provider was asked for, so an unchanged request loads nothing.

The demo provider simulates a business from a seed, a first and a last day. It writes that request here
with every load (``seed=42;start=2023-11-01;end=2026-10-31``); a refresh whose request equals the one
already loaded for every resource of a source skips the simulation and the load, records a load of no
rows (the source was checked, nothing was new) and does not count as a change downstream. Connectors
leave it null: their cursors say what is new.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        alter table app.source_loads add column if not exists provider_window text;
        comment on column app.source_loads.provider_window is
            'What the provider was asked for (the demo: seed, first and last day); null for connectors';
        """
    )


def downgrade() -> None:
    op.execute("alter table app.source_loads drop column if exists provider_window")
