"""The domain's rules, checked on the aggregates themselves: no store, no HTTP, no clock."""

from datetime import date

import pytest

from ledger.domain.accreditation import held_on
from ledger.domain.actors import Actor
from ledger.domain.errors import Forbidden, NotFound, RuleViolation
from ledger.domain.learner import LearnerRecord
from ledger.domain.pathway import Pathway
from ledger.domain.programme import MicroCredential
from ledger.domain.provider import Provider

TODAY = date(2026, 6, 1)
ADMIN = Actor("admin-1", "admin")
QA = Actor("qa-1", "qa_body")
SPEC = {
    "title": "Data Literacy",
    "learning_outcomes": ["Read a table"],
    "ects": 5.0,
    "eqf_level": 5,
    "assessment_type": "exam",
    "participation_form": "online",
    "quality_assurance": "internal",
}


def event_names(aggregate) -> list[str]:
    return [type(e).__name__ for e in aggregate.pending_events]


def register(
    name: str = "Tbilisi State University", kind: str = "higher_education", actor: Actor = ADMIN
) -> Provider:
    return Provider.register(
        actor=actor, today=date(2020, 1, 1), name=name, country="GE", kind=kind,
        legal_identifier=None,
    )


def accredited(name: str = "Tbilisi State University") -> Provider:
    provider = register(name)
    provider.accredit(
        actor=QA,
        valid_from="2020-01-01",
        valid_until="2030-12-31",
        scope=None,
        decision_reference="NCEQE-2020-17",
    )
    return provider


def acting_for(provider: Provider) -> Actor:
    return Actor(f"principal-of-{provider.id}", "provider", str(provider.id))


def submitted(provider: Provider, **spec) -> MicroCredential:
    return MicroCredential.submit(
        actor=acting_for(provider),
        provider_id=str(provider.id),
        specification={**SPEC, **spec},
        today=date(2023, 12, 1),
    )


def approved(
    provider: Provider, approved_on: str = "2024-01-15", review_due: str = "2026-12-31", **spec
) -> MicroCredential:
    programme = submitted(provider, **spec)
    programme.approve(actor=QA, approved_on=approved_on, review_due=review_due, today=TODAY)
    return programme


class School:
    """One accredited provider with two approved programmes and one enrolled learner."""

    def __init__(self) -> None:
        self.provider = accredited()
        self.actor = acting_for(self.provider)
        self.first = approved(self.provider, title="Statistics", ects=5.0)
        self.second = approved(self.provider, title="Reporting", ects=3.0, eqf_level=6)
        self.record = LearnerRecord.enrol(actor=self.actor, today=date(2024, 9, 1))

    def issue(
        self,
        credential_id: str,
        programme: MicroCredential | None = None,
        awarded_on: str = "2025-03-01",
    ) -> str:
        self.record.issue(
            actor=self.actor,
            credential_id=credential_id,
            provider=self.provider,
            programme=programme or self.first,
            awarded_on=awarded_on,
            grade="A",
            assessment=None,
            today=TODAY,
        )
        return credential_id

    def pathway(self, **rule) -> Pathway:
        return Pathway.define(
            actor=self.actor,
            provider_id=str(self.provider.id),
            title="Data Analyst",
            components=[str(self.first.id), str(self.second.id)],
            min_ects=rule.get("min_ects"),
            min_components=rule.get("min_components"),
            today=date(2024, 2, 1),
        )

    def stack(self, stack_id: str, component_ids: list[str], pathway: Pathway) -> str:
        self.record.stack(
            actor=self.actor,
            stack_id=stack_id,
            pathway=pathway,
            provider=self.provider,
            component_ids=component_ids,
            awarded_on="2025-06-01",
            today=TODAY,
        )
        return stack_id

    def stacked(self) -> tuple[str, str, str, Pathway]:
        pathway = self.pathway()
        a, b = self.issue("a"), self.issue("b", self.second)
        return a, b, self.stack("s", [a, b], pathway), pathway

    def status(self, credential_id: str) -> str:
        return self.record.credentials[credential_id].status


# -- accreditation windows -----------------------------------------------------------------

WINDOW = {"valid_from": "2020-01-01", "valid_until": "2022-12-31"}


