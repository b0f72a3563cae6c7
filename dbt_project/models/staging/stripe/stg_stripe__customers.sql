with

source as (

    select * from {{ keel_source('stripe', 'customers') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as customer_id,

        -- strings
        name as customer_name,
        email,
        upper(currency) as currency,

        -- booleans
        coalesce(delinquent, false) as is_delinquent,

        -- timestamps
        to_timestamp(created) as created_at,
        to_timestamp(updated) as updated_at,
        _keel_cursor_at

    from source

)

select * from final
