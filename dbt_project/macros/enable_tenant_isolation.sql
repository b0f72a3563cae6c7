{#- Post-hook of every model: row-level security for relations with a tenant column (any column named in
    app.tenant_columns) in the schemas the app and analysts read (marts, metrics, benchmarks). The policy
    compares that column with app.current_tenant_id(), the tenant of the session's login role; the
    warehouse's event trigger does the same where it could be installed, and this covers servers where the
    migrating user was not a superuser. Only relations this role owns are touched: tables created by
    migrations (metrics.business_metrics_daily) got their policies there, and only their owner may change them. -#}
{% macro enable_tenant_isolation() -%}
    {%- if model.config.get('materialized') != 'ephemeral'
        and this.schema in ['marts', 'metrics', 'benchmarks'] -%}
        select app.enable_tenant_isolation(c.oid::regclass)
        from pg_catalog.pg_class as c
        where
            c.oid = to_regclass('{{ this }}')
            and pg_catalog.pg_has_role(current_user, c.relowner, 'USAGE')
            and exists (
                select 1
                from pg_catalog.pg_attribute as a
                where
                    a.attrelid = c.oid
                    and a.attname in (select t.column_name from app.tenant_columns as t)
                    and not a.attisdropped
            )
    {%- endif -%}
{%- endmacro %}
