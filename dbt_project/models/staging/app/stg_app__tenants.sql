with

source as (

    select * from {{ keel_source('app', 'tenants') }}

),

final as (

    select
        -- ids
        tenant_id,

        -- strings
        slug as tenant_slug,
        name as tenant_name,
        industry,
        naics_code,
        size_band,
        region,
        country,
        timezone,
        upper(currency) as currency,

        -- booleans
        is_demo,

        -- dates
        opened_on,

        -- timestamps
        created_at

    from source

)

select * from final
