with

source as (

    select * from {{ keel_source('shifts', 'timecards') }}

),

final as (

    select
        -- ids
        tenant_id::uuid as tenant_id,
        id as timecard_id,
        user_id as employee_id,
        job_id,

        -- strings
        role,
        department,
        labor::jsonb ->> 'wage_type' as wage_type,

        -- numerics
        coalesce((labor::jsonb ->> 'paid_hours')::numeric, 0)::numeric(10, 2) as paid_hours,
        coalesce((labor::jsonb ->> 'regular_hours')::numeric, 0)::numeric(10, 2) as regular_hours,
        coalesce((labor::jsonb ->> 'scheduled_hours')::numeric, 0)::numeric(10, 2) as scheduled_hours,
        coalesce((labor::jsonb ->> 'unpaid_break_hours')::numeric, 0)::numeric(10, 2) as unpaid_break_hours,
        (
            coalesce((labor::jsonb ->> 'weekly_overtime')::numeric, 0)
            + coalesce((labor::jsonb ->> 'daily_overtime')::numeric, 0)
            + coalesce((labor::jsonb ->> 'double_overtime')::numeric, 0)
        )::numeric(10, 2) as overtime_hours,
        {{ to_money("labor::jsonb ->> 'wage_rate'") }} as wage_rate,
        {{ to_money("coalesce((labor::jsonb ->> 'costs')::numeric, 0)") }} as labor_cost,
        {{ to_money("coalesce((labor::jsonb ->> 'cash_tips')::numeric, 0) + coalesce((labor::jsonb ->> 'credit_tips')::numeric, 0)") }}
            as tips_amount,

        -- booleans
        coalesce(approved, false) as is_approved,

        -- timestamps
        clock_in::timestamptz as clocked_in_at,
        clock_out::timestamptz as clocked_out_at,
        created_at::timestamptz as created_at,
        updated_at::timestamptz as updated_at,
        _keel_cursor_at

    from source

)

select * from final
