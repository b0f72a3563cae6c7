-- Subscriptions in their latest state, with the plan (price) of their first item.
with

source as (

    select * from {{ keel_source('stripe', 'subscriptions') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as subscription_id,
        customer as customer_id,
        items::jsonb #>> '{data,0,price,id}' as price_id,

        -- strings
        status as subscription_status,
        upper(currency) as currency,
        coalesce(metadata::jsonb ->> 'plan', items::jsonb #>> '{data,0,price,lookup_key}') as plan_code,
        items::jsonb #>> '{data,0,price,nickname}' as plan_name,
        items::jsonb #>> '{data,0,price,recurring,interval}' as billing_interval,

        -- numerics
        coalesce((items::jsonb #>> '{data,0,price,recurring,interval_count}')::integer, 1)
            as billing_interval_count,
        coalesce((items::jsonb #>> '{data,0,quantity}')::integer, 1) as quantity,
        {{ cents_to_currency("(items::jsonb #>> '{data,0,price,unit_amount}')::bigint", 'currency') }}
            as unit_amount,

        -- booleans
        coalesce(cancel_at_period_end, false) as is_cancel_at_period_end,

        -- timestamps
        to_timestamp(created) as created_at,
        to_timestamp(start_date) as started_at,
        to_timestamp(trial_start) as trial_started_at,
        to_timestamp(trial_end) as trial_ended_at,
        to_timestamp(current_period_start) as current_period_started_at,
        to_timestamp(current_period_end) as current_period_ends_at,
        to_timestamp(canceled_at) as canceled_at,
        to_timestamp(ended_at) as ended_at,
        to_timestamp(updated) as updated_at,
        _keel_cursor_at

    from source

)

select * from final