@pytest.mark.parametrize(
    ("day", "held"),
    [
        ("2019-12-31", False),
        ("2020-01-01", True),
        ("2021-06-15", True),
        ("2022-12-31", True),
        ("2023-01-01", False),
    ],
)
def test_an_accreditation_holds_on_the_closed_interval_of_its_window(day, held):
    assert held_on(day, [WINDOW], []) is held


def test_a_withdrawal_ends_the_accreditation_from_its_effective_date():
    ending = {"effective_on": "2021-03-01", "windows_before": 1}
    assert held_on("2021-02-28", [WINDOW], [ending]) is True
    assert held_on("2021-03-01", [WINDOW], [ending]) is False
    assert held_on("2022-06-01", [WINDOW], [ending]) is False


def test_a_withdrawal_does_not_end_a_window_granted_after_it():
    renewal = {"valid_from": "2021-09-01", "valid_until": "2024-12-31"}
    ending = {"effective_on": "2021-03-01", "windows_before": 1}
    assert held_on("2021-06-01", [WINDOW, renewal], [ending]) is False
    assert held_on("2021-09-01", [WINDOW, renewal], [ending]) is True


def test_nothing_holds_in_the_gap_between_two_windows():
    later = {"valid_from": "2023-06-01", "valid_until": "2025-12-31"}
    assert held_on("2023-03-01", [WINDOW, later], []) is False
    assert held_on("2023-06-01", [WINDOW, later], []) is True


def test_no_window_means_never_held():
    assert held_on("2021-01-01", [], []) is False


# -- providers ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "qa_body"])
def test_admin_and_qa_body_register_providers(role):
    provider = register(actor=Actor("p-1", role))
    assert event_names(provider) == ["Registered"]
    assert provider.is_accredited_on("2021-01-01") is False


@pytest.mark.parametrize(
    "actor", [Actor("p-2", "provider", "x"), Actor("p-3", "auditor"), Actor("p-4", "learner", "l")]
)
def test_other_roles_cannot_register_providers(actor):
    with pytest.raises(Forbidden):
        register(actor=actor)


def test_a_provider_kind_outside_the_known_kinds_is_refused():
    with pytest.raises(RuleViolation):
        register(kind="university")


@pytest.mark.parametrize("actor", [ADMIN, Actor("p-5", "provider", "x")])
def test_only_the_qa_body_accredits_providers(actor):
    provider = register()
    with pytest.raises(Forbidden):
        provider.accredit(
            actor=actor,
            valid_from="2020-01-01",
            valid_until="2030-12-31",
            scope=None,
            decision_reference=None,
        )
    assert provider.is_accredited_on("2021-01-01") is False


@pytest.mark.parametrize("valid_until", ["2019-12-31", "2020-01-01"])
def test_an_accreditation_must_end_after_it_starts(valid_until):
    provider = register()
    with pytest.raises(RuleViolation):
        provider.accredit(
            actor=QA,
            valid_from="2020-01-01",
            valid_until=valid_until,
            scope=None,
            decision_reference=None,
        )
    assert event_names(provider) == ["Registered"]


def test_a_second_accreditation_is_recorded_as_a_renewal():
    provider = accredited()
    provider.accredit(
        actor=QA,
        valid_from="2031-01-01",
        valid_until="2035-12-31",
        scope=None,
        decision_reference=None,
    )
    assert event_names(provider) == ["Registered", "Accredited", "AccreditationRenewed"]
    assert provider.is_accredited_on("2033-01-01") is True


def test_only_the_qa_body_withdraws_an_accreditation():
    provider = accredited()
    with pytest.raises(Forbidden):
        provider.withdraw_accreditation(actor=ADMIN, reason="fraud", effective_on="2024-01-01")
    assert provider.is_accredited_on("2025-01-01") is True


def test_a_provider_without_accreditation_has_none_to_withdraw():
    provider = register()
    with pytest.raises(RuleViolation):
        provider.withdraw_accreditation(actor=QA, reason="fraud", effective_on="2024-01-01")


def test_a_withdrawn_provider_is_not_accredited_from_the_effective_date():
    provider = accredited()
    provider.withdraw_accreditation(actor=QA, reason="fraud", effective_on="2024-01-01")
    assert provider.is_accredited_on("2023-12-31") is True
    assert provider.is_accredited_on("2024-01-01") is False
    with pytest.raises(RuleViolation):
        provider.check_accredited_on("2024-06-01")


