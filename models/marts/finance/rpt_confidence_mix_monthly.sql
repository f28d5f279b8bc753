{#-
  The month's spend by how its team was known (the confidence mix of the finance memo): HIGH, MEDIUM
  and LOW attributed cost (fct_team_monthly_spend's cost_high_usd, cost_medium_usd, cost_low_usd over
  the team lines) and UNATTRIBUTED (the unattributed line's cost), one row each per month. cost_cents
  spread the four's total rounded half-up by largest remainder (ties in that order), so the memo's
  four figures sum to the cent. basis: `ledger` (the team lines as computed now, every month) or
  `published` (a closed month's latest published version: what its exports show).
-#}
with

monthly as (

    select * from {{ ref('fct_team_monthly_spend') }}

),

published as (

    select * from {{ ref('published_team_monthly_spend') }}

),

{{ tl_latest_publication('published', 'latest_published') }},

lines as (

    {%- for basis, relation in {'ledger': 'monthly', 'published': 'latest_published'}.items() %}

        select
            '{{ basis }}' as basis,
            month,
            team_id,
            cost_usd,
            cost_high_usd,
            cost_medium_usd,
            cost_low_usd
        from {{ relation }}
        {%- if not loop.last %}

            union all
        {% endif %}
    {%- endfor %}

),

totals as (

    select
        basis,
        month,
        sum(cost_high_usd) as cost_high_usd,
        sum(cost_medium_usd) as cost_medium_usd,
        sum(cost_low_usd) as cost_low_usd,
        sum(case when team_id = 'unattributed' then cost_usd else 0 end) as cost_unattributed_usd
    from lines
    group by basis, month

),

mix as (

    -- one row per confidence class, in the memo's order
    {% for name in ['high', 'medium', 'low', 'unattributed'] -%}
        select
            basis,
            month,
            '{{ name | upper }}' as confidence,
            {{ loop.index }} as confidence_order,
            cost_{{ name }}_usd as cost_usd
        from totals
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

with_total as (

    select
        mix.*,
        {{ tl_total_cents_half_up('mix.cost_usd', 'mix.basis, mix.month') }} as month_cents
    from mix

),

distributed as (

    {{ tl_distribute_cents('with_total', 'cost_usd', 'month_cents', 'basis, month', 'confidence_order') }}

),

final as (

    select
        {{ tl_key(['basis', 'month', 'confidence']) }} as mix_key,
        basis,
        month,
        confidence,
        confidence_order,
        cost_usd,
        cost_cents,
        month_cents
    from distributed

)

select * from final
