from datetime import date
from decimal import Decimal

import pytest

from insights.services.affinity import affinity_recompute
from tests.factories import AccountFactory, ContactFactory
from tests.insights.helpers import contract, family_product, subscribe

TODAY = date(2026, 11, 23)


@pytest.fixture
def segment(cast):
    return build_segment(cast)


def build_segment(cast):
    """Five Publishing · A accounts; every report number below is worked by hand.

    acc1 (kam):  Print ×10 at 100/month, Digital at 200, Archive in trial at 25
    acc2 (kam2): Print ×20 at 150, Digital at 300; potential 10,000 a year
    acc3 (kam3): Print ×30 at 100, Archive at 50          (the other team)
    acc4 (kam):  Print ×5 at 50
    acc5 (kam2): Archive at 80
    """
    _print, p = family_product("PRINT")
    _digital, d = family_product("DIGITAL")
    _archive, a = family_product("ARCHIVE")

    def account(name, owner, **extra):
        made = AccountFactory(
            name=name, owner=owner, industry="Publishing", tier="A", **extra
        )
        ContactFactory(account=made, role="decision_maker")
        return made

    acc1 = account("Alpha Verlag", cast.kam, is_key_account=True)
    acc2 = account("Beta Medien", cast.kam2, revenue_potential=Decimal("10000"))
    acc3 = account("Gamma Press", cast.kam3)
    acc4 = account("Delta News", cast.kam, is_key_account=True)
    acc5 = account("Epsilon Books", cast.kam2)
    one = contract(acc1)
    subscribe(acc1, p, quantity=10, mrr="100", on=one)
    subscribe(acc1, d, mrr="200", on=one)
    subscribe(
        acc1, a, mrr="25", status="trial", trial_ends_on=date(2026, 12, 10), on=one
    )
    two = contract(acc2, end=date(2027, 12, 31))
    subscribe(acc2, p, quantity=20, mrr="150", on=two)
    subscribe(acc2, d, mrr="300", on=two)
    three = contract(acc3)
    subscribe(acc3, p, quantity=30, mrr="100", on=three)
    subscribe(acc3, a, mrr="50", on=three)
    subscribe(acc4, p, quantity=5, mrr="50")
    subscribe(acc5, a, mrr="80", end=date(2027, 12, 31))
    affinity_recompute(today=TODAY)
    return {
        "acc": [acc1, acc2, acc3, acc4, acc5],
        "products": {"print": p, "digital": d, "archive": a},
    }
