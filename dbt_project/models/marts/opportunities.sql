-- One row per sales opportunity (Salesforce), as it stands now: amount, stage, won or lost, and how
-- long it took to close. Deleted opportunities (in Salesforce's recycle bin) are left out. Dates are
-- the tenant's own days; money is in the opportunity's currency, which is the tenant's unless the org
-- has multiple currencies.
with

opportunities as (

    select * from {{ ref('stg_salesforce__opportunities') }}

),

accounts as (

    select * from {{ ref('stg_salesforce__accounts') }}

),

tenants as (

    select * from {{ ref('stg_app__tenants') }}

),

final as (

    select
        -- ids
        opportunities.tenant_id,
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunities.campaign_id,

        -- strings
        opportunities.opportunity_name,
        accounts.account_name,
        opportunities.opportunity_type,
        opportunities.lead_source,
        opportunities.stage_name,
        opportunities.forecast_category,
        coalesce(opportunities.currency, tenants.currency) as currency,

        -- numerics
        coalesce(opportunities.amount, 0)::numeric(14, 2) as amount,
        coalesce(opportunities.probability, 0) as probability,
        round(coalesce(opportunities.amount, 0) * coalesce(opportunities.probability, 0) / 100, 2)::numeric(
            14, 2
        ) as weighted_amount,
        case
            when opportunities.is_closed
                then
                    opportunities.close_date
                    - {{ local_date('opportunities.created_at', 'tenants.timezone') }}
        end as days_to_close,

        -- booleans
        opportunities.is_closed,
        opportunities.is_won,

        -- dates
        {{ local_date('opportunities.created_at', 'tenants.timezone') }} as created_date,
        opportunities.close_date,
        case when opportunities.is_closed then opportunities.close_date end as closed_date,

        -- timestamps
        opportunities.created_at,
        opportunities.updated_at,
        opportunities._keel_cursor_at

    from opportunities
    inner join tenants
        on opportunities.tenant_id = tenants.tenant_id
    left join accounts
        on
            opportunities.tenant_id = accounts.tenant_id
            and opportunities.account_id = accounts.account_id
    where not opportunities.is_deleted

)

select * from final
