with

source as (

    select * from {{ keel_source('salesforce', 'accounts') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as account_id,
        owner_id,

        -- strings
        name as account_name,
        type as account_type,
        industry,
        billing_city,
        billing_state,
        billing_country,
        account_source,

        -- numerics
        {{ to_money('annual_revenue') }} as annual_revenue,
        number_of_employees,

        -- booleans
        coalesce(type ilike 'customer%', false) as is_customer,
        coalesce(is_deleted, false) as is_deleted,

        -- timestamps
        created_date as created_at,
        system_modstamp as updated_at,
        _keel_cursor_at

    from source

)

select * from final
