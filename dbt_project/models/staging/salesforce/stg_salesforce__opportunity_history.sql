with

source as (

    select * from {{ keel_source('salesforce', 'opportunity_history') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as opportunity_history_id,
        opportunity_id,

        -- strings
        stage_name,
        forecast_category,

        -- numerics
        {{ to_money('amount') }} as amount,
        round(probability::numeric, 2) as probability,

        -- booleans
        coalesce(is_deleted, false) as is_deleted,

        -- dates
        close_date,

        -- timestamps
        created_date as changed_at,
        _keel_cursor_at

    from source

)

select * from final
