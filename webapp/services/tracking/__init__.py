"""Tracking: open and click hits, human-or-machine classification, and the event drain.

- :mod:`.classify` decides whether a hit came from a person or a machine (REQUIREMENTS P7).
- :mod:`.hits` turns a verified open-pixel or click token into an event on the Redis stream
  (``webapp.services.events``); the pixel does no database read.
- :mod:`.drain` writes the stream to the database in batches: ``MessageEvent`` rows
  (deduplicated by ``event_key`` = the event id), per-message counters and first-human
  timestamps, message status from provider events, outgoing webhooks, and the rollups.
- :mod:`.rollups` computes the ``StatRollup`` metrics; :mod:`.domain_rollups` and
  :mod:`.link_rollups` keep the rows of the breakdowns by recipient domain and by link
  (``DomainRollup``, also written by the sending recorder, and ``LinkRollup``).

Rollup metrics (``StatRollup.metric``; one row per organization, UTC hour, campaign, template
version; missing campaign or template version is the nil UUID). The stats pages read these:

==========================  ===================================================================
``sent``                    accepted by the SMTP relay
``delivered``               the provider reported delivery
``deferred``                a temporary failure; the message will be retried
``failed``                  given up (retry budget spent or permanent rejection)
``bounced_hard``            permanent bounce (the address is suppressed)
``bounced_soft``            temporary bounce reported by a provider
``complained``              the recipient marked the message as spam (address suppressed)
``unsubscribed``            the recipient left through a link in the message
``opened``                  every open (human and machine)
``opened_human``            opens by people
``opened_machine``          opens by proxies and scanners (Apple MPP, image proxies, HEAD …)
``opened_unique``           messages opened at least once (counted at their first open)
``opened_unique_human``     messages opened at least once by a person (at that first open)
``clicked``                 every click (human and machine)
``clicked_human``           clicks by people
``clicked_machine``         clicks by link scanners (too soon, bursts, HEAD, honeypot …)
``clicked_unique``          messages clicked at least once
``clicked_unique_human``    messages clicked at least once by a person
==========================  ===================================================================

So an exact funnel is ``sent → delivered → opened_unique_human → clicked_unique_human``.
"""
