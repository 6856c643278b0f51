"""The price model, from the catalog to the invoice.

A priced line (of an offer option or a contract) has a quantity, a unit price, a
discount, a tax rate and the unit its price is per: once (``one_off``), per
month, per quarter or per year. A contract bills in periods (monthly, quarterly
or yearly) over terms of whole months. From those, and only here, come:

* the net of a line per price unit: quantity × unit price − discount, rounded
  half up to cents (`line_net`);
* a recurring line's net per billing period, converted from its price unit and
  rounded once (`per_period`): that is the amount on every full period's
  invoice;
* the invoices of a term (`schedule`): the first carries the first period and the
  one-off lines, each later one a period; a period cut short (the term ends, a
  trial ends inside it) is prorated by its days and marked so;
* the figures the customer accepts and signs (`figures`): per billing period,
  per year and for the whole term, net, tax and gross. The term's figures are
  the sums of its planned invoices, so the invoices add up to them to the cent.

Dates follow the one date rule (`core.dates`).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.dates import anchored_period, boundary, months_index

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
ZERO = Decimal("0")


class PriceUnit(models.TextChoices):
    ONE_OFF = "one_off", _("one-off")
    MONTHLY = "monthly", _("per month")
    QUARTERLY = "quarterly", _("per quarter")
    YEARLY = "yearly", _("per year")


UNIT_MONTHS = {
    PriceUnit.MONTHLY: 1,
    PriceUnit.QUARTERLY: 3,
    PriceUnit.YEARLY: 12,
}


def period_months(period: str) -> int:
    """Months in a billing period or price unit (a year for anything unknown)."""
    return UNIT_MONTHS.get(period, 12)


def round_money(value: Decimal) -> Decimal:
    """The one rounding rule: half up to cents, per line; totals are sums of lines."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def percent(part, whole) -> Decimal | None:
    """`part` as a percentage of `whole`, to one decimal (None when whole is 0)."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole) * HUNDRED).quantize(Decimal("0.1"))


def line_net(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal):
    """A line's net per price unit after its discount, rounded per line."""
    return round_money(quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED)


def effective_discount(net: Decimal, list_net: Decimal) -> Decimal:
    """The discount a net is below its list value, in percent (two places);
    nothing below a zero list value or above the list."""
    if list_net <= ZERO:
        return ZERO
    return max(ZERO, ((list_net - net) / list_net * HUNDRED).quantize(CENT))


def unit_of(product) -> str:
    """The unit a product's list price is per: its billing period, or once."""
    return product.billing_period or PriceUnit.ONE_OFF


def is_recurring(unit: str) -> bool:
    return unit != PriceUnit.ONE_OFF


def per_period(net: Decimal, unit: str, billing_period: str) -> Decimal:
    """A recurring net per price unit as a net per billing period (rounded once)."""
    return round_money(net * period_months(billing_period) / period_months(unit))


def tax_of(net_by_rate: dict[Decimal, Decimal]) -> Decimal:
    """Tax of an invoice: rounded once per rate, as printed."""
    return sum(
        (round_money(net * rate / HUNDRED) for rate, net in net_by_rate.items()),
        ZERO,
    )


def invoice_totals(lines: Iterable[tuple[Decimal, Decimal]]) -> tuple[Decimal, Decimal]:
    """Net and tax of (net, tax rate) pairs: tax rounded once per rate."""
    rates: dict[Decimal, Decimal] = {}
    for net, rate in lines:
        rates[rate] = rates.get(rate, ZERO) + net
    return sum(rates.values(), ZERO), tax_of(rates)


# --- periods ----------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A span billed at once: whole, or a prorated part of an anchored period."""

    start: date
    end: date
    full_start: date
    full_end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def full_days(self) -> int:
        return (self.full_end - self.full_start).days + 1

    @property
    def is_prorated(self) -> bool:
        return self.days != self.full_days

    @property
    def factor(self) -> Fraction:
        return Fraction(self.days, self.full_days)


def period_at(anchor: date, start: date, end_on: date, billing_period: str) -> Period:
    """The period billed from `start`: to the end of its anchored period, or to
    `end_on` (the term's last day) when the term ends first."""
    full_start, full_end = anchored_period(anchor, start, period_months(billing_period))
    return Period(start, min(full_end, end_on), full_start, full_end)


