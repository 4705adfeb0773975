"""Azure resource IDs in one canonical form, compared case-insensitively."""

from __future__ import annotations

from dataclasses import dataclass, field

_KEYWORDS = {"subscriptions": "subscriptions", "resourcegroups": "resourceGroups"}


@dataclass(frozen=True, order=False)
class ResourceId:
    """A parsed ARM resource ID.

    `text` keeps the canonical spelling (keyword segments normalized, names as given);
    equality and hashing use `key`, the case-folded form, because ARM treats IDs
    case-insensitively and different APIs return different casings of the same ID.
    """

    text: str
    key: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", self.text.lower())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ResourceId) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        return self.text

    @classmethod
    def parse(cls, raw: str) -> ResourceId:
        """Parse `raw`, raising ValueError when it is not a subscription-scoped ARM ID."""
        parts = [p for p in raw.strip().split("/") if p]
        if len(parts) < 2 or parts[0].lower() != "subscriptions" or len(parts) % 2:
            raise ValueError(f"not an Azure resource ID: {raw!r}")
        out: list[str] = []
        i = 0
        while i < len(parts):
            word = parts[i]
            if word.lower() == "providers":
                if i + 1 >= len(parts):
                    raise ValueError(f"not an Azure resource ID: {raw!r}")
                out += ["providers", parts[i + 1]]
                i += 2
                continue
            out += [_KEYWORDS.get(word.lower(), word), parts[i + 1]]
            i += 2
        return cls("/" + "/".join(out))

    @property
    def _parts(self) -> list[str]:
        return self.text.strip("/").split("/")

    @property
    def subscription_id(self) -> str:
        return self._parts[1]

    @property
    def resource_group(self) -> str | None:
        parts = self._parts
        return parts[3] if len(parts) >= 4 and parts[2] == "resourceGroups" else None

    @property
    def name(self) -> str:
        return self._parts[-1]

    @property
    def arm_type(self) -> str:
        """`Microsoft.App/containerApps`, `Microsoft.Resources/resourceGroups`, ..."""
        parts = self._parts
        if "providers" not in parts:
            return "Microsoft.Resources/" + parts[-2]
        at = len(parts) - 1 - parts[::-1].index("providers")
        namespace, rest = parts[at + 1], parts[at + 2 :]
        return "/".join([namespace, *rest[0::2]])

    @property
    def parent(self) -> ResourceId | None:
        """The ID one level up, or None for a subscription."""
        parts = self._parts
        if len(parts) <= 2:
            return None
        cut = 4 if len(parts) >= 4 and parts[-4] == "providers" else 2
        return ResourceId("/" + "/".join(parts[:-cut]))

    def with_type_casing(self, arm_type: str) -> ResourceId:
        """Return the ID with its provider namespace and type segments spelled as `arm_type`."""
        parts = self._parts
        if "providers" not in parts:
            return self
        at = len(parts) - 1 - parts[::-1].index("providers")
        namespace, *types = arm_type.split("/")
        names = parts[at + 3 :: 2]
        if len(types) != len(names):
            return self
        rebuilt = [*parts[: at + 1], namespace]
        for type_name, name in zip(types, names, strict=True):
            rebuilt += [type_name, name]
        return ResourceId("/" + "/".join(rebuilt))