def test_a_renewal_after_a_withdrawal_restores_the_accreditation_from_its_start():
    provider = accredited()
    provider.withdraw_accreditation(actor=QA, reason="fraud", effective_on="2024-01-01")
    provider.accredit(
        actor=QA,
        valid_from="2025-01-01",
        valid_until="2027-12-31",
        scope=None,
        decision_reference=None,
    )
    assert provider.is_accredited_on("2024-06-01") is False
    assert provider.is_accredited_on("2025-01-01") is True


# -- programmes -----------------------------------------------------------------------------


def test_a_provider_submits_only_its_own_programmes():
    mine, theirs = accredited("Mine"), accredited("Theirs")
    with pytest.raises(Forbidden):
        MicroCredential.submit(
            actor=acting_for(mine),
            provider_id=str(theirs.id),
            specification=SPEC,
            today=date(2024, 1, 1),
        )
    assert submitted(mine).status == "submitted"


@pytest.mark.parametrize("actor", [ADMIN, Actor("p-6", "provider", "x")])
def test_only_the_qa_body_approves_a_programme(actor):
    programme = submitted(accredited())
    with pytest.raises(Forbidden):
        programme.approve(
            actor=actor, approved_on="2024-01-15", review_due="2026-01-15", today=TODAY
        )
    assert programme.status == "submitted"


@pytest.mark.parametrize("review_due", ["2024-01-15", "2024-01-14"])
def test_review_due_must_come_after_the_approval(review_due):
    programme = submitted(accredited())
    with pytest.raises(RuleViolation):
        programme.approve(actor=QA, approved_on="2024-01-15", review_due=review_due, today=TODAY)
    assert programme.status == "submitted"


def test_review_due_may_fall_on_the_third_anniversary_of_the_approval():
    programme = submitted(accredited())
    programme.approve(actor=QA, approved_on="2025-03-01", review_due="2028-03-01", today=TODAY)
    assert programme.status == "approved"


@pytest.mark.parametrize(
    ("approved_on", "review_due"),
    [
        ("2025-03-01", "2028-03-02"),  # the day after the third anniversary
        ("2024-01-15", "2029-01-15"),
    ],
)
def test_review_due_may_not_be_later_than_three_years_after_the_approval(approved_on, review_due):
    programme = submitted(accredited())
    with pytest.raises(RuleViolation):
        programme.approve(actor=QA, approved_on=approved_on, review_due=review_due, today=TODAY)
    assert programme.status == "submitted"


def test_an_approval_is_awardable_only_within_its_window():
    programme = approved(accredited(), approved_on="2024-01-15", review_due="2026-12-31")
    provider_id = programme.provider_id
    programme.check_awardable(provider_id, "2024-01-15")
    programme.check_awardable(provider_id, "2026-12-31")
    for day in ("2024-01-14", "2027-01-01"):
        with pytest.raises(RuleViolation):
            programme.check_awardable(provider_id, day)


def test_a_programme_is_awardable_only_by_its_own_provider():
    programme = approved(accredited())
    with pytest.raises(RuleViolation):
        programme.check_awardable("another-provider", "2025-01-01")


def test_an_approved_programme_can_be_approved_again_for_a_new_cycle():
    programme = approved(accredited(), approved_on="2024-01-15", review_due="2026-12-31")
    programme.approve(actor=QA, approved_on="2026-05-01", review_due="2029-04-30", today=TODAY)
    assert programme.is_approved_on("2028-01-01") is True


def test_a_rejected_programme_cannot_be_approved_or_awarded():
    programme = submitted(accredited())
    programme.reject(actor=QA, reason="outcomes not assessable", today=date(2024, 1, 10))
    assert programme.status == "rejected"
    with pytest.raises(RuleViolation):
        programme.approve(actor=QA, approved_on="2024-01-15", review_due="2026-01-15",
                          today=TODAY)
    with pytest.raises(RuleViolation):
        programme.check_awardable(programme.provider_id, "2024-02-01")


def test_only_a_submitted_programme_can_be_rejected():
    programme = approved(accredited())
    with pytest.raises(RuleViolation):
        programme.reject(actor=QA, reason="second thoughts", today=date(2024, 2, 1))
    assert programme.status == "approved"


