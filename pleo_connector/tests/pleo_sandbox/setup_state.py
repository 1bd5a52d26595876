"""The accounting setup an ERP pushes to Pleo, as the sandbox holds it (chart of accounts, tax
codes, tag groups and tags, vendors).

:class:`SetupState` is mixed into :class:`~pleo_sandbox.state.SandboxState`: it shares its lock,
companies, keys, clock and behaviour switches. The Python methods (``add_account``,
``add_tax_code``, ``add_tag_group``, ``add_tag``, ``add_vendor`` for records made "by hand" in
Pleo's web app; ``accounts``, ``tax_codes``, ``tag_groups``, ``tags``, ``vendors`` to read them;
``mark_account_used``, ``edit_tax_code``) are the test API, with ``card_purchase``: an export item
whose VAT Pleo computes from a tax code the ERP pushed (``behaviour.exclusive_tax`` for the
[unknown] ``exclusive``); the ``setup_*`` methods serve ``setup_api.py`` and raise
:class:`~pleo_sandbox.export_state.ExportError` for Pleo's domain errors.

Records are plain dicts in the spec's shapes (``BookkeepingAccountRestModelV1``,
``TaxCodeModel``, ``TagGroupModel``, ``TagModel``, ``VendorResponse``); readers get copies.
"""

from __future__ import annotations

import copy
import uuid
from fractions import Fraction

from .export_state import ExportError
from .generator import ExportItemGenerator, money, round_half_up, tax_split
from .models import SandboxError, UnknownEntityError, iso

TAX_TYPES = ("inclusive", "exclusive", "reverse")
VENDOR_STATES = ("DRAFT", "ACTIVE", "ARCHIVED")
MAX_BATCH = 1000  # accounts per POST /v1/chart-of-accounts/batch [spec]
MAX_TEXT = 255  # externalId, name, code of an account [spec]


def _not_found(what: str) -> ExportError:
    return ExportError(404, "NOT_FOUND", f"{what} not found")


