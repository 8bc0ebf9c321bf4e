"""Recency, frequency, gravity (RFG): rank people who perpetrate domestic abuse, 0-100.

Pure: no database, no Django. `score` takes a Polars frame of incidents and returns one row
per perpetrator in rank order, in ONE vectorised pass (a lazy query collected once), never
a Python loop per person. The same function serves the database path
(`panels.services.rfg_score_run`), the file path (`pathways rfg-score`) and the benchmark.

The default formula, for each perpetrator at reference date T, over incidents dated from
T - window_days to T, both ends included (docs/panels-rfg.md):

    recency   = recency_max   x max(0, 1 - days since the latest incident / window_days)
    frequency = frequency_max x min(incidents, frequency_cap) / frequency_cap
    gravity   = gravity_max   x min(sum of gravity weights, gravity_cap) / gravity_cap
    victims   = victims_max   x min(max(distinct victims - 1, 0), victims_cap) / victims_cap
    RFG       = recency + frequency + gravity + victims, rounded half up to a whole number

ranked by RFG descending, then gravity descending, then latest incident most recent first,
then perpetrator id ascending.

Arithmetic is exact: every component is a fraction with a denominator fixed by the
configuration, so the sum is computed in integers over their least common multiple and
rounded half up with integer division. No float ever meets a .5 edge. Components are given
as decimals rounded half up to two places; RFG is rounded from the exact sum, not from the
rounded components.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

import polars as pl

# --------------------------------------------------------------------------------------
# The default gravity table: Pathways' own transparent starting point
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GravityCategory:
    code: str
    label: str
    weight: int
    why: str


# NOT any police force's official matrix. Pathways' own documented starting point, which a
# partnership is expected to review and replace with the table it agrees (docs/panels-rfg.md
# gives the reasoning in full). Weights rise with the seriousness of the harm; one incident
# of the gravest kind fills half the default gravity cap of 60.
DEFAULT_GRAVITY: tuple[GravityCategory, ...] = (
    GravityCategory(
        "homicide_or_attempt",
        "Homicide or attempted homicide",
        30,
        "The gravest harm: a single incident fills half the gravity cap.",
    ),
    GravityCategory(
        "rape_or_serious_sexual_assault",
        "Rape or serious sexual assault",
        25,
        "Serious sexual violence, with lasting harm and a high risk of repetition.",
    ),
    GravityCategory(
        "strangulation_or_suffocation",
        "Non-fatal strangulation or suffocation",
        20,
        "A recognised marker of escalation towards homicide, whatever the visible injury.",
    ),
    GravityCategory(
        "gbh_or_wounding",
        "Grievous bodily harm or wounding",
        20,
        "Serious physical injury.",
    ),
    GravityCategory(
        "kidnap_or_false_imprisonment",
        "Kidnap or false imprisonment",
        15,
        "Control of the victim-survivor's liberty, often with other violence.",
    ),
    GravityCategory(
        "threats_to_kill",
        "Threats to kill",
        15,
        "Threats of lethal violence are taken at their word.",
    ),
    GravityCategory(
        "stalking",
        "Stalking",
        12,
        "Fixated, obsessive behaviour associated with escalating risk.",
    ),
    GravityCategory(
        "coercive_control",
        "Controlling or coercive behaviour",
        12,
        "A pattern of abuse, not a single act; serious harm without physical injury.",
    ),
    GravityCategory(
        "other_sexual_offence",
        "Other sexual offence",
        10,
        "Sexual offending short of rape or serious sexual assault.",
    ),
    GravityCategory(
        "abh",
        "Actual bodily harm",
        10,
        "Physical injury short of grievous bodily harm.",
    ),
    GravityCategory(
        "breach_of_order",
        "Breach of a protective order",
        6,
        "Defying a court or police order made to protect a victim-survivor.",
    ),
    GravityCategory(
        "harassment",
        "Harassment or malicious communications",
        5,
        "Repeated unwanted contact, below the threshold of stalking.",
    ),
    GravityCategory(
        "common_assault",
        "Common assault or battery",
        5,
        "Violence without recorded injury.",
    ),
    GravityCategory(
        "criminal_damage",
        "Criminal damage",
        4,
        "Damage to property, often used to intimidate.",
    ),
    GravityCategory(
        "verbal_or_non_crime",
        "Verbal argument or non-crime domestic incident",
        1,
        "Recorded, and counts towards frequency, but carries little gravity.",
    ),
)

# Bounds that keep every configuration's integer arithmetic far inside 64 bits.
MAX_WINDOW_DAYS = 3660
MAX_COUNT_CAP = 100
MAX_WEIGHT = Decimal(10_000)

# The columns `score` reads (`domestic_abuse` only when the configuration filters on it).
INCIDENT_COLUMNS = ("perpetrator_id", "victim_id", "date", "category")
INCIDENT_SCHEMA: dict[str, Any] = {
    "perpetrator_id": pl.String,
    "victim_id": pl.String,
    "date": pl.Date,
    "category": pl.String,
    "domestic_abuse": pl.Boolean,
}

# What `score` returns, in this order.
SCORE_SCHEMA: dict[str, Any] = {
    "rank": pl.Int64,
    "perpetrator_id": pl.String,
    "rfg": pl.Int64,
    "recency": pl.Decimal(38, 2),
    "frequency": pl.Decimal(38, 2),
    "gravity": pl.Decimal(38, 2),
    "victims": pl.Decimal(38, 2),
    "incidents": pl.Int64,
    "distinct_victims": pl.Int64,
    "gravity_weight": pl.Decimal(38, 2),
    "latest_incident": pl.Date,
    "days_since_latest": pl.Int64,
}

_NON_CODE = re.compile(r"[^a-z0-9]+")


def normalise_category(text: str) -> str:
    """A category as a code: lower case, runs of anything but letters and digits made one
    underscore ("Threats to kill" and "threats-to-kill" are both `threats_to_kill`)."""
    return _NON_CODE.sub("_", str(text).strip().lower()).strip("_")


class ScoringConfigError(ValueError):
    """A scoring configuration that cannot be used; `problems` says every reason."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class IncidentFrameError(ValueError):
    """Incidents that cannot be scored: a missing column, or categories with no weight."""

    def __init__(self, message: str, *, unknown_categories: tuple[str, ...] = ()):
        super().__init__(message)
        self.unknown_categories = unknown_categories


