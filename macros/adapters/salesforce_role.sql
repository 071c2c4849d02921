{#-
    The contract role (sdr, ae, am, manager, other) of a Salesforce user from
    the name of their UserRole. The name is lower-cased and padded with
    spaces, punctuation becomes spaces, and the rules below are tried in
    order (SQL `like` patterns); the first that matches wins, else `other`.
    var salesforce_role_map ([[pattern, role], ...]) is tried before the
    defaults. Order matters: "Account Manager" is an AM, "SDR Manager" a
    manager.
-#}
{% macro salesforce_role(role_name) %}
    {%- set defaults = [
        ["% account manager %", "am"],
        ["% customer success %", "am"],
        ["% manager %", "manager"],
        ["% director %", "manager"],
        ["% vp %", "manager"],
        ["% vice president %", "manager"],
        ["% head of %", "manager"],
        ["% chief %", "manager"],
        ["% sdr %", "sdr"],
        ["% bdr %", "sdr"],
        ["% sales development %", "sdr"],
        ["% business development %", "sdr"],
        ["% ae %", "ae"],
        ["% account executive %", "ae"],
        ["% am %", "am"],
    ] -%}
    {%- set rules = (var("salesforce_role_map", []) or []) + defaults -%}
    {%- set padded -%}
        ' ' || lower({% for character in ["-", "_", "/", "(", ")", ",", ".", "&", ":"] %}replace({% endfor %}{{ role_name }}{% for character in ["-", "_", "/", "(", ")", ",", ".", "&", ":"] %}, '{{ character }}', ' '){% endfor %}) || ' '
    {%- endset -%}
    case
        {%- for rule in rules %}
        when {{ padded }} like '{{ rule[0] | lower }}' then '{{ rule[1] | lower }}'
        {%- endfor %}
        else 'other'
    end
{%- endmacro %}