def periods(
    anchor: date, start: date, end_on: date, billing_period: str
) -> list[Period]:
    """The billing periods from `start` to `end_on`, anchored to `anchor`."""
    spans = []
    day = start
    while day <= end_on:
        span = period_at(anchor, day, end_on, billing_period)
        spans.append(span)
        day = span.end + timedelta(days=1)
    return spans


def prorate(amount: Decimal, period: Period) -> Decimal:
    """A period's amount: the full amount, or its share by days, rounded once."""
    if not period.is_prorated:
        return amount
    return round_money(amount * period.factor.numerator / period.factor.denominator)


def term_end(anchor: date, start_on: date, months: int) -> date:
    """The last day of a term of `months` months from `start_on`, counted from the
    contract's anchor so that later terms do not drift either."""
    return boundary(anchor, months_index(anchor, start_on) + months) - timedelta(days=1)


def next_start(period: Period, end_on: date) -> date | None:
    """The first day after `period`, or None when it was the term's last (the
    billing cursor of both billing paths)."""
    return period.end + timedelta(days=1) if period.end < end_on else None


# --- what the customer signs -----------------------------------------------


@dataclass
class LineFigures:
    line: object
    unit: str
    net: Decimal  # per price unit (or once)
    per_period: Decimal  # per full billing period (0 for one-off lines)
    per_year: Decimal
    term: Decimal  # over the whole term, one-offs included

    @property
    def is_recurring(self) -> bool:
        return is_recurring(self.unit)


@dataclass
class PlannedLine:
    line: object
    net: Decimal
    tax_rate: Decimal
    period: Period | None  # None for a one-off line


@dataclass
class PlannedInvoice:
    period: Period
    lines: list[PlannedLine]
    net: Decimal = ZERO
    tax: Decimal = ZERO

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax

    @property
    def is_prorated(self) -> bool:
        return self.period.is_prorated


@dataclass
class Amounts:
    net: Decimal = ZERO
    tax: Decimal = ZERO

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax


@dataclass
class Figures:
    """Everything a customer is shown, accepts and signs for one term."""

    billing_period: str
    start_on: date
    end_on: date
    months: int
    lines: list[LineFigures]
    invoices: list[PlannedInvoice]
    period: Amounts = field(default_factory=Amounts)  # a full billing period
    year: Amounts = field(default_factory=Amounts)  # the recurring lines a year
    one_off: Amounts = field(default_factory=Amounts)
    term: Amounts = field(default_factory=Amounts)  # the sum of the invoices
    list_term: Decimal = ZERO  # the term at list prices (no discount)

    @property
    def discount(self) -> Decimal:
        return self.list_term - self.term.net

    @property
    def discount_percent(self) -> Decimal:
        if not self.list_term:
            return Decimal("0")
        return (self.discount / self.list_term * HUNDRED).quantize(Decimal("0.1"))

    @property
    def billing_label(self) -> str:
        return PriceUnit(self.billing_period).label

    @property
    def has_recurring(self) -> bool:
        return any(f.is_recurring for f in self.lines)

    @property
    def prorated(self) -> list[PlannedInvoice]:
        return [i for i in self.invoices if i.is_prorated]

    def as_dict(self) -> dict[str, str]:
        """The figures as strings (the API's totals)."""
        return {
            "list": str(self.list_term),
            "discount": str(self.discount),
            "discount_percent": str(self.discount_percent),
            "net": str(self.term.net),
            "tax": str(self.term.tax),
            "gross": str(self.term.gross),
            "billing_period": self.billing_period,
            "period_net": str(self.period.net),
            "period_gross": str(self.period.gross),
            "year_net": str(self.year.net),
            "year_gross": str(self.year.gross),
            "one_off_net": str(self.one_off.net),
            "term_start": self.start_on.isoformat(),
            "term_end": self.end_on.isoformat(),
            "invoices": str(len(self.invoices)),
        }


def _net(line, discounted: bool = True) -> Decimal:
    if discounted:
        return line_net(line.quantity, line.unit_price, line.discount_percent)
    # the list value: at the list price (a lower price is a discount too)
    return line_net(
        line.quantity, getattr(line, "reference_price", line.unit_price), ZERO
    )


