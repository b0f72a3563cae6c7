-- Subscription targets of recorded interventions: per tenant, plan and start day, the subscriptions that
-- started with a trial and those that went on to pay. A subscription without a plan code is counted
-- under its price, or under 'subscription'.

with

subscriptions as (

    select * from {{ ref('subscriptions') }}

),

final as (

    select
        tenant_id,
        coalesce(plan_code, price_id, 'subscription') as plan,
        start_date,
        (count(*) filter (where had_trial))::double precision as new_trials,
        (count(*) filter (where is_converted))::double precision as new_paid_subscriptions

    from subscriptions
    where start_date is not null
    group by 1, 2, 3

)

select * from final
