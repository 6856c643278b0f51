import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from renewals.services import run


class Command(BaseCommand):
    help = (
        "Run the nightly renewal job for a business date (default: today), first "
        "for every date missed since the last completed run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="business date, YYYY-MM-DD")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="report what would happen and change nothing",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="print the counts per step as one JSON object on the last line",
        )
        parser.add_argument(
            "--no-catch-up",
            action="store_true",
            help="run the given date only, not the dates missed before it",
        )

    def handle(self, *args, **options):
        day = None
        if options["date"]:
            try:
                day = date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(
                    f"--date {options['date']!r} is not a date like 2027-01-31."
                ) from exc
        results = run.renewals_run(
            business_date=day,
            dry_run=options["dry_run"],
            catch_up=not options["no_catch_up"],
            trigger="command",
        )
        prefix = "[dry run] would have: " if options["dry_run"] else ""
        for _record, batch in results:
            did = {k: v for k, v in batch.counts.items() if v}
            if did or batch.failures or len(results) == 1:
                counts = ", ".join(f"{k} {v}" for k, v in did.items())
                self.stdout.write(
                    f"{batch.day.isoformat()}: {prefix}{counts or 'nothing due'}"
                    + (f"; {len(batch.failures)} failures" if batch.failures else "")
                )
            for step, contract_id, error in batch.failures:
                self.stderr.write(f"  {step} contract {contract_id}: {error}")
        total = run.counts_total(results)
        failures = sum(len(batch.failures) for _record, batch in results)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "dates": [b.day.isoformat() for _r, b in results],
                        "dry_run": options["dry_run"],
                        "failures": failures,
                        **total,
                    }
                )
            )
        elif len(results) > 1:
            self.stdout.write(
                f"{len(results)} dates: "
                + (
                    ", ".join(f"{k} {v}" for k, v in total.items() if v)
                    or "nothing due"
                )
            )