def test_only_the_qa_body_rejects_a_programme():
    programme = submitted(accredited())
    with pytest.raises(Forbidden):
        programme.reject(actor=ADMIN, reason="no", today=date(2024, 1, 10))


def test_a_withdrawal_ends_the_approval_from_its_effective_date():
    provider = accredited()
    programme = approved(provider)
    programme.withdraw(actor=acting_for(provider), reason="discontinued", effective_on="2025-01-01")
    assert programme.status == "withdrawn"
    assert programme.is_approved_on("2024-12-31") is True
    assert programme.is_approved_on("2025-01-01") is False


def test_the_qa_body_may_withdraw_any_programme_but_another_provider_may_not():
    programme = approved(accredited())
    with pytest.raises(Forbidden):
        programme.withdraw(
            actor=acting_for(accredited("Other")), reason="x", effective_on="2025-01-01"
        )
    programme.withdraw(actor=QA, reason="failed review", effective_on="2025-01-01")
    assert programme.status == "withdrawn"


def test_a_withdrawn_programme_cannot_be_withdrawn_again_or_approved():
    programme = approved(accredited())
    programme.withdraw(actor=QA, reason="failed review", effective_on="2025-01-01")
    with pytest.raises(RuleViolation):
        programme.withdraw(actor=QA, reason="again", effective_on="2025-02-01")
    with pytest.raises(RuleViolation):
        programme.approve(actor=QA, approved_on="2025-03-01", review_due="2026-03-01", today=TODAY)


# -- pathways -------------------------------------------------------------------------------


def test_a_provider_defines_pathways_only_for_itself():
    school, other = School(), accredited("Other")
    with pytest.raises(Forbidden):
        Pathway.define(
            actor=acting_for(other),
            provider_id=str(school.provider.id),
            title="x",
            components=[str(school.first.id)],
            min_ects=None,
            min_components=None,
            today=date(2024, 2, 1),
        )


def test_a_pathway_lists_each_programme_once():
    school = School()
    with pytest.raises(RuleViolation):
        Pathway.define(
            actor=school.actor,
            provider_id=str(school.provider.id),
            title="x",
            components=[str(school.first.id)] * 2,
            min_ects=None,
            min_components=None,
            today=date(2024, 2, 1),
        )


def test_min_components_cannot_exceed_the_pathways_programmes():
    with pytest.raises(RuleViolation):
        School().pathway(min_components=3)


def test_an_all_of_pathway_needs_every_programme():
    school = School()
    pathway = school.pathway()
    first, second = str(school.first.id), str(school.second.id)
    with pytest.raises(RuleViolation):
        pathway.check_satisfied_by([first], 5.0)
    pathway.check_satisfied_by([first, second], 8.0)


def test_an_n_of_pathway_needs_at_least_min_components():
    school = School()
    pathway = school.pathway(min_components=2)
    first, second = str(school.first.id), str(school.second.id)
    with pytest.raises(RuleViolation):
        pathway.check_satisfied_by([first], 5.0)
    pathway.check_satisfied_by([second, first], 8.0)


def test_a_min_ects_pathway_needs_enough_credit():
    school = School()
    pathway = school.pathway(min_ects=5.0)
    with pytest.raises(RuleViolation):
        pathway.check_satisfied_by([str(school.second.id)], 3.0)
    pathway.check_satisfied_by([str(school.first.id)], 5.0)


def test_a_retired_pathway_is_satisfied_by_nothing():
    school = School()
    pathway = school.pathway()
    pathway.retire(actor=school.actor, reason="replaced", today=date(2025, 1, 1))
    with pytest.raises(RuleViolation):
        pathway.check_satisfied_by([str(school.first.id), str(school.second.id)], 8.0)


def test_only_its_provider_retires_a_pathway():
    pathway = School().pathway()
    with pytest.raises(Forbidden):
        pathway.retire(actor=acting_for(accredited("Other")), reason="x", today=date(2025, 1, 1))
    assert pathway.retired is False


def test_a_component_outside_the_pathway_does_not_count():
    school = School()
    pathway = school.pathway(min_components=1)
    with pytest.raises(RuleViolation):
        pathway.check_satisfied_by([str(school.first.id), "elsewhere"], 10.0)


def test_two_awards_of_the_same_programme_are_one_component():
    school = School()
    pathway = school.pathway(min_components=2)
    with pytest.raises(RuleViolation):
        pathway.check_satisfied_by([str(school.first.id)] * 2, 10.0)


