with

source as (

    select * from {{ keel_source('shifts', 'timecards') }}

),

final as (

    select
        -- ids
        source.tenant_id::uuid as tenant_id,
        source.id as timecard_id,
        source.user_id as employee_id,
        source.job_id,

        -- strings
        source.role,
        source.department,
        labor.wage_type,

        -- numerics
        coalesce(labor.paid_hours, 0)::numeric(10, 2) as paid_hours,
        coalesce(labor.regular_hours, 0)::numeric(10, 2) as regular_hours,
        coalesce(labor.scheduled_hours, 0)::numeric(10, 2) as scheduled_hours,
        coalesce(labor.unpaid_break_hours, 0)::numeric(10, 2) as unpaid_break_hours,
        (
            coalesce(labor.weekly_overtime, 0)
            + coalesce(labor.daily_overtime, 0)
            + coalesce(labor.double_overtime, 0)
        )::numeric(10, 2) as overtime_hours,
        {{ to_money("labor.wage_rate") }} as wage_rate,
        {{ to_money("coalesce(labor.costs, 0)") }} as labor_cost,
        {{ to_money("coalesce(labor.cash_tips, 0) + coalesce(labor.credit_tips, 0)") }} as tips_amount,

        -- booleans
        coalesce(source.approved, false) as is_approved,

        -- timestamps
        source.clock_in::timestamptz as clocked_in_at,
        source.clock_out::timestamptz as clocked_out_at,
        source.created_at::timestamptz as created_at,
        source.updated_at::timestamptz as updated_at,
        source._keel_cursor_at

    from source
    -- the labor document parsed once per timecard, not once per field (twelve times: a second of the
    -- shifts mart's build on the demo)
    left join lateral jsonb_to_record(source.labor::jsonb) as labor (
        wage_type text,
        paid_hours numeric,
        regular_hours numeric,
        scheduled_hours numeric,
        unpaid_break_hours numeric,
        weekly_overtime numeric,
        daily_overtime numeric,
        double_overtime numeric,
        wage_rate numeric,
        costs numeric,
        cash_tips numeric,
        credit_tips numeric
    ) on true

)

select * from final
