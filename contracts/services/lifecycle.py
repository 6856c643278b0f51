"""A contract's life: made from the accepted offer, terms settled, finalized
(subscriptions started, first invoices issued), started and ended by the nightly
run, cancelled, and turned back into a renewal offer."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import TimelineEntry
from accounts.services import todos
from catalog.models import Product
from catalog.selectors import sale_prices
from contracts.models import (
    Contract,
    ContractEvent,
    ContractLine,
    ContractTerm,
    Subscription,
)
from contracts.selectors import contract_checks
from contracts.services import billing
from contracts.services.common import JOINED, notify_customer_services, timeline_event
from contracts.services.terms import cancel_by_date, term_end
from core import services as core_services
from core import state
from core.bulk import history_snapshot
from core.exceptions import ApplicationError
from core.i18n import Later
from core.queueing import enqueue_on_commit
from offers.models import Offer
from offers.services import building as offer_building

Status = Contract.Status

# --- from the accepted offer ---------------------------------------------


@transaction.atomic
def contract_create_from_offer(*, offer: Offer, actor=None) -> Contract:
    """Make the contract of an accepted offer (once per offer) and queue its sending."""
    existing = Contract.objects.filter(offer=offer).first()
    if existing:
        return existing
    offer = (
        Offer.objects.select_related("account", "contact", "accepted_option")
        .prefetch_related("accepted_option__lines__product")
        .get(pk=offer.pk)
    )
    if offer.status != Offer.Status.ACCEPTED or offer.accepted_option is None:
        raise ApplicationError(_("Only an accepted offer becomes a contract."))
    option = offer.accepted_option
    today = timezone.localdate()
    start_on = max(offer.start_on, today)  # accepted late: the term starts today
    end_on = term_end(start_on, offer.duration_months)
    contract = Contract.objects.create(
        number=core_services.series_next(series="CT", year=today.year),
        account=offer.account,
        contact=offer.contact,
        offer=offer,
        option=option,
        title=f"{offer.title} – {option.name}",
        language=offer.language,
        currency=offer.currency,
        start_on=start_on,
        end_on=end_on,
        duration_months=offer.duration_months,
        billing_period=offer.billing_period,
        auto_renew=offer.auto_renew,
        renewal_months=12 if offer.duration_months >= 12 else offer.duration_months,
        notice_days=offer.notice_days,
        cancel_by=cancel_by_date(
            end_on=end_on, notice_days=offer.notice_days, auto_renew=offer.auto_renew
        ),
        needs_approval=offer.needs_approval,
        approved_by=offer.approved_by,
        # an accepted renewal offer continues the contract it was made from
        previous=Contract.objects.filter(renewal_offer=offer, renewal__isnull=True)
        .exclude(status=Status.CANCELLED)
        .first(),
    )
    ContractLine.objects.bulk_create(
        ContractLine(
            contract=contract,
            product=line.product,
            package_version_id=line.package_version_id,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            list_price=line.list_price,
            price_reason=line.price_reason,
            discount_percent=line.discount_percent,
            price_unit=line.price_unit,
            tax_rate=line.tax_rate,
            position=line.position,
        )
        for line in option.lines.all()
    )
    ContractEvent.objects.create(
        contract=contract, from_status="", to_status=Status.DRAFT, actor=actor
    )
    timeline_event(
        contract,
        Later(
            gettext_noop("Contract %(number)s created from offer %(offer)s"),
            number=contract.number,
            offer=offer.label,
        ),
        option.name,
        actor,
    )
    notify_customer_services(
        contract,
        _("New contract %(number)s: %(account)s")
        % {"number": contract.number, "account": contract.account.name},
        _(
            "Offer %(offer)s was accepted (%(option)s). Please check the data and "
            "collect the signature."
        )
        % {"offer": offer.label, "option": option.name},
    )
    from contracts.tasks import contract_send_task

    enqueue_on_commit(contract_send_task, contract.pk)
    return contract


@transaction.atomic
def contract_update_terms(
    *,
    contract: Contract,
    actor,
    trial_days: int,
    payment_terms_days: int,
    renewal_months: int,
    purchase_order_ref: str | None = None,
    buyer_reference: str | None = None,
) -> Contract:
    """Set what customer services settle before finalizing: trial, payment,
    renewal, and the references the customer's invoices quote."""
    contract = state.lock(contract, *JOINED)
    if contract.is_locked:
        raise ApplicationError(_("A finalized contract cannot be changed."))
    if not 0 <= trial_days <= 365:
        raise ApplicationError(_("A trial lasts between 0 and 365 days."))
    if not 0 <= payment_terms_days <= 120:
        raise ApplicationError(_("Payment terms lie between 0 and 120 days."))
    if renewal_months < 1:
        raise ApplicationError(_("A renewal term lasts at least one month."))
    contract.trial_days = trial_days
    contract.payment_terms_days = payment_terms_days
    contract.renewal_months = renewal_months
    fields = ["trial_days", "payment_terms_days", "renewal_months", "updated_at"]
    for name, value in (("purchase_order_ref", purchase_order_ref),
                        ("buyer_reference", buyer_reference)):  # fmt: skip
        if value is not None:
            setattr(contract, name, value.strip()[:100])
            fields.append(name)
    contract._change_reason = f"terms set by {actor}"
    contract.save(update_fields=fields)
    return contract