# -- issuing --------------------------------------------------------------------------------


def test_an_issued_credential_is_active_and_records_the_award():
    school = School()
    school.issue("c1")
    credential = school.record.credential("c1")
    assert credential.status == "active"
    assert (credential.title, credential.ects, credential.eqf_level) == (
        "Statistics",
        5.0,
        5,
    )
    assert event_names(school.record)[-1] == "CredentialIssued"


def test_an_award_cannot_be_dated_in_the_future():
    school = School()
    with pytest.raises(RuleViolation):
        school.issue("c1", awarded_on="2026-06-02")
    assert school.record.credentials == {}


def test_a_provider_issues_only_in_its_own_name():
    school, other = School(), accredited("Other")
    with pytest.raises(Forbidden):
        school.record.issue(
            actor=acting_for(other),
            credential_id="c1",
            provider=school.provider,
            programme=school.first,
            awarded_on="2025-03-01",
            grade=None,
            assessment=None,
            today=TODAY,
        )


def test_a_provider_cannot_award_another_providers_programme():
    school, other = School(), accredited("Other")
    with pytest.raises(RuleViolation):
        school.record.issue(
            actor=acting_for(other),
            credential_id="c1",
            provider=other,
            programme=school.first,
            awarded_on="2025-03-01",
            grade=None,
            assessment=None,
            today=TODAY,
        )


def test_an_award_needs_the_provider_accredited_on_the_award_date():
    school = School()
    school.provider.withdraw_accreditation(actor=QA, reason="fraud", effective_on="2025-01-01")
    with pytest.raises(RuleViolation):
        school.issue("c1", awarded_on="2025-01-01")
    school.issue("c0", awarded_on="2024-12-31")
    assert list(school.record.credentials) == ["c0"]


@pytest.mark.parametrize("awarded_on", ["2024-01-14", "2027-01-01"])
def test_an_award_needs_the_programme_approved_and_in_date_on_the_award_date(awarded_on):
    school = School()
    with pytest.raises(RuleViolation):
        school.issue("c1", awarded_on=awarded_on)


# -- lifecycle ------------------------------------------------------------------------------


def test_a_revoked_credential_cannot_be_revoked_suspended_or_reinstated_again():
    school = School()
    school.issue("c1")
    school.record.revoke(actor=school.actor, credential_id="c1", reason="fraud",
                         today=date(2025, 4, 1))
    assert school.status("c1") == "revoked"
    for action in ("revoke", "suspend", "reinstate"):
        with pytest.raises(RuleViolation):
            getattr(school.record, action)(
                actor=school.actor, credential_id="c1", reason="again", today=date(2025, 4, 2)
            )
    assert school.status("c1") == "revoked"


def test_a_suspended_credential_is_reinstated_to_active():
    school = School()
    school.issue("c1")
    school.record.suspend(
        actor=school.actor, credential_id="c1", reason="inquiry", today=date(2025, 4, 1)
    )
    assert school.status("c1") == "suspended"
    school.record.reinstate(
        actor=school.actor, credential_id="c1", reason="cleared", today=date(2025, 5, 1)
    )
    assert school.status("c1") == "active"


def test_only_a_suspended_credential_can_be_reinstated():
    school = School()
    school.issue("c1")
    with pytest.raises(RuleViolation):
        school.record.reinstate(
            actor=school.actor, credential_id="c1", reason="x", today=date(2025, 4, 1)
        )


def test_only_an_active_credential_can_be_suspended():
    school = School()
    school.issue("c1")
    school.record.suspend(
        actor=school.actor, credential_id="c1", reason="inquiry", today=date(2025, 4, 1)
    )
    with pytest.raises(RuleViolation):
        school.record.suspend(
            actor=school.actor, credential_id="c1", reason="again", today=date(2025, 4, 2)
        )


def test_a_suspended_credential_can_be_revoked():
    school = School()
    school.issue("c1")
    school.record.suspend(
        actor=school.actor, credential_id="c1", reason="inquiry", today=date(2025, 4, 1)
    )
    school.record.revoke(actor=school.actor, credential_id="c1", reason="fraud",
                         today=date(2025, 5, 1))
    assert school.status("c1") == "revoked"


