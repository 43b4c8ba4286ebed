"""The register the page tests browse: built through the API like any client would, with
providers, programmes for every filter, a pathway, and credentials in each status."""

from dataclasses import dataclass, field
from typing import Any

from tests.helpers import Api, accredited_provider, created, enrol, programme_approved_between

FILLERS = 21  # with the others, more approved programmes than one page of results holds


@dataclass
class Site:
    api: Api
    base_url: str
    providers: dict[str, str] = field(default_factory=dict)
    programmes: dict[str, str] = field(default_factory=dict)
    credentials: dict[str, str] = field(default_factory=dict)
    learner_id: str = ""
    position: int = 0

    def ob3_credentials(self) -> list[dict[str, Any]]:
        caller = self.api.as_("learner", self.learner_id)
        response = caller.get(f"/v1/learners/{self.learner_id}/exports/ob3",
                              min_position=self.position)
        assert response.status_code == 200, response.text
        body = response.json()
        return body if isinstance(body, list) else body["credentials"]

    def ob3(self, status: str) -> dict[str, Any]:
        """The signed OB 3.0 credential of the credential in this status."""
        wanted = self.credentials[status]
        return next(c for c in self.ob3_credentials() if c["id"].endswith(f"/{wanted}"))

    def pdf(self) -> bytes:
        caller = self.api.as_("learner", self.learner_id)
        response = caller.get(f"/v1/learners/{self.learner_id}/exports/pdf",
                              min_position=self.position)
        assert response.status_code == 200, response.text
        return response.content


def build_site(api: Api, base_url: str) -> Site:
    site = Site(api, base_url)
    qa = api.as_("qa_body")
    university = accredited_provider(api, "Ivane Javakhishvili Tbilisi State University")
    college = accredited_provider(api, "Kutaisi Community College", kind="vocational")
    site.providers = {"university": university, "college": college}
    created(qa.post(f"/v1/providers/{university}/accreditations", {
        "valid_from": "2031-01-01", "valid_until": "2035-12-31", "scope": "Micro-credentials "
        "in ICT and public administration", "decision_reference": "NCEQE-2030-88"}))
    programmes = {
        "data": (university, {"title": "Data Literacy for Public Servants", "isced_f": "0688",
                              "eqf_level": 5, "ects": 5.0, "language": "ka",
                              "participation_form": "online"}),
        "ml": (university, {"title": "Applied Machine Learning", "isced_f": "0613",
                            "eqf_level": 6, "ects": 6.0, "language": "en",
                            "participation_form": "blended"}),
        "solar": (college, {"title": "Solar PV Installation", "isced_f": "0713",
                            "eqf_level": 4, "ects": 4.0, "language": "ka",
                            "participation_form": "onsite"}),
    }
    for name, (provider, spec) in programmes.items():
        site.programmes[name] = programme_approved_between(api, provider, "2025-06-01",
                                                           "2028-05-31", **spec)
    site.programmes["lapsed"] = programme_approved_between(
        api, college, "2022-01-10", "2024-12-31", title="Forklift Safety", eqf_level=3,
        ects=1.0, participation_form="onsite", language="ka", isced_f="1041")
    for number in range(FILLERS):
        programme_approved_between(api, college, "2025-06-01", "2028-05-31",
                                   title=f"Welding Practice Module {number:02d}", eqf_level=4,
                                   ects=2.0, participation_form="onsite", language="ka",
                                   isced_f="0715")
    provider = api.as_("provider", university)
    created(provider.post("/v1/pathways", {
        "provider_id": university, "title": "Certificate in Public Data Practice",
        "components": [site.programmes["data"], site.programmes["ml"]], "min_components": 2}))
    site.learner_id = enrol(provider)
    for status in ("active", "suspended", "revoked"):
        issued = created(provider.post("/v1/credentials", {
            "learner_id": site.learner_id, "microcredential_id": site.programmes["data"],
            "awarded_on": "2025-09-01", "grade": "A"}))
        site.credentials[status] = issued["id"]
        site.position = issued["position"]
        if status != "active":
            action = "suspend" if status == "suspended" else "revoke"
            changed = provider.post(f"/v1/credentials/{issued['id']}/{action}",
                                    {"reason": "test"})
            assert changed.status_code == 200, changed.text
            site.position = changed.json()["position"]
    return site
