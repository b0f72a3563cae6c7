with

source as (

    select * from {{ keel_source('salesforce', 'contacts') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as contact_id,
        account_id,
        owner_id,

        -- strings
        first_name,
        last_name,
        email,
        title,
        lead_source,

        -- booleans
        coalesce(is_deleted, false) as is_deleted,

        -- timestamps
        created_date as created_at,
        system_modstamp as updated_at,
        _keel_cursor_at

    from source

)

select * from final
