{#- A raw table as a subquery of exactly the columns its source YAML declares, cast to the declared
    types. Staging models read sources only through this macro.

    A tenant connects the sources it has, and dlt creates a table or column only once a record
    carried it; a table or column not there yet reads as NULLs (no rows), so a warehouse with only
    Shopify connected, or a resource that never had a record, still builds end to end. -#}
{% macro keel_source(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not execute -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set node = graph.sources.values()
        | selectattr('source_name', 'equalto', source_name)
        | selectattr('name', 'equalto', table_name)
        | first -%}
    {%- set declared = node.columns.values() | list -%}
    {%- if declared | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "source " ~ source_name ~ "." ~ table_name ~ " declares no columns: staging reads declared columns only") }}
    {%- endif -%}
    {%- set existing = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
    {%- set present = [] -%}
    {%- if existing is not none -%}
        {%- for column in adapter.get_columns_in_relation(existing) -%}
            {%- do present.append(column.name | lower) -%}
        {%- endfor -%}
    {%- endif -%}
    (
        select
            {%- for column in declared %}
            {% if column.name in present -%}
                {{ adapter.quote(column.name) }}::{{ column.data_type }}
            {%- else -%}
                null::{{ column.data_type }}
            {%- endif %} as {{ adapter.quote(column.name) }}{{ "," if not loop.last }}
            {%- endfor %}
        {% if existing is not none -%}
        from {{ relation }}
        {%- else -%}
        from (select 1) as not_loaded_yet
        where false
        {%- endif %}
    )
{%- endmacro %}