@pytest.mark.parametrize("action", ["revoke", "suspend"])
def test_the_qa_body_but_not_another_provider_changes_a_credentials_status(action):
    school = School()
    school.issue("c1")
    with pytest.raises(Forbidden):
        getattr(school.record, action)(
            actor=acting_for(accredited("Other")),
            credential_id="c1",
            reason="x",
            today=date(2025, 4, 1),
        )
    assert school.status("c1") == "active"
    getattr(school.record, action)(actor=QA, credential_id="c1", reason="x", today=date(2025, 4, 1))
    assert school.status("c1") != "active"


def test_an_unknown_credential_is_not_found():
    school = School()
    with pytest.raises(NotFound):
        school.record.revoke(
            actor=school.actor, credential_id="nope", reason="x", today=date(2025, 4, 1)
        )


# -- stacking and the revocation cascade ----------------------------------------------------


def test_components_stack_along_a_satisfied_pathway():
    school = School()
    a, b, stack, pathway = school.stacked()
    credential = school.record.credential(stack)
    assert credential.kind == "stack"
    assert credential.components == [a, b]
    assert credential.ects == 8.0
    assert credential.eqf_level == 6
    assert credential.pathway_id == str(pathway.id)


@pytest.mark.parametrize("action", ["revoke", "suspend"])
def test_a_revoked_or_suspended_component_cannot_be_stacked(action):
    school = School()
    pathway = school.pathway()
    a, b = school.issue("a"), school.issue("b", school.second)
    getattr(school.record, action)(
        actor=school.actor, credential_id=a, reason="x", today=date(2025, 4, 1)
    )
    with pytest.raises(RuleViolation):
        school.stack("s", [a, b], pathway)
    assert "s" not in school.record.credentials


def test_a_credential_not_held_by_the_learner_cannot_be_stacked():
    school = School()
    pathway = school.pathway()
    a = school.issue("a")
    with pytest.raises(RuleViolation):
        school.stack("s", [a, "someone-elses"], pathway)


def test_a_stack_cannot_itself_be_a_component():
    school = School()
    _, _, stack, _ = school.stacked()
    pathway = school.pathway(min_components=1)
    with pytest.raises(RuleViolation):
        school.stack("s2", [stack], pathway)


def test_a_stack_needs_distinct_components():
    school = School()
    pathway = school.pathway(min_components=1)
    a = school.issue("a")
    with pytest.raises(RuleViolation):
        school.stack("s", [a, a], pathway)


def test_a_component_already_in_a_live_stack_of_the_pathway_cannot_be_stacked_again():
    school = School()
    a, b, _, pathway = school.stacked()
    with pytest.raises(RuleViolation):
        school.stack("s2", [a, b], pathway)
    assert "s2" not in school.record.credentials


def test_a_component_may_be_stacked_again_once_its_stack_is_revoked():
    school = School()
    a, b, stack, pathway = school.stacked()
    school.record.revoke(
        actor=school.actor, credential_id=stack, reason="issued in error", today=date(2025, 7, 1)
    )
    school.stack("s2", [a, b], pathway)
    assert school.status("s2") == "active"


def test_a_component_may_serve_stacks_of_different_pathways():
    school = School()
    a, b, _, _ = school.stacked()
    school.stack("s2", [a, b], school.pathway())
    assert school.record.credential(a).stacks == ["s", "s2"]


def test_a_provider_stacks_only_along_its_own_pathways():
    school, other = School(), School()
    a, b = school.issue("a"), school.issue("b", school.second)
    with pytest.raises(RuleViolation):
        school.stack("s", [a, b], other.pathway())


def test_revoking_a_component_puts_its_live_stacks_under_review_in_the_same_operation():
    school = School()
    a, _, stack, _ = school.stacked()
    school.record.revoke(actor=school.actor, credential_id=a, reason="fraud",
                         today=date(2025, 8, 1))
    revoked, review = school.record.pending_events[-2:]
    assert (type(revoked).__name__, revoked.credential_id) == ("CredentialRevoked", a)
    assert (type(review).__name__, review.credential_id) == ("StackPutUnderReview", stack)
    assert review.cause == a
    assert (review.actor, review.effective_on) == (school.actor.principal_id, "2025-08-01")
    assert school.status(stack) == "under_review"


