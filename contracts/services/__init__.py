"""Every write of contracts, subscriptions and invoices, by concern:

- `lifecycle`: from the accepted offer to finalization, the nightly start and end
  of terms, cancellation, the renewal offer;
- `signing`: the document sent for signature and signed; unsent mail re-queued;
- `documents`: the contract's PDF;
- `billing`: the one invoice writer (plans, drafts, gapless numbers), sending,
  payment, credit notes;
- `nightly`: the bulk writes of the nightly run (trials, renewal, repricing);
- `trials`, `notice`, `terms`: trial reminders, the customer's notice, term dates;
- `acceptance`: accepting an offer makes its contract (the use case across apps).
"""
