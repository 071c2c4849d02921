{#-
    Invariant of every ARR bridge: ending = starting + new + reactivation +
    expansion - contraction - churned, to the cent, on every row. Returns the
    rows that break it, with the difference.
-#}
{% test arr_identity(model, starting="starting_arr", ending="ending_arr", additions=["new_arr", "reactivation_arr", "expansion_arr"], subtractions=["contraction_arr", "churned_arr"]) %}
    select
        *,
        {{ ending }} - ({{ starting }}{% for column in additions %} + {{ column }}{% endfor %}{% for column in subtractions %} - {{ column }}{% endfor %}) as identity_difference
    from {{ model }}
    where {{ ending }} <> {{ starting }}{% for column in additions %} + {{ column }}{% endfor %}{% for column in subtractions %} - {{ column }}{% endfor %}
{% endtest %}
