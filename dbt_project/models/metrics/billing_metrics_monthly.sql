-- Billing and collection per calendar month, for every tenant that issues invoices (QuickBooks, Stripe,
-- files): one row per tenant and month of business_metrics_monthly from its first invoice on.
--   billed_revenue    invoices dated in the month (their totals);
--   collected         payments applied to invoices, received in the month;
--   receivables_end   what customers owe at the month's last day with data;
--   days_sales_outstanding  receivables_end / billed over the trailing 3 months x their days;
--   billable / available hours and utilization: available hours are the paid hours of the shift tool
--   or staff-hours files; no connected source records which hours were billable yet, so billable_hours
--   and utilization stay empty until one does (never a guess).
with

months as (

    select * from {{ ref('business_metrics_monthly') }}

),

invoices as (

    select * from {{ ref('invoices') }}

),

payments as (

    select * from {{ ref('int_invoice_payments_applied') }}

),

first_invoices as (

    select tenant_id, date_trunc('month', min(invoice_date))::date as first_invoice_month
    from invoices
    group by 1

),

billed as (

    select
        tenant_id,
        date_trunc('month', invoice_date)::date as month,
        sum(total_amount) as billed_revenue,
        count(*) as invoices_count,
        count(distinct customer_id) as customers_billed
    from invoices
    group by 1, 2

),

collected as (

    select
        tenant_id,
        date_trunc('month', payment_date)::date as month,
        sum(applied_amount) as collected
    from payments
    group by 1, 2

),

joined as (

    select
        months.tenant_id,
        months.month,
        months.currency,
        months.days_with_data,
        months.is_complete_month,
        months.receivables_outstanding as receivables_end,
        case when months.labor_hours > 0 then months.labor_hours end as available_hours,
        coalesce(billed.billed_revenue, 0) as billed_revenue,
        coalesce(billed.invoices_count, 0) as invoices_count,
        coalesce(billed.customers_billed, 0) as customers_billed,
        coalesce(collected.collected, 0) as collected
    from months
    inner join first_invoices
        on
            months.tenant_id = first_invoices.tenant_id
            and months.month >= first_invoices.first_invoice_month
    left join billed on months.tenant_id = billed.tenant_id and months.month = billed.month
    left join collected on months.tenant_id = collected.tenant_id and months.month = collected.month

),

trailing_months as (

    select
        *,
        sum(billed_revenue) over trailing_window as billed_trailing_3_months,
        sum(days_with_data) over trailing_window as days_trailing_3_months
    from joined
    window trailing_window as (partition by tenant_id order by month rows between 2 preceding and current row)

),

final as (

    select
        -- ids
        tenant_id,

        -- strings
        currency,

        -- numerics
        billed_revenue::numeric(14, 2) as billed_revenue,
        collected::numeric(14, 2) as collected,
        receivables_end::numeric(14, 2) as receivables_end,
        (case
            when billed_trailing_3_months > 0
                then round(receivables_end / billed_trailing_3_months * days_trailing_3_months, 1)
        end)::numeric(10, 1) as days_sales_outstanding,
        invoices_count::integer as invoices_count,
        customers_billed::integer as customers_billed,
        null::numeric(12, 2) as billable_hours,
        available_hours::numeric(12, 2) as available_hours,
        null::numeric(9, 4) as utilization,

        -- booleans
        is_complete_month,

        -- dates
        month

    from trailing_months

)

select * from final