def plan(
    lines: list,
    *,
    anchor: date,
    start_on: date,
    end_on: date,
    billing_period: str,
    billable_from: date | None = None,
    one_offs: bool = True,
    discounted: bool = True,
) -> list[PlannedInvoice]:
    """The invoices of a term: one per billing period from `billable_from` (the
    day after a trial) to `end_on`; the first also carries the one-off lines."""
    first_day = max(billable_from or start_on, start_on)
    recurring = [line for line in lines if is_recurring(line.price_unit)]
    invoices = []
    for span in periods(anchor, first_day, end_on, billing_period):
        planned = [
            PlannedLine(
                line,
                prorate(
                    per_period(_net(line, discounted), line.price_unit, billing_period),
                    span,
                ),
                line.tax_rate,
                span,
            )
            for line in recurring
        ]
        invoices.append(PlannedInvoice(span, planned))
    if one_offs:
        single = [
            PlannedLine(line, _net(line, discounted), line.tax_rate, None)
            for line in lines
            if not is_recurring(line.price_unit)
        ]
        if single and not invoices:
            span = Period(first_day, first_day, first_day, first_day)
            invoices.append(PlannedInvoice(span, []))
        if single:
            invoices[0].lines.extend(single)
    for invoice in invoices:
        invoice.net, invoice.tax = invoice_totals(
            (p.net, p.tax_rate) for p in invoice.lines
        )
    return [i for i in invoices if i.lines]


def figures(
    lines: Iterable,
    *,
    start_on: date,
    months: int,
    billing_period: str,
    anchor: date | None = None,
    billable_from: date | None = None,
    first_term: bool = True,
) -> Figures:
    """The signed figures of one term of `months` months from `start_on`; a
    later term (`first_term=False`, counted from `anchor`) bills no one-offs."""
    lines = list(lines)
    anchor = anchor or start_on
    end_on = term_end(anchor, start_on, months)
    invoices = plan(
        lines,
        anchor=anchor,
        start_on=start_on,
        end_on=end_on,
        billing_period=billing_period,
        billable_from=billable_from,
        one_offs=first_term,
    )
    at_list = plan(
        lines,
        anchor=anchor,
        start_on=start_on,
        end_on=end_on,
        billing_period=billing_period,
        one_offs=first_term,
        discounted=False,
    )
    result = Figures(
        billing_period=billing_period,
        start_on=start_on,
        end_on=end_on,
        months=months,
        lines=[],
        invoices=invoices,
        list_term=sum((i.net for i in at_list), ZERO),
    )
    term_by_line: dict[int, Decimal] = {}
    for invoice in invoices:
        for planned in invoice.lines:
            term_by_line[id(planned.line)] = (
                term_by_line.get(id(planned.line), ZERO) + planned.net
            )
    period_rates: dict[Decimal, Decimal] = {}
    one_off_rates: dict[Decimal, Decimal] = {}
    per_year = Decimal(12) / period_months(billing_period)
    for line in lines:
        net = _net(line)
        if is_recurring(line.price_unit):
            amount = per_period(net, line.price_unit, billing_period)
            period_rates[line.tax_rate] = period_rates.get(line.tax_rate, ZERO) + amount
            result.lines.append(
                LineFigures(
                    line,
                    line.price_unit,
                    net,
                    amount,
                    amount * per_year,
                    term_by_line.get(id(line), ZERO),
                )
            )
        else:
            once = net if first_term else ZERO
            one_off_rates[line.tax_rate] = one_off_rates.get(line.tax_rate, ZERO) + once
            result.lines.append(
                LineFigures(line, line.price_unit, net, ZERO, ZERO, once)
            )
    result.period = Amounts(sum(period_rates.values(), ZERO), tax_of(period_rates))
    result.year = Amounts(result.period.net * per_year, result.period.tax * per_year)
    result.one_off = Amounts(sum(one_off_rates.values(), ZERO), tax_of(one_off_rates))
    result.term = Amounts(
        sum((i.net for i in invoices), ZERO), sum((i.tax for i in invoices), ZERO)
    )
    return result
