-- Money in and out per tenant and day (days without movements have no row).
with

movements as (

    select * from {{ ref('int_cash_movements_unioned') }}

),

final as (

    select
        tenant_id,
        movement_date as metric_date,
        sum(cash_in)::numeric(14, 2) as cash_in,
        sum(cash_out)::numeric(14, 2) as cash_out
    from movements
    group by 1, 2

)

select * from final
