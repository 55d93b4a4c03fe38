"""The sending pipeline (DESIGN.md "The outbox" and "Sending").

Modules, in the order a message meets them:

- ``claiming``: take due rows (conditional UPDATE, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL),
  leases, the dispatcher and the sweeper.
- ``policy``: suppression, preferences, digests, frequency cap, quiet hours, paused bulk mail.
- ``content`` and ``mime``: the composed email turned into bytes once, DKIM-signed.
- ``relays``, ``circuit``, ``limits``, ``transport``: where the bytes go, at what pace, and what
  the SMTP server answered.
- ``outcomes``: SMTP replies classified into sent / deferred / bounced / failed / unknown, the
  backoff, and the rows, events and webhooks that record them.
- ``pipeline``: ``send_messages(ids)`` ties them together for a job.
- ``actions``: retry and cancel, for the dashboard and the API.
"""
