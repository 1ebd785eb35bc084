"""The rules a plan applies, each with the BCW step it implements or marked as combmap's own.

Printed in every plan (JSON `rules`, the Markdown and the report) and explained in
docs/method.md, which cites the source of each.
"""

from __future__ import annotations

from combmap.plan.models import Rule

_GUIDE = "Michie, Atkins & West 2014"

RULES: tuple[Rule, ...] = (
    Rule(
        id="components",
        step="4 (identify what needs to change)",
        text="A barrier's TDF domains map to COM-B components by the published TDF → COM-B "
        "table; its own COM-B codes are added. Skills maps to physical or psychological "
        "capability by the barrier's COM-B code or the construct it names, not to both.",
        own=False,
    ),
    Rule(
        id="skills-default",
        step="combmap",
        text="A Skills code with neither a capability code nor a construct is read as cognitive "
        "and interpersonal skills (psychological capability); the chain says so.",
        own=True,
    ),
    Rule(
        id="candidate-functions",
        step="5 (intervention functions)",
        text="Candidate functions come from the TDF → function table for each TDF code; the "
        f"COM-B → function matrix serves COM-B codes that no TDF code covers ({_GUIDE}; "
        "Michie, van Stralen & West 2011, Table 2). A domain with no row in the profile falls "
        "back to its COM-B components' rows, and the chain says so.",
        own=False,
    ),
    Rule(
        id="selection",
        step="5–7 (APEASE)",
        text="The selected functions, policy categories and techniques are the candidates the "
        "case's APEASE judgements leave in: an exclusion or a failed criterion removes an "
        "option everywhere; 'unsure' keeps it, marked not sure.",
        own=False,
    ),
    Rule(
        id="techniques",
        step="7 (behaviour change techniques)",
        text="Under each selected function, the techniques the guide lists for it (most "
        "frequently used, then less frequently used; CACTIS suggestions for the barrier's "
        "COM-B components after them), plus techniques the TDF → technique sources link to "
        "the domain that reached the function. Order: independent sources linking the "
        "technique to the barrier's own domains, then the list, then the BCTTv1 code.",
        own=False,
    ),
    Rule(
        id="independent-evidence",
        step="combmap",
        text="Evidence is counted as independent sources (lineages): reproductions of one "
        "table count once, and a table derived from several sources counts only when none of "
        "them is already counted.",
        own=True,
    ),
    Rule(
        id="non-links",
        step="7 (behaviour change techniques)",
        text="A technique that the Theory and Techniques Tool finds not linked to a barrier's "
        "domain, with no source linking it, is withheld for that barrier with the reason "
        "(Johnston et al. 2021).",
        own=False,
    ),
    Rule(
        id="offered",
        step="combmap",
        text="A barrier's first techniques (settings.per_barrier, across its selected "
        "functions) count as offered for it; techniques rank by the load of the barriers they "
        "are offered for.",
        own=True,
    ),
    Rule(
        id="ranking",
        step="combmap",
        text="Functions, policy categories and techniques rank by the load (weight × "
        "frequency) of the barriers they address, then by the number of barriers; equal on "
        "both is a tie with one rank. Listing order within a tie: the wheel's order "
        "(functions, policies) or the BCTTv1 code (techniques). Link status never changes a "
        "score.",
        own=True,
    ),
    Rule(
        id="policies",
        step="6 (policy categories)",
        text="Policy categories are those linked to a selected function (Michie, van Stralen & "
        "West 2011, Table 3): common when linked to every selected function, candidate when "
        "linked to at least one.",
        own=False,
    ),
    Rule(
        id="interventions",
        step="combmap",
        text="Drafted interventions group barriers by the code (TDF domain, or COM-B component) "
        "through which they reach their functions, as BCW studies tabulate domain → functions "
        "→ techniques; they rank by barriers addressed (as Baxter & Fancourt 2020, Table 2).",
        own=True,
    ),
    Rule(
        id="robustness",
        step="combmap",
        text="Every ranked item carries its rank with the unverified links removed and the "
        "unverified links it rests on.",
        own=True,
    ),
    Rule(
        id="enablers",
        step="combmap",
        text="Enablers have chains, as something to build on; they add to scores only by "
        "options.enabler_weight (0 by default).",
        own=True,
    ),
)
