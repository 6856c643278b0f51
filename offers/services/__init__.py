"""Every write of the offers app, by concern: `building` (header, options, lines,
packages), `approval` (the rule, asking, deciding), `documents` (the PDF),
`templates` (email templates and their placeholders), `tokens` (the acceptance
link), `sending`, `answers` (accept, decline, revise, expire, reminders) and
`tracking` (delivery status, replies and inbound mail)."""
