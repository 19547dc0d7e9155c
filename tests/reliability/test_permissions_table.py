"""Who may do what, as one table over the example team of app.yaml: every decision surface's
permission rule against every role (IS rep, another IS rep, AE, another AE, CSM, the managers,
marketing, outsider). The rules live in one table (bot/domain/permissions.py); the flow tests prove
each handler asks its rule; this proves the rules."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from bot.config import load_config
from bot.domain import cs_handoff, forecast, forecast_adjust, health_alerts, permissions, recycle, relay
from bot.domain.mql import may_decide
from bot.models import Account, Lead, Opportunity, Recycle
from bot.domain.opportunities import may_edit
from tests.conftest import ROOT

CONFIG = load_config(ROOT / "app.yaml")
UOW = SimpleNamespace(config=CONFIG)
PERSONAS = {
    "is_rep_owner": "tanaka", "is_rep_same_team": "suzuki", "is_rep_other_team": "ito", "is_manager": "sato",
    "ae_owner": "kato", "ae_other": "yoshida", "fs_manager": "nakamura", "csm": "matsumoto", "cs_manager": "yamamoto",
    "marketing": "yamada", "cro": "inoue", "outsider": None,
}  # fmt: skip

LEAD = Lead(id=1, team_id="is_enterprise", owner_id="tanaka", assignee_id="tanaka", stage="mql")
SAL = Lead(id=2, team_id="is_enterprise", owner_id="tanaka", assignee_id="tanaka", stage="sal")
DEAL = Opportunity(id=3, name="d", team_id="field_sales", owner_id="kato")
LOOP = Recycle(id=4, entity_type="lead", entity_id=1, team_id="is_enterprise", owner_id="tanaka", due_date=date(2026, 12, 1))
ACCOUNT = Account(id=5, name="a", csm_id="matsumoto", ae_id="kato")

RULES = {
    # surface: (rule, the personas allowed)
    "mql.accept_or_reject": (lambda p: may_decide(CONFIG, LEAD, p), {"is_rep_owner", "is_rep_same_team", "is_manager"}),
    "sal.qualify_or_disqualify": (lambda p: relay.may_work_sal(CONFIG, SAL, p), {"is_rep_owner", "is_manager"}),
    "handoff.accept_or_send_back": (lambda p: relay.may_decide_handoff(CONFIG, DEAL, p), {"ae_owner", "fs_manager"}),
    "deal.edit": (lambda p: may_edit(CONFIG, DEAL, p), {"ae_owner", "fs_manager", "cro"}),  # not IS / CS managers
    "recycle.reengage_snooze_close": (lambda p: recycle.may_act(CONFIG, LOOP, p), {"is_rep_owner", "is_rep_same_team", "is_manager"}),
    "health.ack_snooze_escalate": (lambda p: health_alerts.may_act(UOW, p, ACCOUNT), {"csm", "cs_manager", "cro"}),
    "account.upsell_churn": (lambda p: permissions.allows("account.act", CONFIG, p, ACCOUNT), {"ae_owner", "csm", "cs_manager", "cro"}),
    "cs_handoff.accept": (lambda p: cs_handoff.may_accept(CONFIG, ACCOUNT, p), {"csm", "cs_manager"}),  # not the AE
    "forecast.view_kato": (lambda p: p is not None and forecast.may_view(UOW, p.id, "kato"), {"ae_owner", "fs_manager", "cro"}),
    # a manager's adjustment of kato's number: never kato himself, nor the IS / CS managers
    "forecast.adjust_kato": (lambda p: p is not None and forecast_adjust.may_adjust(UOW, p.id, "rep", "kato"), {"fs_manager", "cro"}),
    "forecast.adjust_team": (lambda p: p is not None and forecast_adjust.may_adjust(UOW, p.id, "team", "field_sales"), {"fs_manager", "cro"}),
    "manager_commands": (lambda p: permissions.allows("manager.commands", CONFIG, p, None), {"is_manager", "fs_manager", "cs_manager", "cro"}),
}


@pytest.mark.parametrize("surface", sorted(RULES))
@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_who_may_do_what(surface, persona):
    rule, allowed = RULES[surface]
    person = CONFIG.person(PERSONAS[persona]) if PERSONAS[persona] else None
    assert rule(person) is (persona in allowed)


def test_a_csm_acts_on_their_own_accounts_alerts_only():
    """Being in Customer Success is not enough: another CSM's account is not yours."""
    csm, manager = CONFIG.person("matsumoto"), CONFIG.person("yamamoto")
    theirs = Account(id=6, name="b", csm_id="someone_else", ae_id="kato")
    assert not health_alerts.may_act(UOW, csm, theirs) and health_alerts.may_act(UOW, manager, theirs)
    assert not permissions.allows("account.act", CONFIG, csm, theirs)


@pytest.mark.parametrize(
    ("who_may_act", "allowed"),
    [(["csm"], {"csm"}), (["ae", "admin"], {"ae_owner"}), (["cs_team"], {"csm", "cs_manager"}), (["cro"], {"cro"})],
)
def test_who_may_act_on_a_health_alert_is_configured_in_app_yaml(who_may_act, allowed):
    config = CONFIG.model_copy(update={"success": CONFIG.success.model_copy(update={"who_may_act": who_may_act})})
    for persona, pid in PERSONAS.items():
        person = config.person(pid) if pid else None
        assert health_alerts.may_act(SimpleNamespace(config=config), person, ACCOUNT) is (persona in allowed), persona
