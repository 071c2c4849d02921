{#- A var type of the catalogue in words ("an integer from 1 to 12"), as the runner words it (settings.describe). -#}
{% macro describe_var_type(spec) %}
    {%- set kind = spec.type -%}
    {%- if kind == "date" -%}
        {%- set text = "a date (YYYY-MM-DD)" -%}
    {%- elif kind in ("integer", "number") -%}
        {%- set bounds = [] -%}
        {%- for bound in (spec.min, spec.max) -%}
            {%- do bounds.append((bound | int) ~ "" if (bound | float) == (bound | int) else bound ~ "") -%}
        {%- endfor -%}
        {%- set text = ("an integer" if kind == "integer" else "a number") ~ " from " ~ bounds[0] ~ " to " ~ bounds[1] -%}
    {%- elif kind == "boolean" -%}
        {%- set text = "true or false" -%}
    {%- elif kind == "currency" -%}
        {%- set text = "a currency code (three letters)" -%}
    {%- elif kind == "identifier" -%}
        {%- set text = "a name of letters, digits and _ (not starting with a digit)" -%}
    {%- elif kind == "text" -%}
        {%- set text = "a text matching " ~ spec.pattern if spec.get("pattern") else "a text" -%}
    {%- elif kind == "one_of" -%}
        {%- set text = "one of " ~ spec["values"] | join(", ") -%}
    {%- elif kind == "list" -%}
        {%- set text = "a list of " ~ describe_var_type(spec["items"])
            ~ (" (at least " ~ spec.min_items ~ ")" if spec.get("min_items") else "") -%}
    {%- elif kind == "mapping" -%}
        {%- set text = "a mapping with the keys " ~ spec.fields.keys() | join(", ") if spec.get("fields")
            else "a mapping of " ~ describe_var_type(spec["values"]) -%}
    {%- else -%}
        {{- exceptions.raise_compiler_error("var_types: unknown type '" ~ kind ~ "'") -}}
    {%- endif -%}
    {{- return(text ~ (" or null" if spec.get("nullable") else "")) -}}
{% endmacro %}
