{#- The k of the peer benchmarks' k-anonymity (var benchmark_min_peers, dbt_project.yml), checked:
    below 3 the micro-aggregation could not hide one tenant's value in a cluster of others. -#}
{% macro benchmark_min_peers() -%}
    {%- set value = var('benchmark_min_peers') -%}
    {%- if value is not number and not (value | string).isdigit() -%}
        {{ exceptions.raise_compiler_error("var benchmark_min_peers must be a whole number, got " ~ value) }}
    {%- endif -%}
    {%- if value | int < 3 -%}
        {{ exceptions.raise_compiler_error(
            "var benchmark_min_peers must be at least 3 (a published group must hide each tenant among "
            ~ "others), got " ~ value) }}
    {%- endif -%}
    {{- value | int -}}
{%- endmacro %}

{#- A published number rounded to `digits` significant digits: exact values are not needed to compare
    a business with its peers, and rounding keeps sums of published figures from pinning down one
    tenant's value. -#}
{% macro round_significant(expression, digits=3) -%}
    case
        when ({{ expression }}) is null or ({{ expression }}) = 0 then ({{ expression }})::numeric
        else round(
            ({{ expression }})::numeric,
            ({{ digits }} - 1 - floor(log(abs(({{ expression }})::numeric))))::integer
        )
    end
{%- endmacro %}

{#- The largest share of a cluster's absolute total that one member may make up before a figure from
    that cluster is withheld (var benchmark_max_member_share, dbt_project.yml), checked: above 0.5 one
    member could be most of a published mean. -#}
{% macro benchmark_max_member_share() -%}
    {%- set value = var('benchmark_max_member_share') | float -%}
    {%- if value <= 0 or value > 0.5 -%}
        {{ exceptions.raise_compiler_error(
            "var benchmark_max_member_share must be above 0 and at most 0.5, got " ~ value) }}
    {%- endif -%}
    {{- value -}}
{%- endmacro %}
