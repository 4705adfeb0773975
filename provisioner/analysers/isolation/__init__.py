"""Environment isolation: nothing of one environment may point at another's resources.

The check is generic. Each environment *owns* identifiers (owned.py): the IDs of the
resources in its state and live inventory (and so every ID under them), and the computed
names Azure gives them (FQDNs, login servers, default domains and host names, storage
endpoints, Redis hosts, outbound and static IPs, workspace, identity and Application
Insights GUIDs; `OWNED`). Every string leaf and map key of the target's state
attributes, live ARM bodies and planned values is then tokenized into ARM IDs, host names,
IPv4 addresses or networks and GUIDs (tokens.py, scanner.py), and each token is matched
against the owned identifiers, most specific owner first; firewall-style `start…`/`end…` IP
pairs are checked for containment (references.py). A new resource type is covered without
code as long as its references are IDs, hosts, IPs or GUIDs; only a new kind of *owned*
computed name needs one line in `OWNED`.

A token is reported only when its most specific owner is another environment: an ID under
prod's resource group that is also the target's own resource is the target's business (and
reported once, as a resource in two places; states.py). Bare names are never matched:
`stockapp` in both environments is not a reference, and neither is a subscription ID or a
location. Values are shown only as far as they say where they point (masking.py). Tags
naming another environment are reported too (tags.py), and so is an identity of one
environment holding a role on another's resource (grants.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from provisioner.analysers.isolation.grants import RoleNames, grant_findings
from provisioner.analysers.isolation.owned import OWNED, index_of
from provisioner.analysers.isolation.references import reference_findings
from provisioner.analysers.isolation.scanner import Scanner
from provisioner.analysers.isolation.sources import EnvironmentData
from provisioner.analysers.isolation.sources import sources as documents_of  # not the module
from provisioner.analysers.isolation.states import state_key_findings, two_states_findings
from provisioner.analysers.isolation.tags import tag_findings
from provisioner.model import Finding

__all__ = ["OWNED", "EnvironmentData", "RoleNames", "isolation_findings"]


def isolation_findings(
    target: EnvironmentData,
    others: Sequence[EnvironmentData],
    shared: Sequence[str] = (),
    role_names: RoleNames | None = None,
) -> list[Finding]:
    """Everything in `target` that ties it to one of `others`, as `isolation` findings.

    Reported: a resource in two environments' states (or inside a resource another state
    manages); any attribute, in the state, in Azure or in the plan, that points at another
    environment's resource IDs, FQDNs, login servers, domains, IPs or GUIDs (firewall ranges
    that admit its IPs included); a state key used by two environments; `environment`/`env`
    tags that do not name the target. `shared` lists ARM IDs, names, FQDNs or login servers
    of deliberately shared resources: nothing they own is reported. Values are redacted.

    A role assignment, in any environment's state, Azure or plan, that grants one
    environment's identity a role on another's resource is one finding when either end is
    the target's (grants.py); `role_names` names custom roles (from Azure; without it they
    are shown by GUID).
    """
    others = [o for o in others if o.name != target.name]
    documents = [documents_of(target), *map(documents_of, others)]
    index = index_of(target.name, documents, shared)
    grants = grant_findings(target.name, documents, index, role_names)
    findings = [
        *state_key_findings(target, others),
        *two_states_findings(target, others, index),
        *reference_findings(documents[0], Scanner(index)),
        *tag_findings(target, others, documents[0], index),
    ]
    findings = [f for f in findings if not grants.replaced(f)] + grants.findings
    return sorted(findings, key=lambda f: (*f.sort_key, f.message))
