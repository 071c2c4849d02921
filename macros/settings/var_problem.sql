{#-
    Why a value is not of a var type of the catalogue (dbt_project.yml,
    var_types): "must be <the type in words>, got '<value>'", or "" when it
    is. The same rules and words as the runner's check
    (src/sales_kpis/settings.py; a pytest feeds both the same values).
-#}
{% macro var_problem(spec, value) %}
    {%- set kind = spec.type -%}
    {%- set wrong = "must be " ~ describe_var_type(spec) ~ ", got '" ~ shown_var_value(value) ~ "'" -%}
    {%- set is_text = value is string -%}
    {%- set is_date_object = not is_text and value is not none and value.isoformat is defined and value.hour is not defined -%}
    {%- if value is none or (kind == "date" and spec.get("nullable") and is_text and value | trim | lower in ("", "none", "null", "today")) -%}
        {{- return("" if spec.get("nullable") else wrong) -}}
    {%- elif kind == "date" -%}
        {{- return("" if is_date_object or (is_text and is_iso_date(value | trim)) else wrong) -}}
    {%- elif kind in ("integer", "number") -%}
        {%- set pattern = "^-?[0-9]+$" if kind == "integer" else "^-?[0-9]+(\\.[0-9]+)?$" -%}
        {%- if value is boolean or (kind == "integer" and value is float) or (value is float and (value | string) in ("nan", "inf", "-inf")) -%}
            {{- return(wrong) -}}
        {%- elif value is number -%}
            {%- set number = value | float -%}
        {%- elif is_text and modules.re.match(pattern, value | trim) -%}
            {%- set number = value | trim | float -%}
        {%- else -%}
            {{- return(wrong) -}}
        {%- endif -%}
        {{- return("" if spec.min <= number <= spec.max else wrong) -}}
    {%- elif kind == "boolean" -%}
        {{- return("" if value is boolean else wrong) -}}
    {%- elif kind == "currency" -%}
        {{- return("" if is_text and modules.re.match("^[A-Za-z]{3}$", value | trim) else wrong) -}}
    {%- elif kind == "identifier" -%}
        {{- return("" if is_text and modules.re.match("^[A-Za-z_][A-Za-z0-9_]*$", value) else wrong) -}}
    {%- elif kind == "text" -%}
        {{- return("" if is_text and (not spec.get("pattern") or modules.re.search(spec.pattern, value)) else wrong) -}}
    {%- elif kind == "one_of" -%}
        {%- set allowed = spec["values"] | map("string") | map("lower") | list -%}
        {{- return("" if is_text and value | trim | lower in allowed else wrong) -}}
    {%- elif kind == "list" -%}
        {%- if is_text or value is mapping or value is not sequence or value | length < spec.get("min_items", 0) -%}
            {{- return(wrong) -}}
        {%- endif -%}
        {%- for item in value if var_problem(spec["items"], item) -%}
            {{- return(wrong) -}}
        {%- endfor -%}
        {{- return("") -}}
    {%- elif kind == "mapping" -%}
        {%- if value is not mapping -%}
            {{- return(wrong) -}}
        {%- endif -%}
        {%- for key, item in value.items() -%}
            {%- set item_spec = spec.fields.get(key) if spec.get("fields") else spec["values"] -%}
            {%- if item_spec is none or var_problem(item_spec, item) -%}
                {{- return(wrong) -}}
            {%- endif -%}
        {%- endfor -%}
        {{- return("") -}}
    {%- endif -%}
    {{- exceptions.raise_compiler_error("var_types: unknown type '" ~ kind ~ "'") -}}
{% endmacro %}
