-- Money in the marts is in the tenant's currency: metrics add amounts up without converting.
with

tenants as (

    select * from {{ ref('stg_app__tenants') }}

),

currencies as (

    select tenant_id, 'orders' as mart, currency from {{ ref('orders') }}
    union all
    select tenant_id, 'payments', currency from {{ ref('payments') }}
    union all
    select tenant_id, 'refunds', currency from {{ ref('refunds') }}
    union all
    select tenant_id, 'invoices', currency from {{ ref('invoices') }}
    union all
    select tenant_id, 'bills', currency from {{ ref('bills') }}
    union all
    select tenant_id, 'marketing_spend', currency from {{ ref('marketing_spend') }}

),

final as (

    select
        currencies.tenant_id,
        currencies.mart,
        currencies.currency,
        tenants.currency as tenant_currency,
        count(*) as rows_in_other_currency
    from currencies
    inner join tenants on currencies.tenant_id = tenants.tenant_id
    where currencies.currency is distinct from tenants.currency
    group by 1, 2, 3, 4

)

select * from final