def test_the_cascade_leaves_a_revoked_stack_alone():
    school = School()
    a, _, stack, _ = school.stacked()
    school.record.revoke(actor=school.actor, credential_id=stack, reason="x",
                         today=date(2025, 7, 1))
    school.record.revoke(actor=school.actor, credential_id=a, reason="fraud",
                         today=date(2025, 8, 1))
    assert event_names(school.record)[-1] == "CredentialRevoked"
    assert school.status(stack) == "revoked"


def test_a_suspended_stack_also_goes_under_review_when_a_component_is_revoked():
    school = School()
    a, _, stack, _ = school.stacked()
    school.record.suspend(actor=school.actor, credential_id=stack, reason="x",
                          today=date(2025, 7, 1))
    school.record.revoke(actor=school.actor, credential_id=a, reason="fraud",
                         today=date(2025, 8, 1))
    assert school.status(stack) == "under_review"


def test_a_stack_under_review_can_be_reinstated_by_its_issuer():
    school = School()
    a, _, stack, _ = school.stacked()
    school.record.revoke(actor=school.actor, credential_id=a, reason="fraud",
                         today=date(2025, 8, 1))
    with pytest.raises(Forbidden):
        school.record.reinstate(
            actor=acting_for(accredited("Other")),
            credential_id=stack,
            reason="x",
            today=date(2025, 8, 2),
        )
    school.record.reinstate(
        actor=school.actor, credential_id=stack, reason="still valid", today=date(2025, 8, 2)
    )
    assert school.status(stack) == "active"


def test_a_stack_under_review_can_be_revoked_by_its_issuer():
    school = School()
    a, _, stack, _ = school.stacked()
    school.record.revoke(actor=school.actor, credential_id=a, reason="fraud",
                         today=date(2025, 8, 1))
    school.record.revoke(
        actor=school.actor, credential_id=stack, reason="component gone", today=date(2025, 8, 2)
    )
    assert school.status(stack) == "revoked"


def test_a_stack_under_review_cannot_be_suspended():
    school = School()
    a, _, stack, _ = school.stacked()
    school.record.revoke(actor=school.actor, credential_id=a, reason="fraud",
                         today=date(2025, 8, 1))
    with pytest.raises(RuleViolation):
        school.record.suspend(
            actor=school.actor, credential_id=stack, reason="x", today=date(2025, 8, 2)
        )


# -- corrections ----------------------------------------------------------------------------


def test_a_correction_keeps_the_previous_values_in_its_event():
    school = School()
    school.issue("c1")
    school.record.correct(
        actor=school.actor,
        credential_id="c1",
        changes={"grade": "B", "awarded_on": "2025-02-01"},
        reason="transcription error",
        provider=school.provider,
        programme=school.first,
        today=TODAY,
    )
    event = school.record.pending_events[-1]
    assert type(event).__name__ == "CredentialCorrected"
    assert event.changes == {"grade": "B", "awarded_on": "2025-02-01"}
    assert event.previous == {"grade": "A", "awarded_on": "2025-03-01"}
    assert school.record.credential("c1").grade == "B"


@pytest.mark.parametrize("changes", [{}, {"title": "Better title"}, {"ects": 10.0}])
def test_only_award_date_grade_and_assessment_can_be_corrected(changes):
    school = School()
    school.issue("c1")
    with pytest.raises(RuleViolation):
        school.record.correct(
            actor=school.actor,
            credential_id="c1",
            changes=changes,
            reason="x",
            provider=school.provider,
            programme=school.first,
            today=TODAY,
        )
    assert school.record.credential("c1").title == "Statistics"


def test_a_corrected_award_date_must_still_satisfy_the_award_rules():
    school = School()
    school.issue("c1")
    for awarded_on in ("2024-01-01", "2026-06-02"):
        with pytest.raises(RuleViolation):
            school.record.correct(
                actor=school.actor,
                credential_id="c1",
                changes={"awarded_on": awarded_on},
                reason="x",
                provider=school.provider,
                programme=school.first,
                today=TODAY,
            )
    assert school.record.credential("c1").awarded_on == "2025-03-01"


def test_a_revoked_credential_cannot_be_corrected():
    school = School()
    school.issue("c1")
    school.record.revoke(actor=school.actor, credential_id="c1", reason="fraud",
                         today=date(2025, 4, 1))
    with pytest.raises(RuleViolation):
        school.record.correct(
            actor=school.actor,
            credential_id="c1",
            changes={"grade": "B"},
            reason="x",
            provider=school.provider,
            programme=school.first,
            today=TODAY,
        )


