with

source as (

    select * from {{ keel_source('salesforce', 'leads') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as lead_id,
        converted_account_id,
        converted_opportunity_id,
        owner_id,

        -- strings
        company as company_name,
        status as lead_status,
        lead_source,

        -- booleans
        coalesce(is_converted, false) as is_converted,
        coalesce(is_deleted, false) as is_deleted,

        -- dates
        converted_date,

        -- timestamps
        created_date as created_at,
        system_modstamp as updated_at,
        _keel_cursor_at

    from source

)

select * from final
