"""Container images: what a plan deploys, what an environment runs, and how two compare.

Images are found by shape, not by resource type, so Container Apps, Container App jobs,
container groups and web apps in any module are covered: a string under a key named
`image` (azurerm and ARM alike), `docker_image_name` (azurerm web apps) or a `DOCKER|...`
`linux_fx_version` / `linuxFxVersion`. The container is named by the nearest enclosing
object that has a `name`.

Each image sits in a *slot*, `<terraform address>/<container>`: the same slot in test and
prod is the same piece of the configuration, so slots are what two environments are
compared on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from provisioner.model import REDACTED, StateResource, redact_text
from provisioner.state import StateDocument
from provisioner.state.plan import UNKNOWN, Action, Plan

_IMAGE_KEYS = frozenset({"image", "docker_image_name"})
_FX_KEYS = frozenset({"linux_fx_version", "linuxfxversion"})
_DIGEST = re.compile(r"@(?P<digest>[a-z0-9]+:[0-9a-fA-F]{16,})$")


@dataclass(frozen=True)
class RunningImage:
    """One container image an environment runs (or will run)."""

    slot: str
    resource: str
    container: str
    image: str


class ImageStatus(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    REMOVED = "removed"


@dataclass(frozen=True)
class ImageChange:
    """One container's image before and after the plan (None: no such container)."""

    slot: str
    address: str
    container: str
    before: str | None
    after: str | None

    @property
    def status(self) -> ImageStatus:
        if self.before is None:
            return ImageStatus.NEW
        if self.after is None:
            return ImageStatus.REMOVED
        if self.before == self.after and self.after != UNKNOWN:
            return ImageStatus.UNCHANGED
        return ImageStatus.CHANGED


@dataclass(frozen=True)
class ImageRef:
    """An image reference split into the parts people compare (`registry/repo:tag@digest`)."""

    registry: str | None
    repository: str
    tag: str | None
    digest: str | None

    @property
    def build(self) -> str:
        """What identifies the build whatever registry holds it: `repo:tag` or `repo@digest`."""
        if self.digest:
            return f"{self.repository}@{self.digest}"
        return f"{self.repository}:{self.tag or 'latest'}"


def split_image(ref: str) -> ImageRef:
    """Split `acr.azurecr.io/team/api:1.4@sha256:...` the way Docker reads references."""
    rest, digest = ref, None
    found = _DIGEST.search(rest)
    if found:
        digest, rest = found["digest"], rest[: found.start()]
    first, _, remainder = rest.partition("/")
    registry = None
    if remainder and ("." in first or ":" in first or first == "localhost"):
        registry, rest = first, remainder
    name, colon, tag = rest.rpartition(":")
    if colon and "/" not in tag:
        return ImageRef(registry, name, tag, digest)
    return ImageRef(registry, rest, None, digest)


def same_build(left: str, right: str) -> bool | None:
    """Whether two references name the same build (registries may differ); None if unknown."""
    if UNKNOWN in (left, right) or REDACTED in (left, right):
        return None
    return split_image(left).build == split_image(right).build


def _image_value(key: str, value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    if key.lower() in _IMAGE_KEYS:
        return value
    if key.lower() in _FX_KEYS and value.upper().startswith("DOCKER|"):
        return value.split("|", 1)[1]
    return None


def _walk(
    value: Any, container: str, path: str, hidden: frozenset[str], root: bool = False
) -> Iterator[tuple[str, str, str]]:
    """(container, image, attribute path) triples in one resource's attributes or body.

    The resource's own `name` (at the root) is not a container name: it differs between
    environments, and slots must not.
    """
    if isinstance(value, dict):  # decoded JSON: dict and list only, checked cheaply
        name = None if root else value.get("name")
        here = name if isinstance(name, str) and name else container
        if name == UNKNOWN:
            here = path  # a name computed during apply: the block's place names it
        for key, sub in value.items():
            sub_path = f"{path}.{key}" if path else str(key)
            image = _image_value(str(key), sub)
            if image is not None:
                secret = sub_path in hidden or any(sub_path.startswith(h + ".") for h in hidden)
                # A resource-level image (a web app's) is named by the attribute holding it.
                label = here or str(key)
                yield label, REDACTED if secret else redact_text(image), sub_path
            else:
                yield from _walk(sub, here, sub_path, hidden)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, container, f"{path}.{i}" if path else str(i), hidden)


