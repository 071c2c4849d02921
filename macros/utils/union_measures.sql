{#-
    Stacks relations that each carry some of a set of measures into one
    relation that carries all of them: one `select` per relation, unioned
    (union all), with the key columns, then every measure in the order of
    `measures`, 0 where the relation does not carry it. Summed by the keys
    afterwards, the stack joins the parts without a full outer join.
    parts: {relation: [the measures it carries]}, in union order.
-#}
{% macro union_measures(parts, keys, measures) %}
    {%- for relation, carried in parts.items() %}
    select
        {%- for key in keys %}
        {{ key }},
        {%- endfor %}
        {%- for measure in measures %}
        {% if measure in carried %}{{ measure }}{% else %}0 as {{ measure }}{% endif %}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ relation }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
