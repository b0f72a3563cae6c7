{#- Models land in the schema they name (staging, marts, metrics, benchmarks), not in
    <target schema>_<name>: the warehouse's roles and grants are set per schema by warehouse_init. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
