"""Size, care, spec and FAQ questions answered from what the shop ingested, or handed to a person when nothing does."""

from __future__ import annotations

from aftersales.policy.decisions import Action, Case, Decision
from aftersales.policy.config import PolicySettings
from aftersales.policy.rules.base import Rule
from aftersales.policy.rules.common import handoff


def product_knowledge(rule: Rule, case: Case, settings: PolicySettings) -> Decision:
    found = case.knowledge
    inputs = {"intent": case.intent, "sku": getattr(found, "sku", None) or case.sku}
    if found is None or found.kind == "none":
        # Never invent: a question the shop's own texts do not answer goes to a person.
        return Decision(f"{rule.id}.unknown", inputs, [handoff("no_knowledge")], manual=True)
    params = {"title": found.title, **found.params}
    if found.kind == "size":
        inputs.update({k: found.params[k] for k in ("height_cm", "weight_kg", "basis", "sizes")})
        return Decision(f"{rule.id}.size", inputs, [Action("recommend_size", params=params)])
    if found.kind == "ask_measurements":
        return Decision(f"{rule.id}.ask_measurements", inputs, [Action("ask_measurements", params=params)])
    inputs.update({"source": found.params["source"], "field": found.params["field"]})
    name = found.params["field"] if found.params["source"] == "product" else "faq"
    return Decision(f"{rule.id}.{name}", inputs, [Action("answer_from_knowledge", params={
        **params, "variant": found.params["source"]})])
