"""Change history (django-simple-history), indexed for how it is read.

The history of an object is read by the object's id, newest first (the admin's
history pages, the audit trail). django-simple-history copies every index of the
model into its history table as well: on the history of a contract that made 16
indexes besides the key, kept up to date on every write, the nightly job's bulk
history rows included, and never used. `History` keeps the index on the object's id
(and django-simple-history's own on the date and the user) and drops the others.
"""

from simple_history.models import HistoricalRecords


class History(HistoricalRecords):
    """`HistoricalRecords` whose copied columns get no index, the object's id aside."""

    def copy_fields(self, model):
        self.no_db_index = [f.name for f in model._meta.fields if not f.primary_key]
        return super().copy_fields(model)
