{#- Filter of an incremental model whose rows carry tenant_id, source_system and `_keel_cursor_at`
    (the UTC instant of the source record's last change): keep the rows whose source record changed
    at or after the latest change this model has already built for that tenant and source; a tenant
    or source the model has not seen yet comes in whole.

    The watermarks are looked up before the query runs and written in as literals, so PostgreSQL
    pushes the filter down through the intermediate and staging views to the scans of the raw
    tables: unchanged records are never unnested or parsed. On a full build it is `true`. -#}
{% macro changed_since_last_build(tenant_column='tenant_id', source_column='source_system',
                                  cursor_column='_keel_cursor_at') -%}
    {%- if not is_incremental() -%}
        true
    {%- else -%}
        {%- set watermarks_sql -%}
            select
                {{ tenant_column }}::text || '/' || {{ source_column }} as watermark_key,
                max({{ cursor_column }})::text as built_through
            from {{ this }}
            group by 1
            order by 1
        {%- endset -%}
        {%- set watermarks = run_query(watermarks_sql) -%}
        {%- if watermarks.rows | length == 0 -%}
            true
        {%- else -%}
            {{ cursor_column }} >= case {{ tenant_column }}::text || '/' || {{ source_column }}
                {%- for row in watermarks.rows %}
                when '{{ row[0] }}' then '{{ row[1] }}'::timestamptz
                {%- endfor %}
                else '-infinity'::timestamptz
            end
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
