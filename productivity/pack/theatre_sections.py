"""The board pack's theatre lost time: where the planned minutes went, by cause and by specialty.

Both are the Theatres page's own figures for the pack's trust (every trust for the
collaborative) and months: the waterfall of :func:`productivity.views.theatres.unit_view`, in
hours and minutes per list (:func:`productivity.views.theatre_measures.waterfall_hours`), and
the specialty ranking of :mod:`productivity.views.theatre_ranking` (minutes lost to each cause,
summed over the lists). Nothing here computes a minute itself.
"""

from __future__ import annotations

from productivity import charts
from productivity.columns import COLUMNS
from productivity.metrics import lost_time as lt
from productivity.pack.content import Column, Section, pack_table
from productivity.pack.scope import Scope, png
from productivity.views import theatre_measures as measures, theatre_ranking as ranking, theatres
from productivity.views.theatres import Unit

RANK_BY = "Lost minutes (all causes)"
WATERFALL_WIDTH = 640  # px: wide enough that each bar's two-line label stays within its bar
SPECIALTIES_SHOWN = 14  # rows that fit the page; the rest are summed into the note


def lost_time(scope: Scope) -> list[Section]:
    """The lost-time waterfall, then the specialties ranked by minutes lost per list."""
    target = scope.bench.value(theatres.UTILISATION_METRIC)
    unit = Unit(trust=scope.trust)
    who = scope.trust or "all trusts"
    data = theatres.unit_view(scope.engine, unit, scope.window, target)
    if data.summary.empty:
        return [Section(f"Theatre lost time: {who}", (f"No theatre lists in {scope.span}.",))]
    lists = int(data.summary["lists"].iloc[0])
    steps = measures.waterfall_hours(data.waterfall, lists)
    chart = charts.waterfall(steps, "hours", "hours")
    table = pack_table(
        steps,
        [
            Column("step", "Step", width=1.3),
            Column("hours", "Hours", ",.0f"),
            Column("minutes_per_list", "Min per list", ",.1f"),
            Column("share_of_planned", "% of planned", ".1%"),
        ],
    )
    losses = steps[steps["kind"] == "loss"].sort_values("minutes", ascending=False)
    biggest = ", ".join(
        f"{step} {hours:,.0f} h ({share:.1%})"
        for step, hours, share in losses[["step", "hours", "share_of_planned"]].head(3).to_numpy()
    )
    alt_text = (
        f"Waterfall chart of {who}'s planned theatre hours in {scope.span} falling to capped "
        f"touch time over {lists:,} lists. The largest losses: {biggest}."
    )
    by_cause = Section(
        f"Theatre lost time by cause: {who}",
        (f"{scope.span[0].upper()}{scope.span[1:]}, {lists:,} lists. {theatres.WATERFALL_NOTE}",),
        chart=png(chart, WATERFALL_WIDTH),
        table=table,
        alt=alt_text,
    )
    return [by_cause, _by_specialty(scope, unit, target, who)]


def _by_specialty(scope: Scope, unit: Unit, target: float, who: str) -> Section:
    """The Theatres page's specialty ranking by minutes lost (all causes), most first."""
    lists = ranking.trust_lists(scope.engine, unit, scope.window, target)
    heading = f"Theatre lost time by specialty: {who}"
    ranked = ranking.rank(lists, "specialty", RANK_BY, scope.window)
    if ranked.empty:
        return Section(heading, (f"No theatre lists in {scope.span}.",))
    ranked = ranked.sort_values("lost_minutes_per_list", ascending=False, kind="stable")
    shown, rest = ranked.head(SPECIALTIES_SHOWN), ranked.iloc[SPECIALTIES_SHOWN:]
    causes = {
        "late_start_minutes": lt.LATE,
        "gap_minutes": lt.GAPS,
        "early_finish_minutes": lt.EARLY,
        "unused_minutes": lt.UNUSED,
        "other_minutes": lt.OTHER,
    }
    per_list = shown.assign(
        **{f"{key}_per_list": shown[key] / shown["lists"] for key in causes}
    )  # the page's summed minutes, shown per list so that specialties of any size compare
    columns = [
        Column("specialty", "Specialty", width=1.5),
        Column("lists", "Lists", ",.0f", width=0.6),
        Column.of(COLUMNS["capped_utilisation"], "Capped util.", width=0.8),
        Column("lost_minutes_per_list", "Lost min/list", ",.1f", width=0.8),
        *(Column(f"{key}_per_list", f"{name} min/list", ",.1f", width=0.85)
          for key, name in causes.items()),
        Column("realisable_additional_cases", "Realisable cases", ",.0f", width=0.8),
    ]  # fmt: skip
    note = (
        f"{scope.span[0].upper()}{scope.span[1:]}. Specialties ranked by minutes lost per list "
        "(all causes: planned minutes − capped touch), most first; each cause's minutes are "
        "summed over the specialty's lists and shown per list. Realisable cases: whole cases "
        "that fit the lists at the benchmark."
    )
    if len(rest):
        note += f" {len(rest)} smaller specialties ({int(rest['lists'].sum()):,} lists) not shown."
    return Section(heading, (note,), table=pack_table(per_list.reset_index(drop=True), columns))
