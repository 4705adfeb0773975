"""The HTML audit page's text: order, the plan's age and commit, ARM IDs and line breaks.

How it looks in a browser and on paper is tested in test_audit_html_chromium.py.
"""

from __future__ import annotations

import re
from dataclasses import replace

from provisioner.audit import render_html
from provisioner.audit.html_page import cell, short_id
from tests.test_audit_report import report_for

ID = (
    "/subscriptions/3f2c8a9e-1b7d-4c55-9a0e-6d2f4b8c1e70/resourceGroups/rg-stockapp-prod"
    "/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-stockapp-prod"
)


def test_destructive_changes_and_findings_come_before_what_the_plan_updates() -> None:
    page = render_html(report_for())
    ids = re.findall(r'<section[^>]* id="([\w-]+)"', page)
    assert ids[:6] == ["destructive", "isolation", "drift", "findings", "updates", "creates"]
    # high findings lead their tables
    policy = page[page.index('id="findings"') :]
    assert policy.index('class="high"') < policy.index("</table>")


def test_the_header_says_how_old_the_plan_and_the_snapshot_are_and_the_commit() -> None:
    report = replace(report_for(), plan_made_at="2026-11-24T10:00:00Z", commit="a" * 40)
    page = render_html(report)
    facts = page[page.index('id="facts"') : page.index("</dl>")]
    assert "<dt>Plan made</dt><dd>2026-11-24T10:00:00Z (1 day old)</dd>" in facts.replace(
        "<wbr>", ""
    )
    assert f"<dt>Commit</dt><dd>{'a' * 24}<wbr>{'a' * 16}</dd>" in facts
    assert "snapshot 2026-11-25T09:30:00Z (30 minutes old)" in facts.replace("<wbr>", "")
    unknown = render_html(report_for())
    assert "<dt>Commit</dt><dd>unknown</dd>" in unknown
    assert "unknown (the plan JSON has no timestamp)" in unknown


def test_an_arm_id_is_shortened_with_the_whole_id_on_hover_and_in_print() -> None:
    assert short_id(ID) == "…/rg-stockapp-prod/…/flexibleServers/psql-stockapp-prod"
    assert short_id("/subscriptions/x/resourceGroups/rg") == "/subscriptions/x/resourceGroups/rg"
    shown = str(cell(f"server {ID} admits test"))
    assert shown.startswith("server ") and shown.endswith(" admits test")
    assert f'<span class="arm-id" title="{ID}">' in shown
    assert '<span class="id-short">…/rg-stockapp-prod/…/flexibleServers/psql-stockapp-prod<' in (
        shown
    )
    full = re.search(r'<span class="id-full">(.*?)</span>', shown)
    assert full and full[1].replace("<wbr>", "") == ID
    page = render_html(report_for())
    assert ".id-full { display: none; }" in page
    printing = page[page.index("@media print") :]
    assert ".id-short { display: none; }" in printing and ".id-full { display: inline; }" in (
        printing
    )


def test_cells_break_between_parts_and_stay_escaped() -> None:
    assert (
        str(cell("azurerm_container_app.backend")) == "azurerm_<wbr>container_<wbr>app.<wbr>backend"
    )
    assert str(cell('web["<b>x</b>"]')) == "web<wbr>[&#34;&lt;b&gt;x&lt;/<wbr>b&gt;&#34;]"
    token = "Q" * 60
    assert str(cell(token)).split("<wbr>") == ["Q" * 24, "Q" * 24, "Q" * 12]
