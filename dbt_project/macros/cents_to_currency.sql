{#- Stripe (and any API that counts in minor units) to currency units, as numeric(14, 2): the one place
    money is converted. Zero-decimal currencies (ISO 4217 exponent 0) are counted in whole units. -#}
{% macro cents_to_currency(amount_column, currency_column=none) -%}
    {%- if currency_column is none -%}
        ({{ amount_column }}::numeric / 100)::numeric(14, 2)
    {%- else -%}
        ({{ amount_column }}::numeric / case
            when upper({{ currency_column }}) in (
                'BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'VND', 'VUV',
                'XAF', 'XOF', 'XPF'
            ) then 1
            else 100
        end)::numeric(14, 2)
    {%- endif -%}
{%- endmacro %}