@pytest.mark.parametrize("actor", [QA, Actor("other", "provider", "someone-else")])
def test_only_the_issuing_provider_corrects_a_credential(actor):
    school = School()
    school.issue("c1")
    with pytest.raises(Forbidden):
        school.record.correct(
            actor=actor,
            credential_id="c1",
            changes={"grade": "B"},
            reason="x",
            provider=school.provider,
            programme=school.first,
            today=TODAY,
        )
    assert school.record.credential("c1").grade == "A"


# -- recognition ----------------------------------------------------------------------------

BODY = Actor("rb-1", "recognition_body", "body-1")


def recognise(school: School, **overrides) -> None:
    details = {
        "actor": BODY,
        "recognition_id": "r1",
        "credential_id": "c1",
        "decision": "recognised",
        "toward": "BSc Statistics",
        "ects_recognised": 5.0,
        "decided_on": "2025-05-01",
        "reference": None,
        "today": TODAY,
        **overrides,
    }
    school.record.recognise(**details)


def test_a_recognition_decision_is_recorded_against_the_credential():
    school = School()
    school.issue("c1")
    recognise(school)
    event = school.record.pending_events[-1]
    assert type(event).__name__ == "RecognitionRecorded"
    assert (event.body_id, event.decision, event.effective_on) == (
        "body-1",
        "recognised",
        "2025-05-01",
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"ects_recognised": 5.5},
        {"decided_on": "2026-06-02"},
        {"decision": "maybe"},
    ],
)
def test_a_recognition_breaking_a_rule_is_refused(overrides):
    school = School()
    school.issue("c1")
    with pytest.raises(RuleViolation):
        recognise(school, **overrides)
    assert school.record.recognitions == []


def test_a_revoked_credential_cannot_be_recognised():
    school = School()
    school.issue("c1")
    school.record.revoke(actor=school.actor, credential_id="c1", reason="fraud",
                         today=date(2025, 4, 1))
    with pytest.raises(RuleViolation):
        recognise(school)


# -- who and when, on every event -----------------------------------------------------------


def test_every_event_records_the_acting_principal_and_when_it_took_effect():
    school = School()
    provider = school.provider
    assert [(type(e).__name__, e.actor, e.effective_on) for e in provider.pending_events] == [
        ("Registered", ADMIN.principal_id, "2020-01-01"),
        ("Accredited", QA.principal_id, "2020-01-01"),
    ]
    assert [(type(e).__name__, e.actor, e.effective_on) for e in school.first.pending_events] == [
        ("Submitted", school.actor.principal_id, "2023-12-01"),
        ("Approved", QA.principal_id, "2024-01-15"),
    ]
    a, b, stack, pathway = school.stacked()
    school.record.correct(
        actor=school.actor,
        credential_id=b,
        changes={"grade": "B"},
        reason="x",
        provider=provider,
        programme=school.second,
        today=TODAY,
    )
    school.record.suspend(actor=QA, credential_id=stack, reason="inquiry", today=date(2025, 7, 1))
    school.record.revoke(actor=QA, credential_id=a, reason="fraud", today=date(2025, 8, 1))
    recognise(school, credential_id=b, ects_recognised=None)
    assert [(type(e).__name__, e.actor, e.effective_on) for e in school.record.pending_events] == [
        ("Enrolled", school.actor.principal_id, "2024-09-01"),
        ("CredentialIssued", school.actor.principal_id, "2025-03-01"),
        ("CredentialIssued", school.actor.principal_id, "2025-03-01"),
        ("CredentialStacked", school.actor.principal_id, "2025-06-01"),
        ("CredentialCorrected", school.actor.principal_id, TODAY.isoformat()),
        ("CredentialSuspended", QA.principal_id, "2025-07-01"),
        ("CredentialRevoked", QA.principal_id, "2025-08-01"),
        ("StackPutUnderReview", QA.principal_id, "2025-08-01"),
        ("RecognitionRecorded", BODY.principal_id, "2025-05-01"),
    ]
    assert [(type(e).__name__, e.actor) for e in pathway.pending_events] == [
        ("Defined", school.actor.principal_id)
    ]
