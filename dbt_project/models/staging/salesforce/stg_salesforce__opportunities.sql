with

source as (

    select * from {{ keel_source('salesforce', 'opportunities') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as opportunity_id,
        account_id,
        campaign_id,
        owner_id,

        -- strings
        name as opportunity_name,
        type as opportunity_type,
        lead_source,
        stage_name,
        forecast_category,
        upper(currency_iso_code) as currency,

        -- numerics
        {{ to_money('amount') }} as amount,
        round(probability::numeric, 2) as probability,
        {{ to_money('expected_revenue') }} as expected_revenue,

        -- booleans
        coalesce(is_closed, false) as is_closed,
        coalesce(is_won, false) as is_won,
        coalesce(is_deleted, false) as is_deleted,

        -- dates
        close_date,

        -- timestamps
        created_date as created_at,
        system_modstamp as updated_at,
        _keel_cursor_at

    from source

)

select * from final
