"""Examples of the request bodies, shown in the OpenAPI document (the README's walkthrough)."""

EXAMPLES = {
    "ProviderIn": {
        "name": "Georgian Technical University",
        "country": "GE",
        "kind": "higher_education",
    },
    "AccreditationIn": {
        "valid_from": "2024-01-01",
        "valid_until": "2030-12-31",
        "decision_reference": "NCEQE/2024/101",
    },
    "WithdrawalIn": {"reason": "Accreditation conditions not met", "effective_on": "2026-09-01"},
    "MicroCredentialIn": {
        "provider_id": "fbfbb1bf-3032-4da0-90d5-cb67cd504ae5",
        "title": "Applied Machine Learning",
        "learning_outcomes": ["Train and evaluate a supervised model", "Explain its limits"],
        "ects": 6,
        "eqf_level": 6,
        "assessment_type": "Project with oral defence",
        "participation_form": "blended",
        "quality_assurance": "Internal QA, NCEQE-accredited",
        "language": "ka",
        "isced_f": "0613",
    },
    "ApprovalIn": {"approved_on": "2025-02-01", "review_due": "2028-01-31"},
    "ReasonIn": {"reason": "Academic misconduct established by the disciplinary board"},
    "PathwayIn": {
        "provider_id": "fbfbb1bf-3032-4da0-90d5-cb67cd504ae5",
        "title": "Data Science Essentials",
        "components": [
            "cd7c46fc-fdf1-4533-a5c5-96cf2145f83b",
            "64e6d115-8aa1-4d7d-8679-440cad8bd8f4",
        ],
        "min_ects": 10,
    },
    "LearnerIn": {
        "given_name": "ნინო",
        "family_name": "ბერიძე",
        "birth_date": "2001-05-17",
        "national_id": "01024051234",
    },
    "CredentialIn": {
        "learner_id": "58a2c68d-b8ec-4947-9cf6-760d26d39800",
        "microcredential_id": "cd7c46fc-fdf1-4533-a5c5-96cf2145f83b",
        "awarded_on": "2025-06-30",
        "grade": "A",
    },
    "CorrectionIn": {"reason": "Grade transcribed wrongly", "grade": "B"},
    "StackIn": {
        "learner_id": "58a2c68d-b8ec-4947-9cf6-760d26d39800",
        "pathway_id": "451a0417-63ef-4283-914b-bb82800879fc",
        "component_ids": [
            "72c4aa8c-7718-4d87-baf7-6cffd384864d",
            "57d364bc-d13b-4455-8bba-8d5be745e45a",
        ],
        "awarded_on": "2025-07-01",
    },
    "RecognitionIn": {
        "credential_id": "72c4aa8c-7718-4d87-baf7-6cffd384864d",
        "decision": "recognised",
        "toward": "BSc Informatics: elective credit",
        "ects_recognised": 6,
        "reference": "ENIC-GE/2026/0146",
    },
}


def example(name: str) -> dict:
    """`json_schema_extra` of a request model: its example."""
    return {"examples": [EXAMPLES[name]]}