@transaction.atomic
def contract_finalize(*, contract: Contract, actor) -> Contract:
    """Start the subscriptions and issue the first invoices (one transaction, once)."""
    contract = state.lock(contract, *JOINED)
    if contract.status in (Status.FINALIZED, Status.ACTIVE):
        return contract  # a second click, or a colleague was faster
    if contract.status != Status.SIGNED:
        raise ApplicationError(
            _("Only a signed contract can be finalized; this one is %(status)s.")
            % {"status": contract.get_status_display()}
        )
    failures = [c for c in contract_checks(contract) if not c.ok]
    if failures:
        raise ApplicationError(
            _("Fix these first: %(list)s")
            % {"list": " ".join(f"{c.name}: {c.detail}" for c in failures)}
        )
    today = timezone.localdate()
    lines = list(contract.lines.select_related("product"))
    trial_end = (
        contract.start_on + timedelta(days=contract.trial_days - 1)
        if contract.trial_days
        else None
    )
    subscriptions = []
    for line in lines:
        if line.product.kind != Product.Kind.SUBSCRIPTION:
            continue
        subscriptions.append(
            Subscription.objects.create(
                contract=contract,
                contract_line=line,
                account=contract.account,
                product=line.product,
                status=Subscription.Status.TRIAL
                if trial_end
                else Subscription.Status.ACTIVE,
                quantity=line.quantity,
                currency=contract.currency,
                billing_period=contract.billing_period,
                period_amount=billing.period_amount(line, contract.billing_period),
                tax_rate=line.tax_rate,
                mrr=billing.monthly_amount(line),
                start_on=contract.start_on,
                end_on=contract.end_on,
                trial_ends_on=trial_end,
                next_billing_on=trial_end + timedelta(days=1)
                if trial_end
                else contract.start_on,
            )
        )
    invoice = billing.invoice_first(
        contract=contract,
        subscriptions=[s for s in subscriptions if s.status != "trial"],
        one_off_lines=[
            line for line in lines if line.product.kind != Product.Kind.SUBSCRIPTION
        ],
        today=today,
        actor=actor,
    )
    ContractTerm.objects.create(
        contract=contract,
        sequence=1,
        kind=ContractTerm.Kind.INITIAL,
        start_on=contract.start_on,
        end_on=contract.end_on,
        cancel_by=contract.cancel_by,
        arr=sum((s.mrr for s in subscriptions), Decimal(0)) * 12,
    )
    contract.finalized_at = timezone.now()
    contract.finalized_by = actor
    state.transition(contract, Status.FINALIZED, actor=actor)
    if contract.start_on <= today:
        state.transition(contract, Status.ACTIVE, actor=actor)
    contract.save(
        update_fields=["status", "finalized_at", "finalized_by", "updated_at"]
    )
    timeline_event(
        contract,
        Later(gettext_noop("Contract %(number)s finalized"), number=contract.number),
        Later(
            gettext_noop("%(subs)d subscriptions, %(invoices)d invoice"),
            subs=len(subscriptions),
            invoices=1 if invoice else 0,
        ),
        actor,
    )
    if contract.previous_id is None:  # a renewal is no new start
        todos.check_ins_plan(
            account=contract.account,
            occasion=f"contract:{contract.number}",
            start_on=max(contract.start_on, today),
            actor=actor,
            notes=_(
                "Planned when contract %(number)s was finalized: how is the "
                "start going?"
            )
            % {"number": contract.number},
            related=contract,
        )
    if invoice:
        from contracts.tasks import invoice_send_task

        enqueue_on_commit(invoice_send_task, invoice.pk)
    return contract


