"""The organisation map of an import: every spelling of a lead institution, over the whole
history, -> one organisation id. Proposed from the history (the latest spelling names it),
written to `DIR/instance/import-orgs.yaml`, and read back edited with `--orgs FILE`.

```yaml
organisations:
  - id: min-interieur
    kind: administration
    name: {fr: "Ministère de l'Intérieur", en: "Ministry of the Interior"}
    spellings: ["Ministère de l'Intérieur", "Ministère de l’Intérieur ;"]
people: []        # optional: copied into plan.yaml by the adoption commit
plan: {}          # optional: adopted, period, country, review_due for plan.yaml
```
Two spellings that differ only by spaces, apostrophes, punctuation, accents or case are one
name already; `spellings` lists the others that mean the same organisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from .. import model
from .text import clean_name, name_key, slugify


class MapError(Exception):
    """The organisation map cannot be used; the message says where and why."""


@dataclass
class OrgMap:
    orgs: dict[str, dict] = field(default_factory=dict)   # id -> {id, kind, name, spellings}
    keys: dict[str, str] = field(default_factory=dict)    # name_key -> id
    people: list = field(default_factory=list)
    plan: dict = field(default_factory=dict)
    proposed: bool = True

    def id_of(self, name: str) -> str | None:
        return self.keys.get(name_key(name))

    def add_spelling(self, oid: str, spelling: str) -> None:
        sp = self.orgs[oid].setdefault("spellings", [])
        if spelling not in sp:
            sp.append(spelling)
        self.keys.setdefault(name_key(spelling), oid)

    @classmethod
    def propose(cls, names_by_state: list[list[tuple[str, str | None]]]) -> "OrgMap":
        """From the (French, English) lead names of each state, oldest first."""
        m = cls()
        for names in names_by_state:
            for fr, en in names:
                key = name_key(fr)
                if not key:
                    continue
                oid = m.keys.get(key)
                if oid is None:
                    base = slugify(clean_name(fr)) or "organisation"
                    oid, n = base, 2
                    while oid in m.orgs:
                        oid = f"{base[:model.MAX_ID_LEN - 4].rstrip('-')}-{n}"
                        n += 1
                    m.orgs[oid] = {"id": oid, "kind": "administration", "name": {}, "spellings": []}
                    m.keys[key] = oid
                m.orgs[oid]["name"]["fr"] = clean_name(fr)   # the latest spelling names it
                if en:
                    m.orgs[oid]["name"]["en"] = clean_name(en)
                m.add_spelling(oid, clean_name(fr))
        return m

    @classmethod
    def load(cls, path: str) -> "OrgMap":
        try:
            with open(path, encoding="utf-8") as f:
                data = model.load_yaml(f.read(), path) or {}
        except OSError as exc:
            raise MapError(f"{path}: cannot be read ({exc.strerror})") from None
        except model.SchemaError as exc:
            raise MapError(str(exc)) from None
        if not isinstance(data, dict) or not isinstance(data.get("organisations"), list):
            raise MapError(f"{path}: expected a mapping with an 'organisations' list (see review import --dry-run)")
        m = cls(proposed=False)
        for i, o in enumerate(data["organisations"]):
            where = f"{path}: organisations[{i}]"
            if not isinstance(o, dict) or not model.valid_id(o.get("id")):
                raise MapError(f"{where}: each organisation needs an id (lowercase letters, digits, hyphens)")
            if o["id"] in m.orgs:
                raise MapError(f"{where}: id {o['id']!r} is used twice: list every spelling under one entry")
            if o.get("kind", "administration") not in model.ORG_KINDS:
                raise MapError(f"{where}: kind must be one of {', '.join(model.ORG_KINDS)}")
            name = o.get("name")
            if not isinstance(name, dict) or not isinstance(name.get("fr"), str) or not name["fr"].strip():
                raise MapError(f"{where}: name needs at least a French name (name: {{fr: ..., en: ...}})")
            spellings = o.get("spellings") or []
            if not isinstance(spellings, list) or not all(isinstance(s, str) for s in spellings):
                raise MapError(f"{where}: spellings must be a list of names")
            m.orgs[o["id"]] = {"id": o["id"], "kind": o.get("kind", "administration"),
                               "name": {k: v for k, v in name.items() if k in model.LANGUAGES}, "spellings": []}
            for s in [name["fr"]] + spellings:
                key = name_key(s)
                if key in m.keys and m.keys[key] != o["id"]:
                    raise MapError(f"{where}: spelling {s!r} is already given to {m.keys[key]!r}")
                m.add_spelling(o["id"], s)
        m.people = data.get("people") or []
        m.plan = data.get("plan") or {}
        if not isinstance(m.people, list) or not isinstance(m.plan, dict):
            raise MapError(f"{path}: people must be a list (as in plan.yaml) and plan a mapping")
        return m

    def organisations(self) -> list[dict]:
        """As plan.yaml lists them."""
        return [{"id": o["id"], "kind": o["kind"], "name": dict(o["name"])} for o in self.orgs.values()]

    def dump(self) -> str:
        head = ("# Organisation map of review import: each organisation's id, kind and names, and every\n"
                "# spelling of it found in the history. Edit it (merge two entries by moving spellings,\n"
                "# fix names, kinds), then run: review import SOURCE DIR --orgs THIS_FILE\n"
                "# people: is copied into plan.yaml by the adoption commit (handle, name, organisation, roles).\n")
        data = {"organisations": list(self.orgs.values()), "people": self.people, "plan": self.plan}
        from .emit import _Dumper
        return head + yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)
