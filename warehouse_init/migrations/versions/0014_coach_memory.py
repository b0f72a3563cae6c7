"""``coach.sessions`` and ``coach.messages``: the coach's conversations, tenant-isolated, searchable by meaning.

- ``coach.sessions``: one conversation of one user (or of the terminal, without a user) of one tenant.
- ``coach.messages``: one row per turn (the question, the answer's text, the agents that answered, the
  facts and citations the answer stood on, as jsonb, and flags such as "the model stated an unsupported
  number") or per event of a turn (``kind = 'event'``: the verifier replaced a model's reply, a tool call
  was refused). ``embedding`` is the question's meaning as a 256-dimension vector (wordllama, shipped in
  its wheel: ``coach/embedding.py``), indexed by HNSW for cosine distance so past conversations are
  found by meaning (``coach/memory.py``). No b-tree index leads with ``tenant_id``: the planner (which
  keeps no statistics on tenant columns, see 0008) would pick it over the HNSW index for every search.

Both carry ``tenant_id``; row-level security (``app.enable_tenant_isolation``, migrations 0003 and 0008)
lets each tenant's ``keel_app`` login see and write its own rows only. The coach writes them as
``keel_app``; nobody else needs them (deleting a tenant deletes them through ``keel tenant delete``).

Revision ID: 0014
Revises: 0009
Create Date: 2026-12-06
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

#: Dimensions of the coach's embedding model (wordllama l2_supercat at 256).
EMBEDDING_DIMENSIONS = 256


def upgrade() -> None:
    op.execute("create extension if not exists vector")
    op.execute(
        """
        create table if not exists coach.sessions (
            session_id uuid primary key default gen_random_uuid(),
            tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
            user_id uuid references app.users (user_id) on delete set null,
            channel text not null default 'console' check (channel in ('console', 'terminal', 'api')),
            title text check (title is null or length(title) <= 200),
            started_at timestamptz not null default now(),
            last_active_at timestamptz not null default now(),
            unique (tenant_id, session_id)
        );
        create index if not exists sessions_tenant_user_idx
            on coach.sessions (tenant_id, user_id, last_active_at desc);
        """
    )
    op.execute(
        f"""
        create table if not exists coach.messages (
            message_id bigint generated always as identity primary key,
            tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
            session_id uuid not null,
            kind text not null default 'turn' check (kind in ('turn', 'event')),
            asked_at timestamptz not null default now(),
            question text not null check (length(question) <= 4000),
            answer_text text not null default '',
            agents text[] not null default '{{}}',
            facts jsonb not null default '{{}}'::jsonb,
            citations jsonb not null default '[]'::jsonb,
            flags jsonb not null default '{{}}'::jsonb,
            used_llm boolean not null default false,
            refused boolean not null default false,
            embedding vector({EMBEDDING_DIMENSIONS}),
            -- With the tenant in the key: a foreign-key check ignores row-level security, so a plain
            -- session_id reference would let one tenant attach rows to another tenant's session.
            foreign key (tenant_id, session_id) references coach.sessions (tenant_id, session_id)
                on delete cascade
        );
        create index if not exists messages_session_idx on coach.messages (session_id, message_id);
        create index if not exists messages_embedding_hnsw
            on coach.messages using hnsw (embedding vector_cosine_ops) with (m = 16, ef_construction = 64);
        comment on table coach.messages is
            'The coach''s turns (question, answer, facts, citations) and events (a replaced model reply, '
            'a refused tool call); embedding: the question''s meaning for search';
        """
    )
    for table in ("coach.sessions", "coach.messages"):
        op.execute(f"select app.enable_tenant_isolation('{table}')")
        op.execute(f"grant select, insert, update, delete on {table} to keel_app")


def downgrade() -> None:
    op.execute("drop table if exists coach.messages, coach.sessions cascade")
