"""What choosing the language costs per message (``translations.variant_for``), next to a
render (about 0.5 ms): a template without translations (the source path: the recipient is not
looked at), and a system default whose language is chosen for each recipient."""

from __future__ import annotations

import timeit
import uuid

from benchmarks.common import at_most, row

COUNT = 200_000


class _Org:
    id = uuid.uuid4()
    locale = "en-GB"


def run() -> list[dict]:
    from webapp.services.rendering.types import TemplateSource
    from webapp.services.templates import translations
    from webapp.services.templates.library import system_default

    own = TemplateSource("Hi", "", "<mj-text>Hi</mj-text>", id=uuid.uuid4(), revision="v:bench")
    translations._variants[own.id] = translations.Variants(own, "en")  # as loaded once
    default = system_default("invitation").source
    plain = timeit.timeit(lambda: translations.variant_for(own, _Org, lambda: "fr"), number=COUNT)
    chosen = timeit.timeit(
        lambda: translations.variant_for(default, _Org, lambda: "fr-CA"), number=COUNT
    )
    return [
        at_most("language of a template without translations, per message",
                round(plain / COUNT * 1e6, 2), "µs", 10),
        row("language of a system default chosen per recipient, per message",
            round(chosen / COUNT * 1e6, 2), "µs"),
    ]  # fmt: skip
