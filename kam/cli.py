"""`kam`: manage.py for an installed KAM (the wheel has no manage.py).

`kam migrate`, `kam collectstatic`, `kam check --deploy`, `kam createsuperuser`…
run with the production settings unless DJANGO_SETTINGS_MODULE says otherwise.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings.production")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
