-- What the marketing-budget plan fits its response curves to: per tenant, day and channel, the spend.

with

marketing_spend as (

    select * from {{ ref('marketing_spend') }}

),

final as (

    select
        tenant_id,
        spend_date,
        channel,
        spend::double precision as spend

    from marketing_spend
    where spend is not null

)

select * from final