def _default_table() -> Mapping[str, Decimal]:
    return MappingProxyType({c.code: Decimal(c.weight) for c in DEFAULT_GRAVITY})


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _whole(value: Any) -> int | None:
    number = _decimal(value)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoringConfig:
    """What a partnership agrees: the look-back window, the maximum points and cap of each
    component, and the gravity table. Invalid values raise ScoringConfigError.

    There is deliberately NO default weight: an incident whose category is not in the
    gravity table is refused (at import, and by `score`), never silently weighted 0, so a
    mis-mapped extract cannot quietly lower someone's score.
    """

    window_days: int = 730
    recency_max: int = 30
    frequency_max: int = 30
    frequency_cap: int = 10
    gravity_max: int = 30
    gravity_cap: Decimal = Decimal(60)
    victims_max: int = 10
    victims_cap: int = 3
    gravity_table: Mapping[str, Decimal] = field(default_factory=_default_table)
    domestic_abuse_only: bool = False

    def __post_init__(self) -> None:
        problems = self._problems()
        if problems:
            raise ScoringConfigError(problems)
        table = {normalise_category(k): Decimal(str(v)) for k, v in self.gravity_table.items()}
        object.__setattr__(self, "gravity_table", MappingProxyType(dict(sorted(table.items()))))
        object.__setattr__(self, "gravity_cap", Decimal(str(self.gravity_cap)))

    def _problems(self) -> list[str]:
        problems: list[str] = []

        def whole(name: str, low: int, high: int) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                problems.append(f"{name} must be a whole number from {low} to {high}")

        whole("window_days", 1, MAX_WINDOW_DAYS)
        for name in ("recency_max", "frequency_max", "gravity_max", "victims_max"):
            whole(name, 0, 100)
        whole("frequency_cap", 1, MAX_COUNT_CAP)
        whole("victims_cap", 1, MAX_COUNT_CAP)
        maxima = [self.recency_max, self.frequency_max, self.gravity_max, self.victims_max]
        if not problems and sum(maxima) != 100:
            problems.append(
                "recency_max, frequency_max, gravity_max and victims_max must add up to 100 "
                f"(they add up to {sum(maxima)}), so that every score is out of 100"
            )
        if not _hundredths(self.gravity_cap, positive=True):
            problems.append(
                f"gravity_cap must be a number above 0 and at most {MAX_WEIGHT}, "
                "with at most two decimal places"
            )
        if not isinstance(self.domestic_abuse_only, bool):
            problems.append("domestic_abuse_only must be true or false")
        table = self.gravity_table
        if not isinstance(table, Mapping) or not table:
            problems.append("gravity_table must list at least one category and its weight")
            return problems
        seen: dict[str, str] = {}
        for raw, weight in table.items():
            code = normalise_category(raw) if isinstance(raw, str) else ""
            if not code:
                problems.append(f"gravity_table has a category with no letters or digits: {raw!r}")
                continue
            if code in seen:
                problems.append(
                    f"gravity_table lists {raw!r} and {seen[code]!r}, which are the same category"
                )
            seen[code] = raw
            if not _hundredths(weight, positive=False):
                problems.append(
                    f"the gravity weight of {code!r} must be a number from 0 to {MAX_WEIGHT}, "
                    "with at most two decimal places"
                )
        return problems

    # -- JSON ----------------------------------------------------------------------------

    @classmethod
    def from_json(cls, data: Any) -> ScoringConfig:
        """A configuration from its JSON shape (docs/panels-rfg.md). Keys left out take the
        default; unknown keys and invalid values raise ScoringConfigError."""
        if not isinstance(data, Mapping):
            raise ScoringConfigError(["the scoring configuration must be a JSON object"])
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(str(k) for k in data if k not in known)
        problems = [f"{k!r} is not a scoring setting" for k in unknown]
        values: dict[str, Any] = {}
        for key in known & set(data):
            value = data[key]
            if key == "gravity_table":
                if not isinstance(value, Mapping):
                    problems.append("gravity_table must be an object of category: weight")
                    continue
                table = {}
                for code, weight in value.items():
                    number = _decimal(weight)
                    if number is None:
                        problems.append(f"the gravity weight of {code!r} must be a number")
                        continue
                    table[str(code)] = number
                values[key] = table
            elif key == "gravity_cap":
                number = _decimal(value)
                if number is None:
                    problems.append("gravity_cap must be a number")
                    continue
                values[key] = number
            elif key == "domestic_abuse_only":
                values[key] = value
            else:
                number_int = _whole(value)
                if number_int is None:
                    problems.append(f"{key} must be a whole number")
                    continue
                values[key] = number_int
        if problems:
            raise ScoringConfigError(problems)
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        """The JSON shape `from_json` reads: every setting, weights as numbers."""
        return {
            "window_days": self.window_days,
            "recency_max": self.recency_max,
            "frequency_max": self.frequency_max,
            "frequency_cap": self.frequency_cap,
            "gravity_max": self.gravity_max,
            "gravity_cap": _json_number(self.gravity_cap),
            "victims_max": self.victims_max,
            "victims_cap": self.victims_cap,
            "gravity_table": {k: _json_number(v) for k, v in self.gravity_table.items()},
            "domestic_abuse_only": self.domestic_abuse_only,
        }

    def with_gravity_table(self, table: Mapping[str, Any]) -> ScoringConfig:
        """This configuration with another gravity table (`rfg-score --gravity`)."""
        return replace(self, gravity_table=dict(table))

    # -- Arithmetic ------------------------------------------------------------------------

    @property
    def gravity_cap_hundredths(self) -> int:
        return int(self.gravity_cap * 100)

    @property
    def weights_in_hundredths(self) -> dict[str, int]:
        return {k: int(v * 100) for k, v in self.gravity_table.items()}

    @property
    def denominator(self) -> int:
        """The common denominator of every component (exact integer arithmetic)."""
        return math.lcm(
            self.window_days, self.frequency_cap, self.gravity_cap_hundredths, self.victims_cap
        )

    def window_start(self, as_of: dt.date) -> dt.date:
        return as_of - dt.timedelta(days=self.window_days)


