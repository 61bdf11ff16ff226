"""Templates (`/api/v0/template/`): create, search, edit, delete; instances made from them.

An account sees its own templates, the public ones of other accounts (``private: false``)
and the few Vast publishes (`CATALOG`, ``recommended: true``; the PyTorch one has the hash
the official CLI's help uses). It edits and deletes only its own. A template's hash is a
keyed digest of its content (`sealing`): the same content has the same hash in one world,
and the hash gives nothing of a secret in it away.

Creating what the account has already (the same content) answers the template it has, as
openapi says ("Template created or existing template found"). An edit (`PUT`, openapi's
`/api/v0/template/` with the fields to change, or the official client's
`/api/v1/template/` with every field, None for unset) changes the fields given and not
None; the content gets a new hash, and the old hash keeps naming the old content.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import ValidationError

from pulumi_vast.sim.bodies import invalid_args
from pulumi_vast.sim.errors import BadRequest, NotFound
from pulumi_vast.sim.models.accounts import AccountsBackend
from pulumi_vast.sim.records import Account
from pulumi_vast.sim.records.templates import Template, TemplateContent

__all__ = ["CATALOG", "FIRST_TEMPLATE_ID", "VAST_CREATOR_ID", "TemplatesBackend"]

FIRST_TEMPLATE_ID = 400_001
VAST_CREATOR_ID = 62_897
_CATALOG_CREATED = 1_700_000_000.0
_HASH_LENGTH = 32

CATALOG: tuple[Template, ...] = (
    Template(
        id=334_548,
        account=None,
        creator_id=VAST_CREATOR_ID,
        hash_id="661d064bbda1f2a133816b6d55da07c3",
        content=TemplateContent(
            name="PyTorch (cuDNN Devel)",
            image="pytorch/pytorch",
            tag="2.2.0-cuda12.1-cudnn8-devel",
            env="-p 8080:8080",
            runtype="ssh",
            ssh_direct=True,
            use_ssh=True,
            recommended_disk_space=32.0,
            desc="PyTorch with CUDA and cuDNN development libraries",
            private=False,
        ),
        created_at=_CATALOG_CREATED,
        count_created=48_211,
    ),
    Template(
        id=334_549,
        account=None,
        creator_id=VAST_CREATOR_ID,
        hash_id="4e17788f74f075dd9aab7d0d4427968f",
        content=TemplateContent(
            name="NVIDIA CUDA",
            image="nvidia/cuda",
            tag="12.4.1-devel-ubuntu22.04",
            runtype="ssh",
            ssh_direct=True,
            use_ssh=True,
            recommended_disk_space=16.0,
            desc="The CUDA toolkit on Ubuntu 22.04",
            private=False,
        ),
        created_at=_CATALOG_CREATED,
        count_created=21_530,
    ),
    Template(
        id=334_550,
        account=None,
        creator_id=VAST_CREATOR_ID,
        hash_id="8a3d1ebb1e8f4c2c9d8d2b1f4d7c6e5a",
        content=TemplateContent(
            name="vLLM",
            image="vllm/vllm-openai",
            tag="latest",
            env="-p 8000:8000",
            runtype="args",
            args_str="--model Qwen/Qwen2.5-0.5B-Instruct --port 8000",
            recommended_disk_space=48.0,
            desc="An OpenAI-compatible LLM server",
            private=False,
        ),
        created_at=_CATALOG_CREATED,
        count_created=9_804,
    ),
)
"""The templates Vast publishes (not stored: the same in every world)."""


def _content(fields: Mapping[str, Any]) -> TemplateContent:
    """`fields` as a template's content (None means the default), or a 400 naming why."""
    given = {name: value for name, value in fields.items() if value is not None}
    for required in ("name", "image"):
        if required not in given:
            raise BadRequest(f"Template {required} is required")
    try:
        return TemplateContent.model_validate(given)
    except ValidationError as exc:
        raise invalid_args(exc) from exc


class TemplatesBackend(AccountsBackend):
    TABLES = ("templates",)
    COUNTERS: ClassVar[dict[str, int]] = {"template": FIRST_TEMPLATE_ID}

    templates: dict[int, Template]
    """The accounts' templates, by id (the catalog is not among them)."""

    def _load(self) -> None:
        super()._load()
        self.templates = {
            r["id"]: Template.from_record(r, self.keyring) for r in self.store.load("templates")
        }

    def _forget(self) -> None:
        super()._forget()
        self.templates.clear()

    def _save_template(self, template: Template) -> None:
        self.store.put("templates", template.id, template.to_record(self.keyring))

    def _hash(self, content: TemplateContent) -> str:
        return self.digest(content.canonical())[:_HASH_LENGTH]

    def visible_templates(self, account: Account) -> list[Template]:
        """The account's own, the public ones and Vast's, own first, then by id."""
        every = [*self.templates.values(), *CATALOG]
        seen = [t for t in every if t.visible_to(account.digest)]
        return sorted(seen, key=lambda t: (t.account != account.digest, t.id))

    def resolve_template(self, account: Account, hash_id: str) -> tuple[Template, TemplateContent]:
        """The template (and the version of it) a create names by hash, the account's own
        first; a 400 when it sees none."""
        visible = self.visible_templates(account)
        for template in visible:
            if template.hash_id == hash_id:
                return template, template.content
        for template in visible:
            if hash_id in template.earlier:
                return template, template.earlier[hash_id]
        raise BadRequest(
            f"Invalid args: no template with hash_id {hash_id!r:.40} (yours, public or Vast's)"
        )

    def note_template_use(self, template: Template, now: float) -> None:
        """An instance was made from it (Vast's own are counted elsewhere)."""
        if template.id in self.templates:
            template.count_created += 1
            template.recent_create_date = now
            self._save_template(template)

    def create_template(self, account: Account, fields: Mapping[str, Any]) -> tuple[Template, bool]:
        """(the template, whether it is new): the account's template of that content."""
        content = _content(fields)
        hash_id = self._hash(content)
        for template in self.templates.values():
            if template.account == account.digest and template.hash_id == hash_id:
                return template, False
        template = Template(
            id=self._take_id("template"),
            account=account.digest,
            creator_id=account.id,
            hash_id=hash_id,
            content=content,
            created_at=self.now(),
        )
        self.templates[template.id] = template
        self._save_template(template)
        return template, True

    def update_template(
        self,
        account: Account,
        hash_id: str | None,
        template_id: int | None,
        changes: Mapping[str, Any],
    ) -> Template:
        template = self._own_template(account, hash_id, template_id)
        given = {name: value for name, value in changes.items() if value is not None}
        content = _content({**template.content.model_dump(), **given})
        new_hash = self._hash(content)
        if new_hash != template.hash_id:
            template.earlier[template.hash_id] = template.content
            template.earlier.pop(new_hash, None)
            template.content, template.hash_id = content, new_hash
            self._save_template(template)
        return template

    def delete_template(
        self, account: Account, hash_id: str | None, template_id: int | None
    ) -> Template:
        template = self._own_template(account, hash_id, template_id)
        del self.templates[template.id]
        self.store.delete("templates", template.id)
        return template

    def _own_template(
        self, account: Account, hash_id: str | None, template_id: int | None
    ) -> Template:
        if hash_id is None and template_id is None:
            raise BadRequest("Invalid args: give the template's hash_id or template_id")
        for template in self.templates.values():
            if (
                template.account == account.digest
                and (hash_id is None or template.hash_id == hash_id)
                and (template_id is None or template.id == template_id)
            ):
                return template
        raise NotFound("Template not found", error="no_such_template")
