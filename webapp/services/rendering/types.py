"""Plain data that goes into and comes out of rendering (no ORM objects cross this line)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

ERROR_KINDS = ("syntax", "undefined", "security", "mjml", "link", "size", "timeout")


@dataclass
class RenderError:
    line: int | None
    message: str
    kind: str  # one of ERROR_KINDS

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "message": self.message, "kind": self.kind}


@dataclass
class RenderResult:
    subject: str
    preheader: str
    html: str
    text: str
    errors: list[RenderError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # original URLs handed to the rewriter

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def html_bytes(self) -> int:
        return len(self.html.encode("utf-8"))


@dataclass(frozen=True)
class TemplateSource:
    """What an author wrote: from a TemplateVersion row, a system default or unsaved input."""

    subject: str
    preheader: str
    body_mjml: str
    body_text: str = ""
    id: uuid.UUID | None = None
    revision: str = ""  # cache key; derived from the content when empty
    language: str = ""  # the email's lang (and direction); empty: English

    @property
    def key(self) -> str:
        if self.revision:
            return f"{self.revision}@{self.language}" if self.language else self.revision
        digest = hashlib.blake2b(digest_size=16)
        for part in (self.subject, self.preheader, self.body_mjml, self.body_text, self.language):
            digest.update(part.encode("utf-8"))
            digest.update(b"\x00")
        return "sha:" + digest.hexdigest()

    @classmethod
    def from_version(cls, version: Any) -> TemplateSource:
        return cls(
            subject=version.subject,
            preheader=version.preheader or "",
            body_mjml=version.body_mjml,
            body_text=version.body_text or "",
            id=version.id,
            revision=f"v:{version.id}",
        )


@dataclass(frozen=True)
class BrandData:
    """The organization's brand as plain values (from Brand + Organization)."""

    org_name: str = "Herald"
    logo_url: str = ""
    primary_color: str = "#2563eb"
    text_color: str = "#111827"
    background_color: str = "#f3f4f6"
    font_family: str = "Helvetica, Arial, sans-serif"
    footer_text: str = ""
    postal_address: str = ""
    sender_name: str = ""
    revision: str = "default"

    @classmethod
    def from_org(cls, org: Any) -> BrandData:
        brand = org.brand
        base = {
            "org_name": org.name,
            "postal_address": org.postal_address or "",
            "sender_name": org.sender_name or org.name,
        }
        if brand is None:
            return cls(**base, revision=f"{org.id}:0:{_digest(base)}")
        return cls(
            **base,
            logo_url=brand.logo_url or "",
            primary_color=brand.primary_color,
            text_color=brand.text_color,
            background_color=brand.background_color,
            font_family=brand.font_family,
            footer_text=brand.footer_text or "",
            revision=f"{org.id}:{brand.revision}:{_digest(base)}",
        )


def _digest(values: dict[str, str]) -> str:
    joined = "\x00".join(values[k] for k in sorted(values))
    return hashlib.blake2b(joined.encode("utf-8"), digest_size=6).hexdigest()