@transaction.atomic
def contracts_start_due(*, today: date | None = None, pks=None) -> int:
    """Activate finalized contracts whose term has begun (optionally only `pks`)."""
    today = today or timezone.localdate()
    now = timezone.now()
    due = Contract.objects.select_for_update().filter(
        status=Status.FINALIZED, start_on__lte=today
    )
    if pks is not None:
        due = due.filter(pk__in=pks)
    ids = list(due.order_by("pk").values_list("pk", flat=True))
    if not ids:
        return 0
    state.transition_bulk(
        Contract,
        [(pk, Status.FINALIZED, Status.ACTIVE) for pk in ids],
        comment=Later(gettext_noop("Term started")),
        at=now,
        history_reason="term started",
    )
    return len(ids)


@transaction.atomic
def contracts_end_due(*, today: date | None = None, pks=None) -> dict[str, list[int]]:
    """Close running fixed-term contracts whose term is over (optionally only `pks`).

    A contract continued by a new one (an accepted renewal offer) becomes renewed,
    any other ended; their subscriptions stop. Standing orders are left to the
    renewal job, which gives them a new term.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    due = Contract.objects.select_for_update().filter(
        status__in=Contract.RUNNING, auto_renew=False, end_on__lt=today
    )
    if pks is not None:
        due = due.filter(pk__in=pks)
    rows = list(
        due.order_by("pk").values_list("pk", "status", "account_id", "number", "end_on")
    )
    if not rows:
        return {"ended": [], "renewed": []}
    ids = [r[0] for r in rows]
    continued = set(
        Contract.objects.filter(previous_id__in=ids)
        .exclude(status=Status.CANCELLED)
        .values_list("previous_id", flat=True)
    )
    # a finalized contract whose whole term passed unseen starts, then ends
    state.transition_bulk(
        Contract,
        [(pk, old, Status.ACTIVE) for pk, old, *_ in rows if old != Status.ACTIVE],
        comment=Later(gettext_noop("Term started")),
        at=now,
    )
    renewed = [pk for pk in ids if pk in continued]
    ended = [pk for pk in ids if pk not in continued]
    state.transition_bulk(
        Contract,
        [(pk, Status.ACTIVE, Status.RENEWED) for pk in renewed],
        comment=Later(gettext_noop("Term over, continued by the renewal contract")),
        at=now,
    )
    state.transition_bulk(
        Contract,
        [(pk, Status.ACTIVE, Status.ENDED) for pk in ended],
        comment=Later(gettext_noop("Term over, not renewed")),
        at=now,
    )
    subscriptions = Subscription.objects.filter(
        contract_id__in=ids,
        status__in=[Subscription.Status.TRIAL, Subscription.Status.ACTIVE],
    )
    sub_ids = list(subscriptions.values_list("pk", flat=True))
    subscriptions.update(
        status=Subscription.Status.ENDED, next_billing_on=None, updated_at=now
    )
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            account_id=account_id,
            kind=TimelineEntry.Kind.EVENT,
            occurred_at=now,
            title=Later(
                gettext_noop("Contract %(number)s renewed by a new contract")
                if pk in continued
                else gettext_noop("Contract %(number)s ended"),
                number=number,
            ),
            summary=Later(gettext_noop("The term ended on %(date)s."), date=end_on),
        )
        for pk, _status, account_id, number, end_on in rows
    )
    history_snapshot(Contract, ids, history_type="~", reason="term over", at=now)
    history_snapshot(
        Subscription, sub_ids, history_type="~", reason="term over", at=now
    )
    return {"ended": ended, "renewed": renewed}


@transaction.atomic
def contract_cancel(*, contract: Contract, actor, reason: str) -> Contract:
    """Cancel a contract with a reason; running subscriptions stop."""
    contract = state.lock(contract, *JOINED)
    if contract.status == Status.CANCELLED:
        return contract
    if not reason.strip():
        raise ApplicationError(
            _("Please give the reason for the cancellation."),
            extra={"field": "reason"},
        )
    state.transition(contract, Status.CANCELLED, actor=actor, comment=reason.strip())
    contract.cancelled_at = timezone.now()
    contract.cancel_reason = reason.strip()
    contract.save(
        update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"]
    )
    for subscription in contract.subscriptions.select_for_update().filter(
        status__in=[Subscription.Status.TRIAL, Subscription.Status.ACTIVE]
    ):
        subscription.status = Subscription.Status.CANCELLED
        subscription.next_billing_on = None
        subscription.save(update_fields=["status", "next_billing_on", "updated_at"])
    timeline_event(
        contract,
        Later(gettext_noop("Contract %(number)s cancelled"), number=contract.number),
        reason.strip()[:300],
        actor,
    )
    return contract


# --- back to offers -------------------------------------------------------


@transaction.atomic
def offer_create_from_contract(
    *, contract: Contract, actor, reuse: bool = True, title: str = ""
) -> Offer:
    """Start a new draft offer from a contract's package and terms (renewals).

    Today's list prices apply and the negotiated discounts carry over; items no
    longer sold are left out (the renewal comparison lists them).
    """
    contract = state.lock(contract, *JOINED)
    if (
        reuse
        and contract.renewal_offer_id
        and contract.renewal_offer.status
        not in (
            Offer.Status.DECLINED,
            Offer.Status.EXPIRED,
        )
    ):
        return contract.renewal_offer
    lines = list(contract.lines.select_related("product"))
    sold = {
        product_id
        for product_id, _cur in sale_prices(
            [line.product_id for line in lines], contract.currency
        )
    }
    offer = offer_building.offer_create(
        account=contract.account,
        contact=contract.contact,
        actor=actor,
        title=title or _("Renewal of %(number)s") % {"number": contract.number},
        language=contract.language,
        start_on=max(contract.end_on + timedelta(days=1), timezone.localdate()),
        duration_months=contract.renewal_months or contract.duration_months,
        billing_period=contract.billing_period,
        auto_renew=contract.auto_renew,
        notice_days=contract.notice_days,
        option_names=[contract.option.name if contract.option_id else _("Renewal")],
    )
    option = offer.options.get()
    for line in lines:
        if line.product_id not in sold:
            continue
        offer_building.line_add(
            option=option,
            actor=actor,
            product=line.product,
            quantity=line.quantity,
            discount_percent=line.discount_percent,
            description=line.description,
            package_version=line.package_version,
        )
    contract.renewal_offer = offer
    contract.save(update_fields=["renewal_offer", "updated_at"])
    timeline_event(
        contract,
        Later(
            gettext_noop("Offer %(offer)s started from contract %(number)s"),
            offer=offer.label,
            number=contract.number,
        ),
        actor=actor,
    )
    return offer
