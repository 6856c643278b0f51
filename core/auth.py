"""Sign-in: the user of a request, read with what every page shows of them (and
whether they have a second factor, which every page checks).

Every signed-in page needs the user's roles (the navigation, the access rule) and
the number of their unread notifications (the bell). Django's ModelBackend reads
the user, and the roles and the count would each cost a query more; this backend
reads all three in one statement (two subqueries beside the user's row).
"""

from functools import lru_cache

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group

from core.roles import Role

# one bit per role: the user's roles come back as one number
ROLE_BITS = {role: 1 << i for i, role in enumerate(Role)}


def roles_from_bits(bits: int) -> frozenset[str]:
    return frozenset(role for role, bit in ROLE_BITS.items() if bits & bit)


@lru_cache(maxsize=1)
def _user_sql() -> str:
    """The user's row, their role bits and unread count: written once per process
    (the ORM took longer to build the two subqueries than the database to run them)."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from core.models import Notification, User

    user = User._meta.db_table
    totp, static = TOTPDevice._meta.db_table, StaticDevice._meta.db_table
    groups = User.groups.through._meta
    group_table = Group._meta.db_table
    notification = Notification._meta.db_table
    cases = " ".join(f"WHEN %s THEN {bit}" for bit in ROLE_BITS.values())
    # only table names and bits go into the text; the values are parameters
    return (
        f'SELECT u.*, COALESCE((SELECT SUM(CASE g."name" {cases} ELSE 0 END) '  # noqa: S608
        f'FROM "{groups.db_table}" ug JOIN "{group_table}" g ON g."id" = ug."group_id" '
        f'WHERE ug."user_id" = u."id"), 0) AS "role_bits", '
        f'(SELECT COUNT(*) FROM "{notification}" n WHERE n."user_id" = u."id" '
        f'AND n."read_at" IS NULL) AS "unread_count", '
        # whether a second factor is set up (core.two_factor)
        f'(EXISTS (SELECT 1 FROM "{totp}" t WHERE t."user_id" = u."id" '
        f'AND t."confirmed") '
        f'OR EXISTS (SELECT 1 FROM "{static}" s WHERE s."user_id" = u."id" '
        f'AND s."confirmed")) AS "has_two_factor" '
        f'FROM "{user}" u WHERE u."id" = %s'
    )


class UserBackend(ModelBackend):
    """ModelBackend whose user comes with their roles and unread count (one query
    per request instead of three)."""

    def get_user(self, user_id):
        """The user of `user_id` (Django converted it from the session)."""
        from core.models import User

        roles = [role.value for role in ROLE_BITS]
        users = User._default_manager.raw(_user_sql(), [*roles, user_id])
        user = next(iter(users), None)
        if user is None or not self.user_can_authenticate(user):
            return None
        user.__dict__["role_names"] = user.roles_with(roles_from_bits(user.role_bits))
        return user
