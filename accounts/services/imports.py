"""Import accounts, contacts and order history from CSV/XLSX: all rows or none."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Contact, OrderLine
from accounts.validators import normalize_vat, vat_error
from catalog.models import Currency, Product
from core.dates import show_date
from core.models import User
from core.queueing import enqueue_on_commit
from core.spreadsheets import SpreadsheetError, read_table

SPECS = {
    "accounts": {
        "required": ["external_ref", "name", "owner"],
        "optional": [
            "legal_name",
            "vat_id",
            "street",
            "postal_code",
            "city",
            "country",
            "currency",
            "language",
            "industry",
            "parent_ref",
            "deputy",
            "service_path",
            "complexity",
            "lifecycle",
            "is_key_account",
            "revenue_potential",
            "strategic_fit",
        ],
    },
    "contacts": {
        "required": ["external_ref", "account_ref", "last_name"],
        "optional": [
            "reports_to_ref" if name == "reports_to" else name
            for name in Contact.EDITABLE
            if name != "last_name"
        ],
    },
    "orders": {
        "required": [
            "external_ref",
            "account_ref",
            "ordered_on",
            "product_code",
            "quantity",
            "net_amount",
            "currency",
        ],
        "optional": [],
    },
}
TRUE = {"1", "true", "yes", "y", "ja", "x"}
FALSE = {"", "0", "false", "no", "n", "nein"}


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append((row, column, message))


class _RowError(Exception):
    def __init__(self, column, message):
        super().__init__(message)
        self.column, self.message = column, message


def _text(row, name, max_length=None):
    value = (row.get(name) or "").strip()
    if max_length and len(value) > max_length:
        raise _RowError(name, _("At most %(n)d characters.") % {"n": max_length})
    return value


def _decimal(row, name, *, minimum=None):
    raw = (row.get(name) or "").strip().replace(" ", "")
    if "," in raw and "." not in raw:
        raw = raw.replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise _RowError(name, _("“%(v)s” is not a number.") % {"v": raw}) from exc
    if not value.is_finite() or (minimum is not None and value < minimum):
        raise _RowError(name, _("Must be a number of at least %(m)s.") % {"m": minimum})
    return value


def _int_1_5(row, name, default):
    raw = (row.get(name) or "").strip()
    if not raw:
        return default
    if raw not in {"1", "2", "3", "4", "5"}:
        raise _RowError(name, _("Must be a whole number from 1 to 5."))
    return int(raw)


def _choice(row, name, choices, default):
    raw = (row.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw not in choices.values:
        raise _RowError(name, _("Must be one of: %s") % ", ".join(choices.values))
    return raw


def _bool(row, name):
    raw = (row.get(name) or "").strip().lower()
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    raise _RowError(name, _("Use yes or no."))


def _date(row, name):
    raw = (row.get(name) or "").strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise _RowError(name, _("“%(v)s” is not a date (use YYYY-MM-DD).") % {"v": raw})


def _check_formulas(row: dict, report: ImportReport, line: int) -> bool:
    clean = True
    for column, value in row.items():
        if not isinstance(value, str) or not value:
            continue
        numeric = (
            value[0] in "+-"
            and value[1:].replace(".", "", 1).replace(",", "", 1).isdigit()
        )
        if value[0] in "=@" or (value[0] in "+-" and not numeric):
            report.error(
                line,
                column,
                _("Cells may not start with “%s”: formulas are not imported.")
                % value[0],
            )
            clean = False
    return clean


def import_table(
    *, kind: str, content: bytes, filename: str, dry_run: bool = False, actor=None
) -> ImportReport:
    """Validate every row; import them all in one transaction only if none is wrong."""
    report = ImportReport(kind=kind, dry_run=dry_run)
    spec = SPECS.get(kind)
    if spec is None:
        report.error(0, "", _("Unknown import kind."))
        return report
    if len(content) > settings.KAM_IMPORT_MAX_BYTES:
        report.error(0, "", _("The file is too large."))
        return report
    try:
        header, rows = read_table(
            content, filename, max_rows=settings.KAM_IMPORT_MAX_ROWS
        )
    except SpreadsheetError as exc:
        report.error(0, "", str(exc))
        return report
    missing = [c for c in spec["required"] if c not in header]
    unknown = [c for c in header if c not in spec["required"] + spec["optional"]]
    if len(set(header)) != len(header):
        report.error(1, "", _("A column name appears twice."))
    if missing:
        report.error(1, "", _("Missing columns: %s") % ", ".join(missing))
    if unknown:
        report.error(
            1,
            "",
            _("Unknown columns: %(unknown)s. Expected: %(expected)s")
            % {
                "unknown": ", ".join(unknown),
                "expected": ", ".join(spec["required"] + spec["optional"]),
            },
        )
    if report.errors:
        return report
    if len(rows) > settings.KAM_IMPORT_MAX_ROWS:
        report.error(
            0,
            "",
            _("At most %(n)d rows per file.") % {"n": settings.KAM_IMPORT_MAX_ROWS},
        )
        return report
    report.rows = len(rows)
    parse = {
        "accounts": _parse_account,
        "contacts": _parse_contact,
        "orders": _parse_order,
    }[kind]
    context = _Context.load(kind, rows)
    parsed = []
    seen_refs: dict[str, int] = {}
    for index, row in enumerate(rows, start=2):
        if not _check_formulas(row, report, index):
            continue
        ref = (row.get("external_ref") or "").strip()
        if ref in seen_refs:
            report.error(
                index,
                "external_ref",
                _("Duplicate reference “%(ref)s” (also in row %(row)d).")
                % {"ref": ref, "row": seen_refs[ref]},
            )
            continue
        seen_refs[ref] = index
        try:
            parsed.append(parse(row, context))
        except _RowError as exc:
            report.error(index, exc.column, exc.message)
    if not report.errors and kind in ("accounts", "contacts"):
        _check_hierarchy(kind, parsed, context, report)
    if report.errors or dry_run:
        return report
    with transaction.atomic():
        save = {
            "accounts": _save_accounts,
            "contacts": _save_contacts,
            "orders": _save_orders,
        }[kind]
        report.created, report.updated = save(parsed, context, actor)
    if kind == "orders":
        from accounts.tasks import portfolio_recompute_task

        enqueue_on_commit(portfolio_recompute_task)
    return report


@dataclass
class _Context:
    users: dict = field(default_factory=dict)
    accounts: dict = field(default_factory=dict)
    contacts: dict = field(default_factory=dict)
    products: dict = field(default_factory=dict)
    file_refs: set = field(default_factory=set)

    @classmethod
    def load(cls, kind, rows):
        ctx = cls(file_refs={(r.get("external_ref") or "").strip() for r in rows})
        if kind == "accounts":
            ctx.users = {u.username: u for u in User.objects.filter(is_active=True)}
            refs = {(r.get("parent_ref") or "").strip() for r in rows} | ctx.file_refs
            ctx.accounts = dict(
                Account.objects.filter(external_ref__in=refs).values_list(
                    "external_ref", "pk"
                )
            )
        else:
            refs = {(r.get("account_ref") or "").strip() for r in rows}
            ctx.accounts = dict(
                Account.objects.filter(external_ref__in=refs).values_list(
                    "external_ref", "pk"
                )
            )
        if kind == "contacts":
            refs = {
                (r.get("reports_to_ref") or "").strip() for r in rows
            } | ctx.file_refs
            ctx.contacts = {
                c.external_ref: c for c in Contact.objects.filter(external_ref__in=refs)
            }
        if kind == "orders":
            codes = {(r.get("product_code") or "").strip() for r in rows}
            ctx.products = {
                p.code: p.pk for p in Product.objects.filter(code__in=codes)
            }
        return ctx


def _ref(row):
    ref = _text(row, "external_ref", 64)
    if not ref:
        raise _RowError("external_ref", _("A reference is required."))
    return ref


def _parse_account(row, ctx):
    owner = ctx.users.get(_text(row, "owner"))
    if owner is None:
        raise _RowError("owner", _("No active user “%s”.") % _text(row, "owner"))
    deputy_name = _text(row, "deputy")
    deputy = ctx.users.get(deputy_name) if deputy_name else None
    if deputy_name and deputy is None:
        raise _RowError("deputy", _("No active user “%s”.") % deputy_name)
    if deputy and deputy.pk == owner.pk:
        raise _RowError(
            "deputy", _("The deputy must be another person than the owner.")
        )
    country = _text(row, "country").upper()
    if country and (len(country) != 2 or not country.isalpha()):
        raise _RowError("country", _("Use the two-letter ISO code, e.g. DE."))
    vat = normalize_vat(_text(row, "vat_id"))
    if error := vat_error(vat, country):
        raise _RowError("vat_id", error)
    parent_ref = _text(row, "parent_ref")
    if (
        parent_ref
        and parent_ref not in ctx.accounts
        and parent_ref not in ctx.file_refs
    ):
        raise _RowError("parent_ref", _("No account with reference “%s”.") % parent_ref)
    name = _text(row, "name", 200)
    if not name:
        raise _RowError("name", _("A name is required."))
    return {
        "external_ref": _ref(row),
        "parent_ref": parent_ref,
        "fields": {
            "name": name,
            "legal_name": _text(row, "legal_name", 250),
            "vat_id": vat,
            "street": _text(row, "street", 200),
            "postal_code": _text(row, "postal_code", 20),
            "city": _text(row, "city", 100),
            "country": country,
            "currency": _currency(row, default="EUR"),
            "language": _choice(row, "language", Account.Language, "en"),
            "industry": _text(row, "industry", 100),
            "owner_id": owner.pk,
            "deputy_id": deputy.pk if deputy else None,
            "service_path": _choice(
                row,
                "service_path",
                Account.ServicePath,
                Account.ServicePath.KEY_ACCOUNT,
            ),
            "complexity": _choice(
                row, "complexity", Account.Complexity, Account.Complexity.MEDIUM
            ),
            "lifecycle": _choice(
                row, "lifecycle", Account.Lifecycle, Account.Lifecycle.CUSTOMER
            ),
            "is_key_account": _bool(row, "is_key_account"),
            "revenue_potential": _decimal(row, "revenue_potential", minimum=0)
            if _text(row, "revenue_potential")
            else Decimal("0"),
            "strategic_fit": _int_1_5(row, "strategic_fit", 3),
        },
    }


def _currency(row, default=None):
    currency = (_text(row, "currency") or default or "").upper()
    if currency not in Currency.values:
        raise _RowError("currency", _("Unknown currency “%s”.") % currency)
    return currency


def _parse_contact(row, ctx):
    account_ref = _text(row, "account_ref")
    account_id = ctx.accounts.get(account_ref)
    if account_id is None:
        raise _RowError(
            "account_ref", _("No account with reference “%s”.") % account_ref
        )
    email = _text(row, "email", 254)
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise _RowError(
                "email", _("“%s” is not a valid email address.") % email
            ) from exc
    boss_ref = _text(row, "reports_to_ref")
    if boss_ref:
        boss = ctx.contacts.get(boss_ref)
        if boss is None and boss_ref not in ctx.file_refs:
            raise _RowError(
                "reports_to_ref", _("No contact with reference “%s”.") % boss_ref
            )
        if boss is not None and boss.account_id != account_id:
            raise _RowError(
                "reports_to_ref", _("The manager must work at the same account.")
            )
    last_name = _text(row, "last_name", 100)
    if not last_name:
        raise _RowError("last_name", _("A last name is required."))
    return {
        "external_ref": _ref(row),
        "reports_to_ref": boss_ref,
        "fields": {
            "account_id": account_id,
            "first_name": _text(row, "first_name", 100),
            "last_name": last_name,
            "job_title": _text(row, "job_title", 150),
            "email": email,
            "phone": _text(row, "phone", 40),
            "role": _choice(row, "role", Contact.Role, Contact.Role.USER),
            "influence": _int_1_5(row, "influence", 3),
            "attitude": _choice(
                row, "attitude", Contact.Attitude, Contact.Attitude.NEUTRAL
            ),
            "relationship_strength": _int_1_5(row, "relationship_strength", 3),
            "do_not_contact": _bool(row, "do_not_contact"),
        },
    }


def _parse_order(row, ctx):
    account_ref = _text(row, "account_ref")
    account_id = ctx.accounts.get(account_ref)
    if account_id is None:
        raise _RowError(
            "account_ref", _("No account with reference “%s”.") % account_ref
        )
    ordered_on = _date(row, "ordered_on")
    if ordered_on > timezone.localdate():
        raise _RowError(
            "ordered_on",
            _("The order date %s lies in the future.") % show_date(ordered_on),
        )
    code = _text(row, "product_code")
    if code not in ctx.products:
        raise _RowError("product_code", _("No product with code “%s”.") % code)
    currency = _currency(row)
    quantity = _decimal(row, "quantity")
    if quantity == 0:
        raise _RowError("quantity", _("The quantity cannot be 0."))
    return {
        "external_ref": _ref(row),
        "fields": {
            "account_id": account_id,
            "ordered_on": ordered_on,
            "product_id": ctx.products[code],
            "quantity": quantity,
            "net_amount": _decimal(row, "net_amount").quantize(Decimal("0.01")),
            "currency": currency,
        },
    }


def _upsert(model, parsed, update_fields):
    existing = set(
        model.objects.filter(
            external_ref__in=[p["external_ref"] for p in parsed]
        ).values_list("external_ref", flat=True)
    )
    objs = [model(external_ref=p["external_ref"], **p["fields"]) for p in parsed]
    model.objects.bulk_create(
        objs,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["external_ref"],
        update_fields=update_fields,
    )
    updated = len(existing)
    return len(parsed) - updated, updated


def _save_with_links(model, parsed, link_key, link_field):
    """Upsert the rows, then point each at its parent/boss found by reference."""
    result = _upsert(model, parsed, list(parsed[0]["fields"]) if parsed else [])
    refs = dict(
        model.objects.filter(
            external_ref__in={p["external_ref"] for p in parsed}
            | {p[link_key] for p in parsed}
        ).values_list("external_ref", "pk")
    )
    for p in parsed:
        target = refs.get(p[link_key]) if p[link_key] else None
        model.objects.filter(pk=refs[p["external_ref"]]).update(**{link_field: target})
    return result


def _save_accounts(parsed, ctx, actor):
    """Upsert the accounts, then write their history as saving them one by one
    would: a "created" row for each new account, a "changed" row for each account
    the file changed (an unchanged one gets none, so importing twice writes no
    history twice)."""
    refs = [p["external_ref"] for p in parsed]
    own = {f.attname for f in Account._meta.concrete_fields}
    tracked = [
        f.attname for f in Account.history.model._meta.fields if f.attname in own
    ]
    before = {
        row["external_ref"]: row
        for row in Account.objects.filter(external_ref__in=refs).values(*tracked)
    }
    result = _save_with_links(Account, parsed, "parent_ref", "parent_id")
    after = list(Account.objects.filter(external_ref__in=refs).order_by("pk"))
    created = [a for a in after if a.external_ref not in before]
    changed = [
        a for a in after
        if a.external_ref in before
        and any(getattr(a, f) != before[a.external_ref][f] for f in tracked)
    ]  # fmt: skip
    reason = "import"
    if created:
        Account.history.bulk_history_create(
            created, default_user=actor, default_change_reason=reason
        )
    if changed:
        Account.history.bulk_history_create(
            changed, update=True, default_user=actor, default_change_reason=reason
        )
    return result


def _save_contacts(parsed, ctx, actor):
    return _save_with_links(Contact, parsed, "reports_to_ref", "reports_to_id")


def _save_orders(parsed, ctx, actor):
    fields = list(parsed[0]["fields"]) if parsed else []
    return _upsert(OrderLine, parsed, fields)


def _check_hierarchy(kind, parsed, ctx, report) -> None:
    """Refuse parent or reporting lines that go in a circle (or cross accounts)."""
    link = "parent_ref" if kind == "accounts" else "reports_to_ref"
    up = {p["external_ref"]: p[link] for p in parsed}
    if kind == "contacts":
        account_of = {p["external_ref"]: p["fields"]["account_id"] for p in parsed}
        for ref, boss in ctx.contacts.items():
            account_of.setdefault(ref, boss.account_id)
            if boss.reports_to_id and ref not in up:
                up[ref] = (
                    None  # existing lines outside the file cannot close a circle here
                )
        for row, p in enumerate(parsed, start=2):
            boss = p[link]
            if boss and account_of.get(boss) not in (None, p["fields"]["account_id"]):
                report.error(row, link, _("The manager must work at the same account."))
    for row, p in enumerate(parsed, start=2):
        seen, ref = {p["external_ref"]}, up.get(p["external_ref"])
        while ref:
            if ref in seen:
                report.error(row, link, _("This line goes in a circle."))
                break
            seen.add(ref)
            ref = up.get(ref)
