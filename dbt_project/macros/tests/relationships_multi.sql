{#- Every row's key (several columns, e.g. tenant_id plus an id) exists in the parent model.
    Rows whose key has a NULL are not checked (an optional reference). `from_columns` default to
    `to_columns`. -#}
{% test relationships_multi(model, to, to_columns, from_columns=none) %}
{%- set from_columns = from_columns or to_columns -%}
with

child as (
    select {% for c in from_columns %}{{ c }} as key_{{ loop.index }}{{ ", " if not loop.last }}{% endfor %}
    from {{ model }}
    where {% for c in from_columns %}{{ c }} is not null{{ " and " if not loop.last }}{% endfor %}
),

parent as (
    select {% for c in to_columns %}{{ c }} as key_{{ loop.index }}{{ ", " if not loop.last }}{% endfor %}
    from {{ to }}
)

select child.*
from child
left join parent
    on {% for c in to_columns %}child.key_{{ loop.index }} = parent.key_{{ loop.index }}{{ " and " if not loop.last }}{% endfor %}
where parent.key_1 is null
{% endtest %}
