{#- The business's calendar day of a UTC instant: days are counted in the tenant's own time zone. -#}
{% macro local_date(timestamp_column, timezone_column) -%}
    ({{ timestamp_column }} at time zone {{ timezone_column }})::date
{%- endmacro %}