def _hundredths(value: Any, *, positive: bool) -> bool:
    number = _decimal(value)
    if number is None or number < 0 or number > MAX_WEIGHT or (positive and number == 0):
        return False
    return (number * 100) == (number * 100).to_integral_value()


DEFAULT_CONFIG = ScoringConfig()


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, exactly (both non-negative integers)."""
    return (2 * numerator + denominator) // (2 * denominator)


# --------------------------------------------------------------------------------------
# Scoring: one vectorised pass
# --------------------------------------------------------------------------------------


def empty_incidents() -> pl.DataFrame:
    return pl.DataFrame(schema=INCIDENT_SCHEMA)


def _prepare(incidents: pl.DataFrame | pl.LazyFrame, config: ScoringConfig) -> pl.LazyFrame:
    lf = incidents.lazy()
    columns = lf.collect_schema()
    missing = [c for c in INCIDENT_COLUMNS if c not in columns]
    if config.domestic_abuse_only and "domestic_abuse" not in columns:
        missing.append("domestic_abuse")
    if missing:
        raise IncidentFrameError(f"incidents need the column(s) {', '.join(missing)}")
    date = pl.col("date")
    if columns["date"] != pl.Date:
        date = date.cast(pl.Date)
    return lf.with_columns(
        pl.col("perpetrator_id").cast(pl.String),
        pl.col("victim_id").cast(pl.String),
        date,
        pl.col("category").cast(pl.String),
    )


def score(
    incidents: pl.DataFrame | pl.LazyFrame,
    *,
    as_of: dt.date,
    config: ScoringConfig = DEFAULT_CONFIG,
) -> pl.DataFrame:
    """Every perpetrator with an incident in the window, scored and ranked (SCORE_SCHEMA).

    `incidents` has the columns perpetrator_id, victim_id (empty or null when not known),
    date and category (a code in the gravity table), and domestic_abuse when the
    configuration counts domestic-abuse incidents only. Raises IncidentFrameError when an
    incident in the window has a category the gravity table does not weigh.
    """
    lf = _prepare(incidents, config)
    start = config.window_start(as_of)
    window = pl.col("date").is_between(pl.lit(start), pl.lit(as_of), closed="both")
    if config.domestic_abuse_only:
        window = window & pl.col("domestic_abuse").fill_null(False)
    lf = lf.filter(window)

    w, fc, gc, vc = (
        config.window_days,
        config.frequency_cap,
        config.gravity_cap_hundredths,
        config.victims_cap,
    )
    big = config.denominator
    weight = pl.col("category").replace_strict(
        config.weights_in_hundredths, default=None, return_dtype=pl.Int64
    )
    victim = pl.col("victim_id")
    # A blank victim id means none was recorded: null, so it is not counted as a victim.
    lf = lf.with_columns(_victim=pl.when(victim.str.strip_chars() != "").then(victim))

    per_person = lf.group_by("perpetrator_id").agg(
        incidents=pl.len().cast(pl.Int64),
        latest_incident=pl.col("date").max(),
        _weight=weight.sum().cast(pl.Int64),
        _unweighted=weight.null_count().cast(pl.Int64),
        distinct_victims=pl.col("_victim").drop_nulls().n_unique().cast(pl.Int64),
    )
    days = (pl.lit(as_of) - pl.col("latest_incident")).dt.total_days().cast(pl.Int64)
    r = (w - pl.col("days_since_latest")).clip(lower_bound=0)
    f = pl.col("incidents").clip(upper_bound=fc)
    g = pl.col("_weight").clip(upper_bound=gc)
    v = (pl.col("distinct_victims") - 1).clip(lower_bound=0, upper_bound=vc)
    # Each component as an exact fraction over `big`; the sum's numerator is an integer.
    numerator = (
        config.recency_max * (big // w) * r
        + config.frequency_max * (big // fc) * f
        + config.gravity_max * (big // gc) * g
        + config.victims_max * (big // vc) * v
    )

    gravity_span = config.gravity_max * gc + 1  # gravity order runs 0 .. gravity_max x cap
    day_span = w + 1  # days since the latest incident run 0 .. window_days

    def two_places(hundredths: pl.Expr) -> pl.Expr:
        # An exact decimal. (A float would not do: Polars divides by a constant by
        # multiplying by its reciprocal, so 427 / 100 would be 4.2700000000000005.)
        return hundredths.cast(pl.Decimal(38, 2)) / 100

    def hundredths(points: int, part: pl.Expr, cap: int) -> pl.Expr:
        # points x part / cap, in hundredths, rounded half up; shown to two places.
        return two_places((200 * points * part + cap) // (2 * cap))

    scored = (
        per_person.with_columns(days_since_latest=days)
        .with_columns(
            rfg=(2 * numerator + big) // (2 * big),
            recency=hundredths(config.recency_max, r, w),
            frequency=hundredths(config.frequency_max, f, fc),
            gravity=hundredths(config.gravity_max, g, gc),
            victims=hundredths(config.victims_max, v, vc),
            gravity_weight=two_places(pl.col("_weight")),
        )
        .with_columns(
            # RFG, then gravity (gravity_max x capped weight orders exactly as the gravity
            # component does: the cap divides every row alike), then the latest incident
            # (fewer days since it is more recent), packed into one integer so the sort
            # compares numbers, with the perpetrator id only to break what is left.
            _order=(pl.col("rfg") * gravity_span + config.gravity_max * g) * day_span
            + (day_span - 1 - pl.col("days_since_latest")),
        )
        .sort(["_order", "perpetrator_id"], descending=[True, False])
        .with_row_index("rank", offset=1)
    )
    result = scored.collect()
    if result.height and result["_unweighted"].sum():
        _raise_unknown(incidents, as_of=as_of, config=config)
    return result.select([pl.col(name).cast(dtype) for name, dtype in SCORE_SCHEMA.items()])


def _raise_unknown(
    incidents: pl.DataFrame | pl.LazyFrame, *, as_of: dt.date, config: ScoringConfig
) -> None:
    """The error path only: name the categories that have no weight."""
    lf = _prepare(incidents, config)
    start = config.window_start(as_of)
    unknown = (
        lf.filter(pl.col("date").is_between(pl.lit(start), pl.lit(as_of), closed="both"))
        .filter(~pl.col("category").is_in(list(config.gravity_table)))
        .select(pl.col("category").unique().sort())
        .collect()["category"]
        .to_list()
    )
    shown = ", ".join(repr(c) for c in unknown[:20])
    more = f" and {len(unknown) - 20} more" if len(unknown) > 20 else ""
    raise IncidentFrameError(
        f"the gravity table gives no weight to {shown}{more}: add the categories to the "
        "gravity table (there is no default weight)",
        unknown_categories=tuple(unknown),
    )


def score_rows(
    incidents: pl.DataFrame | pl.LazyFrame,
    *,
    as_of: dt.date,
    config: ScoringConfig = DEFAULT_CONFIG,
    top: int | None = None,
) -> list[dict[str, Any]]:
    """`score` as a list of plain dicts in rank order (the first `top` when given)."""
    scored = score(incidents, as_of=as_of, config=config)
    if top is not None:
        scored = scored.head(top)
    return scored.to_dicts()


# --------------------------------------------------------------------------------------
# Explanation
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExplainedIncident:
    date: dt.date
    category: str
    weight: Decimal | None
    victim_id: str
    in_window: bool
    days_before: int


@dataclass(frozen=True)
class Explanation:
    """Why a perpetrator has the score they have: the components, the arithmetic in words
    and every incident behind it (those outside the window listed, marked as not counted)."""

    perpetrator_id: str
    as_of: dt.date
    window_start: dt.date
    score: dict[str, Any] | None
    incidents: tuple[ExplainedIncident, ...]
    lines: tuple[str, ...]


def _fmt(value: Decimal | float | int) -> str:
    number = Decimal(str(value))
    return f"{number:f}" if number != number.to_integral_value() else str(int(number))


def explain(
    incidents: pl.DataFrame | pl.LazyFrame,
    *,
    perpetrator_id: str,
    as_of: dt.date,
    config: ScoringConfig = DEFAULT_CONFIG,
) -> Explanation:
    """The explanation of one perpetrator's score, computed by `score` itself (so the two
    can never disagree) on that person's incidents."""
    lf = _prepare(incidents, config).filter(pl.col("perpetrator_id") == perpetrator_id)
    theirs = lf.sort(["date", "category"]).collect()
    start = config.window_start(as_of)
    rows = score(theirs, as_of=as_of, config=config).to_dicts()
    result = rows[0] if rows else None
    listed = []
    for incident in theirs.iter_rows(named=True):
        in_window = start <= incident["date"] <= as_of and (
            not config.domestic_abuse_only or bool(incident.get("domestic_abuse"))
        )
        listed.append(
            ExplainedIncident(
                date=incident["date"],
                category=incident["category"],
                weight=config.gravity_table.get(incident["category"]),
                victim_id=(incident["victim_id"] or "").strip(),
                in_window=in_window,
                days_before=(as_of - incident["date"]).days,
            )
        )
    counted = [i for i in listed if i.in_window]
    lines = [
        f"Window: {start.isoformat()} to {as_of.isoformat()} ({config.window_days} days before "
        f"the reference date, both ends included): {len(counted)} of {len(listed)} "
        "incidents counted."
        + (" Only incidents flagged as domestic abuse count." if config.domestic_abuse_only else "")
    ]
    if result is None:
        lines.append("No incident in the window: no score.")
        return Explanation(perpetrator_id, as_of, start, None, tuple(listed), tuple(lines))
    days = result["days_since_latest"]
    weights = [i.weight or Decimal(0) for i in counted]
    victims = result["distinct_victims"]
    lines += [
        f"Recency {result['recency']:.2f} of {config.recency_max}: latest incident "
        f"{result['latest_incident'].isoformat()}, {days} days before the reference date; "
        f"{config.recency_max} x max(0, 1 - {days}/{config.window_days}).",
        f"Frequency {result['frequency']:.2f} of {config.frequency_max}: "
        f"{result['incidents']} incidents; {config.frequency_max} x "
        f"min({result['incidents']}, {config.frequency_cap})/{config.frequency_cap}.",
        f"Gravity {result['gravity']:.2f} of {config.gravity_max}: weights "
        f"{' + '.join(_fmt(w) for w in weights)} = {_fmt(sum(weights, Decimal(0)))}; "
        f"{config.gravity_max} x min({_fmt(sum(weights, Decimal(0)))}, "
        f"{_fmt(config.gravity_cap)})/{_fmt(config.gravity_cap)}.",
        f"Victims {result['victims']:.2f} of {config.victims_max}: {victims} distinct "
        f"victim-survivor(s) recorded; {config.victims_max} x "
        f"min({max(victims - 1, 0)}, {config.victims_cap})/{config.victims_cap}.",
        f"RFG {result['rfg']}: the exact sum of the four components, rounded half up to a "
        "whole number (the components above are shown to two places).",
    ]
    return Explanation(perpetrator_id, as_of, start, result, tuple(listed), tuple(lines))