@dataclass(frozen=True)
class _Found:
    image: RunningImage
    path: str


def _found_in(address: str, attributes: Any, hidden: Iterable[str] = ()) -> dict[str, _Found]:
    found: dict[str, _Found] = {}
    for container, image, path in _walk(attributes, "", "", frozenset(hidden), root=True):
        slot = f"{address}/{container}"
        found.setdefault(slot, _Found(RunningImage(slot, address, container, image), path))
    return found


def images_in(
    address: str, attributes: Any, hidden: Iterable[str] = ()
) -> tuple[RunningImage, ...]:
    """The images in one resource's attributes (Terraform) or body (ARM), by slot.

    `hidden` holds dotted attribute paths Terraform marks sensitive; images under them
    show as `***`.
    """
    return tuple(f.image for f in _found_in(address, attributes, hidden).values())


def images_in_state(doc: StateDocument) -> tuple[RunningImage, ...]:
    """What an environment runs according to its Terraform state."""
    return tuple(img for res in doc.resources for img in _state_images(res))


def _state_images(res: StateResource) -> tuple[RunningImage, ...]:
    return images_in(res.address, res.attributes, res.sensitive_paths)


def addresses_by_id(doc: StateDocument) -> dict[str, str]:
    """Terraform address by case-folded ARM ID, to name live bodies the way the state does."""
    return {res.id.lower(): res.address for res in doc.resources if res.id}


def images_in_bodies(
    bodies: Iterable[Mapping[str, Any]], addresses: Mapping[str, str] | None = None
) -> tuple[RunningImage, ...]:
    """What an environment runs according to Azure (an `Inventory`'s ARM bodies).

    A body whose ID is in `addresses` (see `addresses_by_id`) is slotted under its
    Terraform address, so it lines up with a plan; others under their ARM name.
    """
    known = {k.lower(): v for k, v in (addresses or {}).items()}
    out: list[RunningImage] = []
    for body in bodies:
        rid = str(body.get("id", ""))
        label = known.get(rid.lower()) or str(body.get("name") or rid)
        out += images_in(label, body.get("properties") or {})
    return tuple(out)


def images_in_plan(plan: Plan) -> tuple[ImageChange, ...]:
    """Every container image of the plan's managed resources: before -> after, by slot."""
    out: list[ImageChange] = []
    for change in plan.resource_changes:
        if change.mode != "managed" or change.deposed:
            continue
        created = change.action is Action.CREATE
        gone = change.action in (Action.DELETE, Action.FORGET)
        before = {} if created else _found_in(change.address, change.before)
        after = {} if gone else _found_in(change.address, change.after)
        for slot in dict.fromkeys([*before, *after]):
            old, new = before.get(slot), after.get(slot)
            if new is not None:
                new_image: str | None = new.image.image
            elif old is not None and not gone and _unknown_along(change.after, old.path):
                new_image = UNKNOWN  # the block holding it is computed during apply
            else:
                new_image = None
            either = new if new is not None else old
            assert either is not None  # the slot came from one of the two
            out.append(
                ImageChange(
                    slot=slot,
                    address=change.address,
                    container=either.image.container,
                    before=old.image.image if old else None,
                    after=new_image,
                )
            )
    return tuple(out)


def _unknown_along(doc: Any, path: str) -> bool:
    """Whether some object on `path` inside `doc` is known only after apply."""
    for step in ["", *path.split(".")]:
        if step:
            if isinstance(doc, Mapping):
                doc = doc.get(step)
            elif isinstance(doc, list) and step.isdigit() and int(step) < len(doc):
                doc = doc[int(step)]
            else:
                return False
        if doc == UNKNOWN:
            return True
    return False
