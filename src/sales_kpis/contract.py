"""The raw-data contract (``shared/spec/raw_contract.md``) as data.

One definition serves the generator (what to write), the validator (what to
check) and the docs. Column types are the contract's logical types:
``text``, ``timestamp``, ``date``, ``decimal``, ``integer``, ``boolean``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True


@dataclass(frozen=True)
class ForeignKey:
    column: str
    ref_table: str
    ref_column: str


@dataclass(frozen=True)
class Table:
    name: str
    required: bool
    primary_key: tuple[str, ...]
    columns: tuple[Column, ...]
    foreign_keys: tuple[ForeignKey, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


def _c(name: str, type_: str, nullable: bool = True) -> Column:
    return Column(name, type_, nullable)


def _fk(column: str, ref_table: str, ref_column: str | None = None) -> ForeignKey:
    return ForeignKey(column, ref_table, ref_column or column)


TABLES: dict[str, Table] = {
    table.name: table
    for table in [
        Table(
            "users", True, ("user_id",),
            (
                _c("user_id", "text", False), _c("full_name", "text"), _c("email", "text"),
                _c("role", "text", False), _c("team", "text"), _c("segment", "text"),
                _c("region", "text"), _c("manager_id", "text"), _c("hired_on", "date", False),
                _c("left_on", "date"), _c("annual_ote", "decimal"), _c("ramp_months", "integer"),
            ),
            (_fk("manager_id", "users", "user_id"),),
        ),
        Table(
            "accounts", True, ("account_id",),
            (
                _c("account_id", "text", False), _c("account_name", "text"), _c("industry", "text"),
                _c("segment", "text"), _c("region", "text"), _c("owner_id", "text"),
                _c("created_at", "timestamp", False),
            ),
            (_fk("owner_id", "users", "user_id"),),
        ),
        Table(
            "leads", True, ("lead_id",),
            (
                _c("lead_id", "text", False), _c("created_at", "timestamp", False),
                _c("lead_source", "text"), _c("campaign", "text"), _c("owner_id", "text"),
                _c("mql_at", "timestamp"), _c("sql_at", "timestamp"),
                _c("disqualified_at", "timestamp"), _c("converted_at", "timestamp"),
                _c("converted_account_id", "text"), _c("converted_opportunity_id", "text"),
                _c("is_deleted", "boolean"),
            ),
            (
                _fk("owner_id", "users", "user_id"),
                _fk("converted_account_id", "accounts", "account_id"),
                _fk("converted_opportunity_id", "opportunities", "opportunity_id"),
            ),
        ),
        Table(
            "opportunities", True, ("opportunity_id",),
            (
                _c("opportunity_id", "text", False), _c("account_id", "text", False),
                _c("owner_id", "text", False), _c("sourced_by_id", "text"), _c("lead_id", "text"),
                _c("product_id", "text"), _c("opportunity_type", "text", False),
                _c("stage_name", "text", False), _c("amount", "decimal"), _c("currency", "text"),
                _c("created_at", "timestamp", False), _c("close_date", "date", False),
                _c("updated_at", "timestamp"), _c("is_deleted", "boolean"),
            ),
            (
                _fk("account_id", "accounts"), _fk("owner_id", "users", "user_id"),
                _fk("sourced_by_id", "users", "user_id"), _fk("lead_id", "leads"),
                _fk("product_id", "products"),
            ),
        ),
        Table(
            "opportunity_stage_history", True, ("opportunity_id", "stage_name", "entered_at"),
            (
                _c("opportunity_id", "text", False), _c("stage_name", "text", False),
                _c("entered_at", "timestamp", False), _c("amount", "decimal"),
            ),
            (_fk("opportunity_id", "opportunities"),),
        ),
        Table(
            "subscriptions", True, ("subscription_id",),
            (
                _c("subscription_id", "text", False), _c("account_id", "text", False),
                _c("product_id", "text"), _c("starts_on", "date", False), _c("ends_on", "date"),
                _c("arr", "decimal", False), _c("currency", "text"),
            ),
            (_fk("account_id", "accounts"), _fk("product_id", "products")),
        ),
        Table(
            "quotas", True, ("user_id", "period_start"),
            (
                _c("user_id", "text", False), _c("period_start", "date", False),
                _c("period_end", "date", False), _c("quota_amount", "decimal", False),
            ),
            (_fk("user_id", "users"),),
        ),
        Table(
            "targets", True, ("period_start", "period_end", "metric", "segment", "product_id"),
            (
                _c("period_start", "date", False), _c("period_end", "date", False),
                _c("metric", "text", False), _c("segment", "text"), _c("product_id", "text"),
                _c("target_value", "decimal", False),
            ),
            (_fk("product_id", "products"),),
        ),
        Table(
            "products", False, ("product_id",),
            (
                _c("product_id", "text", False), _c("product_name", "text"),
                _c("product_family", "text"), _c("launched_on", "date"),
            ),
        ),
        Table(
            "exchange_rates", False, ("currency", "rate_date"),
            (
                _c("currency", "text", False), _c("rate_date", "date", False),
                _c("rate_to_reporting", "decimal", False),
            ),
        ),
        Table(
            "activities", False, ("activity_id",),
            (
                _c("activity_id", "text", False), _c("user_id", "text", False),
                _c("lead_id", "text"), _c("opportunity_id", "text"),
                _c("activity_type", "text", False), _c("occurred_at", "timestamp", False),
            ),
            (_fk("user_id", "users"), _fk("lead_id", "leads"), _fk("opportunity_id", "opportunities")),
        ),
        # Configuration: ships as a seed; a user's own file in the raw dir replaces it.
        Table(
            "stages", False, ("stage_name",),
            (
                _c("stage_name", "text", False), _c("stage_number", "integer"),
                _c("is_closed", "boolean", False), _c("is_won", "boolean", False),
                _c("forecast_probability", "decimal"),
            ),
        ),
    ]
}

REQUIRED_TABLES = [name for name, table in TABLES.items() if table.required]
OPTIONAL_TABLES = [name for name, table in TABLES.items() if not table.required]
USER_ROLES = ("sdr", "ae", "am", "manager", "other")
OPPORTUNITY_TYPES = ("new_business", "expansion", "renewal")

# The default funnel; mirrors seeds/stages.csv (a test keeps the two equal).
DEFAULT_STAGES = [
    # stage_name, stage_number, is_closed, is_won, forecast_probability
    ("Prospecting", 0, False, False, 0.05),
    ("Discovery", 1, False, False, 0.10),
    ("Qualification", 2, False, False, 0.20),
    ("Solution", 3, False, False, 0.40),
    ("Proposal", 4, False, False, 0.60),
    ("Negotiation", 5, False, False, 0.80),
    ("Closed Won", 6, True, True, 1.00),
    ("Closed Lost", None, True, False, 0.00),
]