class SetupState:
    """Accounts, tax codes, tag groups, tags and vendors per Pleo company."""

    # set by SandboxState / ExportState
    _lock: object
    _companies: dict
    behaviour: object

    def _reset_setup(self) -> None:
        self._accounts: dict[str, dict] = {}
        self._used_accounts: set[str] = set()
        self._tax_codes: dict[str, dict] = {}
        self._tag_groups: dict[str, dict] = {}
        self._tags: dict[str, dict] = {}
        self._vendors: dict[str, dict] = {}

    def _setup_snapshot(self) -> dict:
        with self._lock:
            return {
                "accounts": len(self._accounts),
                "tax_codes": len(self._tax_codes),
                "tag_groups": len(self._tag_groups),
                "tags": len(self._tags),
                "vendors": len(self._vendors),
            }

    def _stamp(self) -> str:
        return iso(self.now())

    def _company(self, company_id: str) -> None:
        if company_id not in self._companies:
            raise UnknownEntityError("unknown company")

    # ------------------------------------------------------------------ test API: accounts
    def add_account(
        self,
        company_id: str,
        code: str | None,
        name: str,
        external_id: str | None = None,
        *,
        archived: bool = False,
        tax_code: str | None = None,
        used: bool = False,
    ) -> str:
        """Add an account as if made in Pleo's web app; return its id. ``used``: DELETE gets 409."""
        with self._lock:
            self._company(company_id)
            account = self._new_account(
                company_id,
                {
                    "externalId": external_id or f"pleo-{uuid.uuid4().hex[:8]}",
                    "code": code,
                    "name": name,
                    "archived": archived,
                    "taxCodeExternalId": tax_code,
                },
            )
            if used:
                self._used_accounts.add(account["id"])
            return account["id"]

    def mark_account_used(self, account_id: str, used: bool = True) -> None:
        """Make an account count as used by expenses (DELETE answers 409), or not."""
        with self._lock:
            if account_id not in self._accounts:
                raise UnknownEntityError("unknown account")
            (self._used_accounts.add if used else self._used_accounts.discard)(account_id)

    def accounts(self, company_id: str | None = None) -> list[dict]:
        """The accounts (of ``company_id``), in creation order."""
        with self._lock:
            return [
                copy.deepcopy(a)
                for a in self._accounts.values()
                if company_id is None or a["companyId"] == company_id
            ]

    def _new_account(self, company_id: str, fields: dict) -> dict:
        account = {
            "id": str(uuid.uuid4()),
            "companyId": company_id,
            "externalId": fields["externalId"],
            "code": fields.get("code"),
            "name": fields.get("name") or "",
            "archived": bool(fields.get("archived")),
            "taxCodeExternalId": fields.get("taxCodeExternalId"),
        }
        if fields.get("metadata") is not None:
            account["metadata"] = fields["metadata"]
        self._accounts[account["id"]] = account
        return account

    # ------------------------------------------------------------------ test API: tax codes
    def add_tax_code(
        self,
        company_id: str,
        code: str | None,
        name: str,
        rate: float,
        tax_type: str = "inclusive",
        *,
        archived: bool = False,
        ingoing: str | None = None,
        outgoing: str | None = None,
    ) -> str:
        """Add a tax code as if made in Pleo's web app; return its id."""
        if tax_type not in TAX_TYPES:
            raise SandboxError(f"tax_type must be one of {TAX_TYPES}")
        with self._lock:
            self._company(company_id)
            return self._new_tax_code(
                company_id,
                {
                    "code": code,
                    "name": name,
                    "rate": rate,
                    "type": tax_type,
                    "archived": archived,
                    "ingoingTaxAccount": ingoing,
                    "outgoingTaxAccount": outgoing,
                },
            )["id"]

    def tax_codes(self, company_id: str | None = None) -> list[dict]:
        """The tax codes (of ``company_id``), in creation order."""
        with self._lock:
            return [
                copy.deepcopy(t)
                for t in self._tax_codes.values()
                if company_id is None or t["companyId"] == company_id
            ]

    def _new_tax_code(self, company_id: str, fields: dict) -> dict:
        stamp = self._stamp()
        tax = {
            "id": str(uuid.uuid4()),
            "companyId": company_id,
            "createdAt": stamp,
            "updatedAt": stamp,
            "accountingIntegrationSystem": None,
        }
        self._apply_tax(tax, fields)
        self._tax_codes[tax["id"]] = tax
        return tax

    @staticmethod
    def _apply_tax(tax: dict, fields: dict) -> None:
        for name in ("code", "name", "rate", "type", "archived"):
            tax[name] = fields.get(name)
        tax["archived"] = bool(tax["archived"])
        tax["ingoingTaxAccount"] = fields.get("ingoingTaxAccount")
        tax["outgoingTaxAccount"] = fields.get("outgoingTaxAccount")

    def edit_tax_code(self, tax_id: str, **changes) -> None:
        """Change a tax code as if edited in Pleo's web app (or left so by an earlier sync)."""
        with self._lock:
            tax = self._tax_codes.get(tax_id)
            if tax is None:
                raise UnknownEntityError("unknown tax code")
            if changes.get("type", tax["type"]) not in TAX_TYPES:
                raise SandboxError(f"tax_type must be one of {TAX_TYPES}")
            tax.update(changes)
            tax["updatedAt"] = self._stamp()

    def card_purchase(
        self,
        company_id: str,
        tax_code: str,
        amount: int,
        *,
        account: tuple[str, str],
        contra: tuple[str, str],
        currency: str = "DKK",
        seed: int | str = 0,
    ) -> dict:
        """A card purchase of ``amount`` (minor units, VAT included: what the card paid) that
        an employee categorised with the company's tax code ``tax_code``, as Pleo exports it
        (``ExportItemV3``, one line on ``account``, the wallet ``contra``; both ``(code,
        name)``).

        Pleo computes the line's VAT from the tax code's type and rate as the ERP pushed them
        (``TaxCodeModel``): ``inclusive`` inside the amount (amount x r / (1 + r)), ``reverse``
        on top (amount x r, self-assessed). For ``exclusive`` the spec's ``TaxTypeV3`` is
        circular and no page says what a card purchase gets: ``behaviour.exclusive_tax``
        chooses "inside" (as inclusive) or "on_top" (amount x r, while the card amount stays
        what was paid).
        """
        with self._lock:
            self._company(company_id)
            found = [
                t
                for t in self._tax_codes.values()
                if t["companyId"] == company_id and t.get("code") == tax_code
            ]
            if not found or found[0]["archived"]:
                raise SandboxError(f"no active tax code {tax_code!r} in this company")
            tax = copy.deepcopy(found[0])
            reading = self.behaviour.exclusive_tax
        rate = Fraction(str(tax["rate"]))
        if tax["type"] == "inclusive" or (tax["type"] == "exclusive" and reading == "inside"):
            _net, tax_value = tax_split(amount, rate, "inclusive")
        else:  # reverse, or exclusive read as on top
            tax_value = round_half_up(Fraction(amount) * rate)
        net = amount if tax["type"] == "reverse" or tax_value > amount else amount - tax_value
        generator = ExportItemGenerator(
            company_id,
            seed=seed,
            types=["card_purchase"],
            wallet_currency=currency,
            supplier_currency=currency,
            accounts={"expense": [account]},
            contra_account_code=contra[0],
            max_lines=1,
            file_factory=None,
        )
        item = generator.item("card_purchase")
        item["amount"] = {"inSupplierCurrency": money(currency, amount)}
        item["amount"]["inWalletCurrency"] = money(currency, amount)
        item["contraAccount"]["name"] = contra[1]
        line = item["accountingEntryLines"][0]
        line["tags"] = []
        line["lineAmount"] = {
            "inSupplierCurrency": money(currency, amount),
            "inWalletCurrency": money(currency, amount),
        }
        line["netAmount"] = {
            "inSupplierCurrency": money(currency, net),
            "inWalletCurrency": money(currency, net),
        }
        line["tax"] = {
            "id": tax["id"],
            "code": tax["code"],
            "rate": tax["rate"],
            "type": tax["type"],
            "amount": {
                "inSupplierCurrency": money(currency, tax_value),
                "inWalletCurrency": money(currency, tax_value),
            },
            "ingoingTaxAccount": tax.get("ingoingTaxAccount"),
            "outgoingTaxAccount": tax.get("outgoingTaxAccount"),
        }
        return item

    # ------------------------------------------------------------------ test API: tags
    def add_tag_group(
        self, company_id: str, code: str, name: str, *, archived: bool = False, metadata=None
    ) -> str:
        """Add a tag group (a dimension) as if made in Pleo's web app; return its id."""
        with self._lock:
            self._company(company_id)
            return self._new_group(
                company_id,
                {"code": code, "name": name, "archived": archived, "metadata": metadata or {}},
            )["id"]

    def add_tag(
        self, group_id: str, code: str, name: str | None = None, *, archived: bool = False
    ) -> str:
        """Add a tag to a group as if made in Pleo's web app; return its id."""
        with self._lock:
            if group_id not in self._tag_groups:
                raise UnknownEntityError("unknown tag group")
            return self._new_tag(group_id, {"code": code, "name": name, "archived": archived})["id"]

    def tag_groups(self, company_id: str | None = None) -> list[dict]:
        """The tag groups (of ``company_id``), in creation order."""
        with self._lock:
            return [
                copy.deepcopy(g)
                for g in self._tag_groups.values()
                if company_id is None or g["companyId"] == company_id
            ]

    def tags(self, group_id: str | None = None) -> list[dict]:
        """The tags (of ``group_id``), archived ones included, in creation order."""
        with self._lock:
            return [
                copy.deepcopy(t)
                for t in self._tags.values()
                if group_id is None or t["groupId"] == group_id
            ]

    def _new_group(self, company_id: str, fields: dict) -> dict:
        stamp = self._stamp()
        group = {
            "id": str(uuid.uuid4()),
            "companyId": company_id,
            "code": fields["code"],
            "name": fields["name"],
            "archived": bool(fields.get("archived")),
            "metadata": dict(fields.get("metadata") or {}),
            "createdAt": stamp,
            "updatedAt": stamp,
        }
        self._tag_groups[group["id"]] = group
        return group

    def _new_tag(self, group_id: str, fields: dict) -> dict:
        stamp = self._stamp()
        tag = {
            "id": str(uuid.uuid4()),
            "groupId": group_id,
            "code": fields["code"],
            "archived": bool(fields.get("archived")),
            "createdAt": stamp,
            "updatedAt": stamp,
        }
        if fields.get("name") is not None:
            tag["name"] = fields["name"]
        self._tags[tag["id"]] = tag
        return tag

    # ------------------------------------------------------------------ test API: vendors
    def add_vendor(
        self,
        company_id: str,
        name: str,
        code: str | None = None,
        external_id: str | None = None,
        *,
        currency: str = "DKK",
        state: str = "ACTIVE",
    ) -> str:
        """Add a vendor as if made in Pleo's web app; return its id."""
        if state not in VENDOR_STATES:
            raise SandboxError(f"state must be one of {VENDOR_STATES}")
        with self._lock:
            self._company(company_id)
            vendor = self._new_vendor(
                company_id,
                {
                    "name": name,
                    "code": code,
                    "externalId": external_id,
                    "defaultCurrency": currency,
                },
            )
            vendor["state"] = state
            data = copy.deepcopy(vendor)
        # [docs] a vendor made in Pleo (not one the ERP pushed) is told to subscribers.
        self.emit_event(company_id, "v1.vendor.created", data)
        return data["id"]

    def vendors(self, company_id: str | None = None) -> list[dict]:
        """The vendors (of ``company_id``), in creation order."""
        with self._lock:
            return [
                copy.deepcopy(v)
                for v in self._vendors.values()
                if company_id is None or v["companyId"] == company_id
            ]

    def _new_vendor(self, company_id: str, fields: dict) -> dict:
        stamp = self._stamp()
        vendor = {
            "id": str(uuid.uuid4()),
            "companyId": company_id,
            "state": "DRAFT",
            "createdAt": stamp,
            "updatedAt": stamp,
        }
        self._apply_vendor(vendor, fields)
        self._vendors[vendor["id"]] = vendor
        return vendor

    @staticmethod
    def _apply_vendor(vendor: dict, fields: dict) -> None:
        for name in (
            "name",
            "defaultCurrency",
            "code",
            "externalId",
            "country",
            "registrationNumber",
            "taxRegistrationNumber",
        ):
            if fields.get(name) is not None:
                vendor[name] = fields[name]
            elif name not in ("name", "defaultCurrency"):
                vendor.pop(name, None)

    # ------------------------------------------------------------------ API helpers
    def _visible(self, key, company_id: str) -> None:
        company = self._companies.get(company_id)
        if company is None or not key.can_see(company):
            raise ExportError(403, "FORBIDDEN", "this key may not access that company")

    def _own(self, key, records: dict, record_id: str, what: str) -> dict:
        record = records.get(record_id)
        if record is None or not key.can_see(self._companies[self._company_of(record)]):
            raise _not_found(what)
        return record

    def _company_of(self, record: dict) -> str:
        if "companyId" in record:
            return record["companyId"]
        return self._tag_groups[record["groupId"]]["companyId"]

    # ------------------------------------------------------------------ API: accounts
    def setup_create_account(self, key, payload: dict) -> tuple[dict, bool]:
        """Create an account; (account, created). Same externalId: 200 if identical, else 409."""
        with self._lock:
            self._visible(key, payload["companyId"])
            same = self._account_by_external(payload["companyId"], payload["externalId"])
            if same is not None:
                if all(
                    same.get(n) == payload.get(n)
                    for n in ("code", "name", "archived", "taxCodeExternalId")
                ):
                    return copy.deepcopy(same), False
                raise ExportError(
                    409, "EXTERNAL_ID_ALREADY_EXISTS", "an account with this externalId exists"
                )
            return copy.deepcopy(self._new_account(payload["companyId"], payload)), True

    def _account_by_external(self, company_id: str, external_id: str) -> dict | None:
        return next(
            (
                a
                for a in self._accounts.values()
                if a["companyId"] == company_id and a["externalId"] == external_id
            ),
            None,
        )

    def setup_batch_accounts(self, key, company_id: str, items: list[dict]) -> dict:
        """Create up to 1000 accounts; ``{"created": [...], "failed": [{reasons, request}]}``."""
        with self._lock:
            self._visible(key, company_id)
            created, failed = [], []
            for item in items:
                reasons = _account_problems(item)
                external_id = item.get("externalId")
                if not reasons and self._account_by_external(company_id, external_id):
                    reasons = ["EXTERNAL_ID_ALREADY_EXISTS"]
                if reasons:
                    failed.append({"reasons": reasons, "request": item})
                else:
                    created.append(copy.deepcopy(self._new_account(company_id, item)))
            return {"created": created, "failed": failed}

    def setup_get_account(self, key, account_id: str) -> dict:
        with self._lock:
            return copy.deepcopy(self._own(key, self._accounts, account_id, "account"))

    def setup_update_account(self, key, account_id: str, payload: dict) -> dict:
        with self._lock:
            account = self._own(key, self._accounts, account_id, "account")
            for name in ("code", "name", "archived", "taxCodeExternalId", "metadata"):
                if name in payload:
                    account[name] = payload[name]
            if account.get("metadata") is None:
                account.pop("metadata", None)
            return copy.deepcopy(account)

    def setup_delete_account(self, key, account_id: str) -> None:
        with self._lock:
            self._own(key, self._accounts, account_id, "account")
            if account_id in self._used_accounts:
                raise ExportError(
                    409, "ACCOUNT_IN_USE", "the account is used by expenses: archive it instead"
                )
            del self._accounts[account_id]

    def setup_search_accounts(self, key, company_id: str, filters: dict) -> list[dict]:
        with self._lock:
            self._visible(key, company_id)
            codes = set(filters.get("codes") or ())
            if filters.get("code"):
                codes.add(filters["code"])
            ids = set(filters.get("ids") or ())
            rows = []
            for account in self._accounts.values():
                if account["companyId"] != company_id:
                    continue
                if filters.get("archived") is not None and account["archived"] != bool(
                    filters["archived"]
                ):
                    continue
                if codes and account.get("code") not in codes:
                    continue
                if ids and account["id"] not in ids:
                    continue
                if filters.get("externalId") and account["externalId"] != filters["externalId"]:
                    continue
                if filters.get("name") and filters["name"].lower() not in account["name"].lower():
                    continue
                rows.append(copy.deepcopy(account))
            return rows

    # ------------------------------------------------------------------ API: tax codes
    def setup_create_tax_code(self, key, payload: dict) -> dict:
        with self._lock:
            self._visible(key, payload["companyId"])
            code = payload.get("code")
            if code and any(
                t["companyId"] == payload["companyId"] and t.get("code") == code
                for t in self._tax_codes.values()
            ):
                raise ExportError(
                    409, "TAX_CODE_ALREADY_EXISTS", "a tax code with this code exists"
                )
            return copy.deepcopy(self._new_tax_code(payload["companyId"], payload))

    def setup_get_tax_code(self, key, tax_id: str) -> dict:
        with self._lock:
            return copy.deepcopy(self._own(key, self._tax_codes, tax_id, "tax code"))

    def setup_update_tax_code(self, key, tax_id: str, payload: dict) -> dict:
        with self._lock:
            tax = self._own(key, self._tax_codes, tax_id, "tax code")
            if payload["companyId"] != tax["companyId"]:
                raise ExportError(400, "BAD_REQUEST", "companyId cannot change")
            self._apply_tax(tax, payload)
            tax["updatedAt"] = self._stamp()
            return copy.deepcopy(tax)

    def setup_delete_tax_code(self, key, tax_id: str) -> None:
        with self._lock:
            self._own(key, self._tax_codes, tax_id, "tax code")
            del self._tax_codes[tax_id]

    def setup_search_tax_codes(self, key, company_id: str, filters: dict) -> list[dict]:
        with self._lock:
            self._visible(key, company_id)
            ids = set(filters.get("taxCodeIds") or ())
            return [
                copy.deepcopy(t)
                for t in self._tax_codes.values()
                if t["companyId"] == company_id
                and (filters.get("archived") is None or t["archived"] == filters["archived"])
                and (not filters.get("type") or t["type"] == filters["type"])
                and (not ids or t["id"] in ids)
            ]

    # ------------------------------------------------------------------ API: tag groups, tags
    def setup_list_groups(self, key, company_id: str) -> list[dict]:
        with self._lock:
            self._visible(key, company_id)
            return self.tag_groups(company_id)

    def setup_create_group(self, key, company_id: str, payload: dict) -> dict:
        with self._lock:
            self._visible(key, company_id)
            if any(
                g["companyId"] == company_id and g["code"] == payload["code"]
                for g in self._tag_groups.values()
            ):
                raise ExportError(
                    409, "TAG_GROUP_ALREADY_EXISTS", "a tag group with this code exists"
                )
            return copy.deepcopy(self._new_group(company_id, payload))

    def setup_get_group(self, key, group_id: str) -> dict:
        with self._lock:
            return copy.deepcopy(self._own(key, self._tag_groups, group_id, "tag group"))

    def setup_update_group(self, key, group_id: str, payload: dict) -> dict:
        with self._lock:
            group = self._own(key, self._tag_groups, group_id, "tag group")
            for name in ("code", "name", "archived"):
                group[name] = payload[name]
            group["metadata"] = dict(payload["metadata"])
            group["updatedAt"] = self._stamp()
            return copy.deepcopy(group)

    def setup_delete_group(self, key, group_id: str) -> None:
        with self._lock:
            self._own(key, self._tag_groups, group_id, "tag group")
            del self._tag_groups[group_id]
            for tag_id in [t["id"] for t in self._tags.values() if t["groupId"] == group_id]:
                del self._tags[tag_id]

    def setup_list_tags(self, key, group_id: str, include_archived: bool) -> list[dict]:
        with self._lock:
            self._own(key, self._tag_groups, group_id, "tag group")
            return [t for t in self.tags(group_id) if include_archived or not t["archived"]]

    def setup_create_tag(self, key, group_id: str, payload: dict) -> dict:
        with self._lock:
            self._own(key, self._tag_groups, group_id, "tag group")
            if any(
                t["groupId"] == group_id and t["code"] == payload["code"]
                for t in self._tags.values()
            ):
                raise ExportError(409, "TAG_ALREADY_EXISTS", "a tag with this code exists")
            return copy.deepcopy(self._new_tag(group_id, payload))

    def setup_update_tag(self, key, tag_id: str, payload: dict) -> dict:
        with self._lock:
            tag = self._own(key, self._tags, tag_id, "tag")
            tag["code"], tag["archived"] = payload["code"], payload["archived"]
            if payload.get("name") is not None:
                tag["name"] = payload["name"]
            tag["updatedAt"] = self._stamp()
            return copy.deepcopy(tag)

    # ------------------------------------------------------------------ API: vendors
    def _vendor_clash(self, company_id: str, fields: dict, skip: str | None = None) -> bool:
        """[unknown] a vendor "exists" when another one has the same externalId or code."""
        for vendor in self._vendors.values():
            if vendor["companyId"] != company_id or vendor["id"] == skip:
                continue
            for name in ("externalId", "code"):
                if fields.get(name) and vendor.get(name) == fields[name]:
                    return True
        return False

    def setup_create_vendor(self, key, payload: dict) -> dict:
        with self._lock:
            self._visible(key, payload["companyId"])
            if self._vendor_clash(payload["companyId"], payload):
                raise ExportError(409, "VENDOR_ALREADY_EXISTS", "the vendor exists already")
            return copy.deepcopy(self._new_vendor(payload["companyId"], payload))

    def setup_get_vendor(self, key, vendor_id: str) -> dict:
        with self._lock:
            return copy.deepcopy(self._own(key, self._vendors, vendor_id, "vendor"))

    def setup_update_vendor(self, key, vendor_id: str, payload: dict) -> dict:
        with self._lock:
            vendor = self._own(key, self._vendors, vendor_id, "vendor")
            if payload["companyId"] != vendor["companyId"]:
                raise ExportError(400, "BAD_REQUEST", "companyId cannot change")
            if self._vendor_clash(vendor["companyId"], payload, skip=vendor_id):
                raise ExportError(
                    409, "VENDOR_ALREADY_EXISTS", "another vendor has this externalId or code"
                )
            self._apply_vendor(vendor, payload)
            vendor["state"] = payload["state"]
            vendor["updatedAt"] = self._stamp()
            return copy.deepcopy(vendor)

    def setup_vendor_state(self, key, vendor_id: str, state: str, fields: dict) -> None:
        """``:activate`` (sets externalId and code) or ``:archive``."""
        with self._lock:
            vendor = self._own(key, self._vendors, vendor_id, "vendor")
            for name in ("externalId", "code"):
                if fields.get(name):
                    vendor[name] = fields[name]
            vendor["state"] = state
            vendor["updatedAt"] = self._stamp()

    def setup_search_vendors(self, key, company_id: str, filters: dict) -> list[dict]:
        with self._lock:
            self._visible(key, company_id)
            sets = {
                name: set(filters.get(plural) or ())
                for name, plural in (
                    ("code", "codes"),
                    ("externalId", "externalIds"),
                    ("id", "ids"),
                    ("state", "states"),
                    ("country", "countries"),
                    ("taxRegistrationNumber", "taxRegistrationNumbers"),
                )
            }
            rows = []
            for vendor in self._vendors.values():
                if vendor["companyId"] != company_id:
                    continue
                if any(wanted and vendor.get(n) not in wanted for n, wanted in sets.items()):
                    continue
                if filters.get("name") and filters["name"].lower() not in vendor["name"].lower():
                    continue
                rows.append(copy.deepcopy(vendor))
            return rows


def _account_problems(item: dict) -> list[str]:
    """The spec's ``BookkeepingAccountBatchFailedItemV1.reasons`` for one batch item."""
    reasons = []
    external_id = item.get("externalId")
    if not external_id:
        reasons.append("EXTERNAL_ID_EMPTY")
    elif len(external_id) > MAX_TEXT:
        reasons.append("EXTERNAL_ID_TOO_LONG")
    if not item.get("name"):
        reasons.append("NAME_EMPTY")
    elif len(item["name"]) > MAX_TEXT:
        reasons.append("NAME_TOO_LONG")
    if item.get("code") and len(item["code"]) > MAX_TEXT:
        reasons.append("CODE_TOO_LONG")
    return reasons
