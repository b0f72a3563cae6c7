{#- A decimal amount (a Shopify money string, a QuickBooks JSON number) as numeric(14, 2). -#}
{% macro to_money(expression) -%}
    round(({{ expression }})::numeric, 2)::numeric(14, 2)
{%- endmacro %}
