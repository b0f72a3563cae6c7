with

source as (

    select * from {{ keel_source('salesforce', 'campaigns') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as campaign_id,

        -- strings
        name as campaign_name,
        type as campaign_type,
        status as campaign_status,
        upper(currency_iso_code) as currency,

        -- numerics
        {{ to_money('budgeted_cost') }} as budgeted_cost,
        {{ to_money('actual_cost') }} as actual_cost,
        {{ to_money('expected_revenue') }} as expected_revenue,

        -- booleans
        coalesce(is_active, false) as is_active,
        coalesce(is_deleted, false) as is_deleted,

        -- dates
        start_date,
        end_date,

        -- timestamps
        created_date as created_at,
        system_modstamp as updated_at,
        _keel_cursor_at

    from source

)

select * from final
