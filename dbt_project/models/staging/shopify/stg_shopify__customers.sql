with

source as (

    select * from {{ keel_source('shopify', 'customers') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as customer_id,

        -- strings
        nullif(trim(concat_ws(' ', first_name, last_name)), '') as customer_name,
        nullif(email, '') as email,
        state as account_state,
        upper(currency) as currency,

        -- numerics
        orders_count::integer as orders_count,
        {{ to_money("coalesce(total_spent, '0')") }} as total_spent,

        -- booleans
        coalesce(email_marketing_consent::jsonb ->> 'state' = 'subscribed', false) as accepts_email_marketing,

        -- timestamps
        created_at::timestamptz as created_at,
        updated_at::timestamptz as updated_at,
        _keel_cursor_at

    from source

)

select * from final
