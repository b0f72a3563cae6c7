with

source as (

    select * from {{ keel_source('ads', 'campaigns') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as campaign_id,
        account_id,

        -- strings
        channel,
        name as campaign_name,
        objective,
        status as campaign_status,
        upper(currency) as currency,

        -- numerics
        {{ to_money("nullif(daily_budget, '')") }} as daily_budget,

        -- timestamps
        created_time::timestamptz as created_at,
        start_time::timestamptz as started_at,
        stop_time::timestamptz as stopped_at,
        updated_time::timestamptz as updated_at,
        _keel_cursor_at

    from source

)

select * from final
