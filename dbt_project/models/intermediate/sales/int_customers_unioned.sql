-- Customer records of every source in one shape.
with

shopify_customers as (

    select * from {{ ref('stg_shopify__customers') }}

),

stripe_customers as (

    select * from {{ ref('stg_stripe__customers') }}

),

quickbooks_customers as (

    select * from {{ ref('stg_quickbooks__customers') }}

),

files_customers as (

    select * from {{ ref('stg_files__customers') }}

),

erpnext_customers as (

    select * from {{ ref('stg_erpnext__customers') }}

),

tenants as (

    select * from {{ ref('int_tenants_classified') }}

),

unioned as (

    select
        tenant_id,
        'shopify' as source_system,
        customer_id::text as customer_id,
        customer_name,
        email,
        created_at,
        _keel_cursor_at
    from shopify_customers

    union all

    select
        tenant_id,
        'stripe' as source_system,
        customer_id,
        customer_name,
        email,
        created_at,
        _keel_cursor_at
    from stripe_customers

    union all

    select
        tenant_id,
        'quickbooks' as source_system,
        customer_id,
        customer_name,
        email,
        created_at,
        _keel_cursor_at
    from quickbooks_customers

    union all

    -- ERPNext keeps local wall-clock times: the instant is that time in the tenant's zone
    select
        erpnext_customers.tenant_id,
        'erpnext' as source_system,
        erpnext_customers.customer_id,
        erpnext_customers.customer_name,
        erpnext_customers.email,
        erpnext_customers.created_local at time zone tenants.timezone as created_at,
        erpnext_customers._keel_cursor_at
    from erpnext_customers
    inner join tenants on erpnext_customers.tenant_id = tenants.tenant_id
    where not erpnext_customers.is_deleted

    union all

    -- an uploaded file's customer has a start date, not an instant: the start of that day, local time
    select
        files_customers.tenant_id,
        'files' as source_system,
        files_customers.customer_id,
        files_customers.customer_name,
        files_customers.email,
        files_customers.created_date::timestamp at time zone tenants.timezone as created_at,
        files_customers._keel_cursor_at
    from files_customers
    inner join tenants on files_customers.tenant_id = tenants.tenant_id

),

final as (

    select * from unioned

)

select * from final
