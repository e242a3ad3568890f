"""``/api/v1/grip/effect``: the Grip patrol effect, one row per hotspot plus the pooled row ("ALL").

Parameters: ``offence_group`` (all, violence, robbery, public order, theft, criminal damage, drugs,
other; default all), ``measure`` (count or harm; harm for all offences only), ``comparison``
(patrol: patrol days vs days without, the default; next_day: days after a patrol vs other days
without), ``format`` (json or csv). The numbers are the ones the Grip page shows.
"""

from __future__ import annotations

from flask import Response, request

from dashboard.api import api, error, respond
from dashboard.engine import engine
from service.grip import ChoiceError, effect_table, parse_comparison, parse_measure, parse_offence_group

METHOD = ("Rate ratio of crimes per hotspot-day, from a Poisson model with hotspot fixed effects (pooled row) or "
          "the hotspot's own days; 95% Wald intervals using the larger of the quasi-Poisson (Pearson dispersion, "
          "at least 1) and robust sandwich (HC1) standard errors. pct_change = (rate_ratio - 1) x 100. Null "
          "estimates come with a note.")


@api.get("/grip/effect")
def grip_effect() -> Response:
    try:
        group = parse_offence_group(request.args.get("offence_group", ""))
        measure = parse_measure(request.args.get("measure", ""))
        comparison = parse_comparison(request.args.get("comparison", ""))
        frame = effect_table(engine(), group, measure, comparison)
    except ChoiceError as exc:
        return error(str(exc))
    meta = {"offence_group": group, "measure": measure, "comparison": comparison, "method": METHOD,
            "pooled_hotspot_id": "ALL"}
    return respond(frame, f"grip-effect-{group.replace(' ', '-')}", meta)
