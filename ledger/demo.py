"""Demo data: a reproducible national micro-credential register, seeded through the use cases."""

import random
import time
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ledger import commands, inputs
from ledger.application import Ledger
from ledger.committer import Outcome
from ledger.domain.actors import Actor
from ledger.domain.errors import LedgerError

RANDOM_SEED = 2026
LEARNERS = 300
CREDENTIALS = 1500
BASE_URL = "http://127.0.0.1:8000"
READ_MODEL_WAIT_SECONDS = 300.0

# -- people: common Georgian names in Georgian script, romanised for the Latin-script share ------

GIVEN_FEMALE = ("ნინო", "მარიამ", "ანა", "თამარ", "ნათია", "ეკატერინე", "სალომე", "ელენე",
                "მაია", "ქეთევან", "ნანა", "თეონა", "ლიკა", "სოფიო", "ხატია", "ნია", "ბარბარე",
                "ლელა")
GIVEN_MALE = ("გიორგი", "დავით", "ლევან", "ალექსანდრე", "ნიკოლოზ", "ირაკლი", "ლუკა", "გიგა",
              "ზურაბ", "დიმიტრი", "ვახტანგ", "ლაშა", "ბექა", "თორნიკე", "საბა", "მიხეილ", "ოთარ",
              "გოჩა", "ნიკა", "თემურ")
FAMILY = ("ბერიძე", "მაისურაძე", "კაპანაძე", "გელაშვილი", "ლომიძე", "ჯაფარიძე", "ნოზაძე",
          "ხუციშვილი", "გიორგაძე", "ტაბატაძე", "ლობჟანიძე", "ქავთარაძე", "ბოლქვაძე",
          "მჭედლიშვილი", "კვარაცხელია", "ჩიქოვანი", "ცერცვაძე", "წიკლაური", "ხარაიშვილი",
          "აბაშიძე", "ჟღენტი", "ღლონტი", "ჭავჭავაძე", "კიკნაძე", "დოლიძე", "სურმანიძე",
          "შენგელია", "ბაქრაძე", "ჩხეიძე")
# The national romanisation system (2002), without the apostrophes, as in passports.
ROMANISATION = str.maketrans({
    "ა": "a", "ბ": "b", "გ": "g", "დ": "d", "ე": "e", "ვ": "v", "ზ": "z", "თ": "t", "ი": "i",
    "კ": "k", "ლ": "l", "მ": "m", "ნ": "n", "ო": "o", "პ": "p", "ჟ": "zh", "რ": "r", "ს": "s",
    "ტ": "t", "უ": "u", "ფ": "p", "ქ": "k", "ღ": "gh", "ყ": "q", "შ": "sh", "ჩ": "ch",  # noqa: RUF001
    "ც": "ts", "ძ": "dz", "წ": "ts", "ჭ": "ch", "ხ": "kh", "ჯ": "j", "ჰ": "h",
})
INTERNATIONAL = (("Arman", "Petrosyan"), ("Anahit", "Grigoryan"), ("Elvin", "Mammadov"),
                 ("Leyla", "Əliyeva"), ("Aylin", "Yılmaz"), ("Mehmet", "Demir"),  # noqa: RUF001
                 ("Oksana", "Kovalenko"), ("Jonas", "Müller"), ("Chloé", "Lefèvre"),
                 ("Tomás", "García"), ("Ingrid", "Solberg"), ("Priya", "Raman"))
# Shares of Georgian-script, romanised Georgian and international names.
SCRIPT_WEIGHTS = {"georgian": 65, "romanised": 25, "international": 10}
EMAIL_SHARE = 0.45

# -- organisations ------------------------------------------------------------------------------

STAFF = {
    "qa_body": "National Center for Educational Quality Enhancement (NCEQE)",
    "admin": "Ledger operations (administrator)",
    "auditor": "State Audit Office of Georgia",
}

# accredited: months before today that the accreditation started, for six years.
ORGANISATIONS: dict[str, dict[str, Any]] = {
    "tsu": {"name": "Ivane Javakhishvili Tbilisi State University", "kind": "higher_education",
            "accredited": 46, "decision": "AC-114",
            "scope": "Institutional authorisation: higher education, EQF 6-8; micro-credentials "
                     "in ICT, statistics and data science"},
    "kutaisi": {"name": "Kutaisi Community College", "kind": "vocational", "accredited": 34,
                "decision": "VET-207",
                "scope": "Vocational education and training, EQF 3-5; energy and hospitality"},
    "bog": {"name": "Bank of Georgia Academy", "kind": "employer", "accredited": 28,
            "decision": "EMP-031",
            "scope": "Employer-led training: banking, compliance and customer service"},
    "enic": {"name": "ENIC-NARIC Georgia Recognition Office", "kind": "recognition_body"},
}

# -- programmes (EU Annex I elements) --------------------------------------------------------------

TSU_QA = ("Internal QA of the Faculty of Exact and Natural Sciences under TSU's authorised QA "
          "system; external review by NCEQE")
COLLEGE_QA = "The college's internal QA procedures, within its NCEQE vocational authorisation"
BANK_QA = ("The academy's training QA policy (annual external review), within its NCEQE "
           "accreditation")

# approved: months before today that the QA body approved the programme (review in 3 years).
PROGRAMMES: dict[str, dict[str, Any]] = {
    "python": {"provider": "tsu", "approved": 30, "spec": {
        "title": "Python Programming for Data Analysis",
        "learning_outcomes": [
            "Write readable, tested Python programs that load, clean and reshape tabular data "
            "with pandas.",
            "Automate a reproducible analysis workflow with notebooks, version control and "
            "virtual environments.",
            "Produce clear charts and a short written report that answer a stated analytical "
            "question.",
        ],
        "ects": 6.0, "eqf_level": 6, "nqf_level": 6,
        "assessment_type": "Graded project portfolio and a supervised practical examination",
        "participation_form": "blended", "quality_assurance": TSU_QA, "workload_hours": 150.0,
        "prerequisites": "Secondary-school mathematics; no prior programming experience",
        "supervision": "Supervised on-site practical examination with identity check",
        "stackable": True, "language": "en", "isced_f": "0613"}},
    "statistics": {"provider": "tsu", "approved": 28, "spec": {
        "title": "Applied Statistics with R",
        "learning_outcomes": [
            "Choose and apply appropriate descriptive and inferential methods to real data sets.",
            "Fit, diagnose and interpret linear and logistic regression models in R.",
            "Communicate statistical findings and their uncertainty to non-specialist audiences.",
        ],
        "ects": 5.0, "eqf_level": 6, "nqf_level": 6,
        "assessment_type": "Written examination (60%) and a data analysis assignment (40%)",
        "participation_form": "onsite", "quality_assurance": TSU_QA, "workload_hours": 125.0,
        "prerequisites": "Introductory calculus", "supervision": "Invigilated written examination",
        "stackable": True, "language": "ka", "isced_f": "0542"}},
    "ml": {"provider": "tsu", "approved": 24, "spec": {
        "title": "Machine Learning Foundations",
        "learning_outcomes": [
            "Explain the bias-variance trade-off and select suitable supervised learning methods "
            "for a given problem.",
            "Train, tune and evaluate classification and regression models with cross-validation "
            "and appropriate metrics.",
            "Assess a model for data leakage, fairness and privacy risks and document its "
            "limitations.",
        ],
        "ects": 6.0, "eqf_level": 7, "nqf_level": 7,
        "assessment_type": "Individual modelling project with a written report and an oral "
                           "defence",
        "participation_form": "online", "quality_assurance": TSU_QA, "workload_hours": 150.0,
        "prerequisites": "Python Programming for Data Analysis and Applied Statistics with R, "
                         "or equivalent",
        "supervision": "Online proctored oral defence", "stackable": True, "language": "en",
        "isced_f": "0688"}},
    "solar": {"provider": "kutaisi", "approved": 26, "spec": {
        "title": "მზის ფოტოვოლტური სისტემების მონტაჟი (Solar PV Installation)",
        "learning_outcomes": [
            "Install and connect rooftop photovoltaic modules, inverters and mounting systems "
            "following the manufacturer's instructions.",
            "Apply electrical safety rules and working-at-height procedures on an installation "
            "site.",
            "Test, commission and document a small grid-connected photovoltaic system.",
        ],
        "ects": 4.0, "eqf_level": 4, "nqf_level": 4,
        "assessment_type": "Practical demonstration on a training rig observed by two "
                           "assessors, and an oral test",
        "participation_form": "onsite", "quality_assurance": COLLEGE_QA, "workload_hours": 100.0,
        "prerequisites": "Basic electrical installation skills (EQF 3) or equivalent work "
                         "experience",
        "supervision": "On-site assessment by two certified assessors", "stackable": False,
        "language": "ka", "isced_f": "0713"}},
    "hospitality": {"provider": "kutaisi", "approved": 20, "spec": {
        "title": "Hotel Front Office and Guest Relations",
        "learning_outcomes": [
            "Handle reservations, check-in and check-out with a property management system.",
            "Respond to guest requests and complaints courteously in Georgian and English.",
            "Apply hygiene, safety and data protection rules in front-office work.",
        ],
        "ects": 3.0, "eqf_level": 4, "nqf_level": 4,
        "assessment_type": "Role-play simulation assessed against a checklist, and a short "
                           "written test",
        "participation_form": "blended", "quality_assurance": COLLEGE_QA, "workload_hours": 75.0,
        "prerequisites": "Basic English (CEFR A2)", "supervision": "Assessed on site",
        "stackable": False, "language": "ka", "isced_f": "1013"}},
    "aml": {"provider": "bog", "approved": 22, "spec": {
        "title": "Anti-Money Laundering and Compliance Fundamentals",
        "learning_outcomes": [
            "Explain Georgian and EU anti-money-laundering obligations, including customer due "
            "diligence and reporting to the Financial Monitoring Service.",
            "Identify red flags of money laundering and terrorist financing in customer "
            "transactions.",
            "Document and escalate a suspicious activity case according to internal procedures.",
        ],
        "ects": 3.0, "eqf_level": 6, "nqf_level": 6,
        "assessment_type": "Online case-based examination (pass mark 70%)",
        "participation_form": "online", "quality_assurance": BANK_QA, "workload_hours": 75.0,
        "prerequisites": "Employment in a customer-facing or operations role",
        "supervision": "Online proctored examination", "stackable": True, "language": "en",
        "isced_f": "0412"}},
    "digital": {"provider": "bog", "approved": 16, "spec": {
        "title": "Digital Banking Customer Experience",
        "learning_outcomes": [
            "Guide customers through mobile and internet banking services, including secure "
            "authentication.",
            "Recognise social-engineering and fraud attempts and advise customers on safe "
            "practices.",
        ],
        "ects": 2.0, "eqf_level": 5, "nqf_level": 5,
        "assessment_type": "Simulated customer interactions and a multiple-choice test",
        "participation_form": "blended", "quality_assurance": BANK_QA, "workload_hours": 50.0,
        "prerequisites": "None", "supervision": "Assessed in the branch by a certified coach",
        "stackable": True, "language": "ka", "isced_f": "0414"}},
    "credit": {"provider": "bog", "approved": 14, "spec": {
        "title": "Credit Risk Assessment for Small and Medium Enterprises",
        "learning_outcomes": [
            "Analyse an SME's financial statements and cash-flow projections to assess its "
            "repayment capacity.",
            "Apply credit scoring and collateral valuation rules to a loan application.",
            "Prepare a credit memorandum with a justified recommendation and risk mitigants.",
        ],
        "ects": 4.0, "eqf_level": 6, "nqf_level": 6,
        "assessment_type": "Credit memorandum on an anonymised real case, defended before a "
                           "panel",
        "participation_form": "blended", "quality_assurance": BANK_QA, "workload_hours": 100.0,
        "prerequisites": "Basic accounting", "supervision": "Panel defence on site",
        "stackable": True, "language": "en", "isced_f": "0412"}},
}

REJECTED = {"provider": "bog", "reason": (
    "The learning outcomes are not assessable as stated, the assessment does not verify them "
    "and no quality-assurance arrangements are described (EU Annex I elements incomplete)."),
    "spec": {
        "title": "Cryptocurrency Trading for Beginners",
        "learning_outcomes": ["Understand cryptocurrencies.", "Trade successfully."],
        "ects": 2.0, "eqf_level": 5, "assessment_type": "Attendance",
        "participation_form": "online", "quality_assurance": "To be defined",
        "workload_hours": 20.0, "language": "ka", "isced_f": "0412"}}

# share: the part of the eligible learners whom the provider awards the stack. Components are
# listed in the order learners take them, which is also the order of their programmes' approvals.
PATHWAYS: dict[str, dict[str, Any]] = {
    "data-science": {"provider": "tsu", "title": "Data Science Essentials",
                     "components": ["python", "statistics", "ml"], "min_ects": None,
                     "min_components": None, "share": 0.4},
    "retail-banking": {"provider": "bog", "title": "Retail Banking Professional Certificate",
                       "components": ["aml", "digital", "credit"], "min_ects": None,
                       "min_components": 2, "share": 0.15},
}

# -- grades, status changes and recognitions ---------------------------------------------------

TSU_GRADES = (("A", 91, 100), ("B", 81, 90), ("C", 71, 80), ("D", 61, 70), ("E", 51, 60))
TSU_GRADE_WEIGHTS = (25, 35, 25, 10, 5)
OTHER_GRADES = {"kutaisi": (("Pass", 9), ("Pass with merit", 3)),
                "bog": (("Pass", 7), ("Pass with distinction", 2))}

REVOCATION_REASONS = (
    "Issued in error: the learner had not completed the final assessment",
    "Academic misconduct (plagiarism in the final project) established by the assessment "
    "board",
    "Assessment irregularity confirmed on appeal",
)
QA_REVOCATION = ("NCEQE monitoring found the assessment was not conducted as approved; award "
                 "annulled")
SUSPENSION = "Under investigation: an assessment irregularity was reported"
SUSPENSION_CLEARED = "Investigation closed: no irregularity found"
GRADE_CORRECTED = "Grade re-marked after the learner's appeal"
SUSPENSION_UPHELD = "Investigation concluded: assessment irregularity confirmed"
COMPONENT_REVOKED = "Academic misconduct in the component's final assessment, confirmed on appeal"
STACK_REVOKED = "A required component was revoked; the pathway is no longer satisfied"
STACK_REINSTATED = "Reviewed: the remaining components still satisfy the pathway (2 of 3)"

TOWARD = {
    "tsu": ("BSc Computer Science: credit transfer (elective modules)",
            "MSc Data Science: exemption from the introductory module",
            "Georgian Technical University, BSc Informatics: elective credit"),
    "kutaisi": ("Vocational qualification: Electrical Installer (level 4)",
                "Vocational qualification: Hotel Services Specialist (level 4)"),
    "bog": ("MBA (Banking and Finance): elective credit",
            "Professional certificate in banking compliance: partial exemption"),
}
DECISION_WEIGHTS = {"recognised": 6, "partially_recognised": 3, "not_recognised": 1}

PLAN = {"standalone_revocations": 8, "qa_revocations": 2, "suspensions": 16,
        "suspensions_cleared": 10, "suspensions_upheld": 2, "recognitions": 45,
        "corrections": 12,
        "cascades": {"data-science": (4, "revoke", 2), "retail-banking": (4, "reinstate", 3)}}


class StoreNotEmpty(LedgerError):
    title = "Store not empty"


# -- small helpers ------------------------------------------------------------------------------

def months_before(day: date, months: int, dom: int = 1) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, dom)


def years_after(day: date, years: int) -> date:
    return day.replace(year=day.year + years)


def random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def romanise(name: str) -> str:
    return name.translate(ROMANISATION).capitalize()


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def make_people(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """The learners' personal data; seed() draws it first from random.Random(RANDOM_SEED)."""
    people, national_ids = [], set()
    scripts, weights = list(SCRIPT_WEIGHTS), list(SCRIPT_WEIGHTS.values())
    while len(people) < count:
        script = rng.choices(scripts, weights)[0]
        if script == "international":
            given, family = rng.choice(INTERNATIONAL)
        else:
            given = rng.choice(GIVEN_FEMALE if rng.random() < 0.5 else GIVEN_MALE)
            family = rng.choice(FAMILY)
        latin = (romanise(given), romanise(family)) if script == "georgian" else None
        if script == "romanised":
            given, family = romanise(given), romanise(family)
        national_id = f"01{rng.randrange(10**9):09d}"
        if national_id in national_ids:
            continue
        national_ids.add(national_id)
        email = None
        if rng.random() < EMAIL_SHARE:
            local = ".".join(ascii_fold(part) for part in latin or (given, family))
            email = f"{local}{rng.randint(1, 99)}@example.com"
        people.append({"given_name": given, "family_name": family,
                       "birth_date": random_day(rng, date(1975, 1, 1), date(2006, 12, 31))
                       .isoformat(),
                       "national_id": national_id, "email": email})
    return people


def is_georgian_script(text: str) -> bool:
    return any("\u10a0" <= char <= "\u10ff" for char in text)


# -- what the seeder keeps track of -------------------------------------------------------------

@dataclass
class Award:
    learner: int
    programme: str
    awarded_on: date
    id: str = ""
    status: str = "active"
    stacks: list["Stack"] = field(default_factory=list)

    @property
    def provider(self) -> str:
        return PROGRAMMES[self.programme]["provider"]


@dataclass
class Stack:
    learner: int
    pathway: str
    components: list[Award]
    awarded_on: date
    id: str = ""
    status: str = "active"

    @property
    def provider(self) -> str:
        return PATHWAYS[self.pathway]["provider"]


def order_along_pathways(awards: Sequence[Award]) -> None:
    """A learner's pathway components are awarded in the pathway's order (prerequisites first).

    Each component's earliest date is no later than the next one's, so the sorted dates still
    fall inside every programme's window."""
    for pathway in PATHWAYS.values():
        held: dict[int, list[Award]] = {}
        for award in awards:
            if award.programme in pathway["components"]:
                held.setdefault(award.learner, []).append(award)
        for components in held.values():
            components.sort(key=lambda a: pathway["components"].index(a.programme))
            for award, day in zip(components, sorted(a.awarded_on for a in components),
                                  strict=True):
                award.awarded_on = day


@dataclass
class Principal:
    key: str
    role: str
    name: str
    scope: str | None
    actor: Actor
    token: str


Change = tuple[Actor, Award | Stack, str, str]  # (who, what, action, reason)


class Seeder:
    def __init__(self, ledger: Ledger, progress: Progress, rng: random.Random) -> None:
        self.ledger = ledger
        self.progress = progress
        self.rng = rng
        self.today = ledger.calendar.today()
        self.position = 0
        self.principals: dict[str, Principal] = {}
        self.ids: dict[str, str] = {}  # organisation, programme and pathway keys -> ids
        self.learner_ids: list[str] = []
        self.people: list[dict[str, Any]] = []
        self.awards: list[Award] = []
        self.stacks: list[Stack] = []
        self.counts: Counter[str] = Counter()
        self.sample: Stack | None = None

    def run(self) -> None:
        self.people = make_people(self.rng, LEARNERS)
        self.create_staff()
        self.register_organisations()
        self.approve_programmes()
        self.define_pathways()
        self.plan_awards()
        self.enrol_learners()
        self.issue_credentials()
        self.stack_credentials()
        self.change_statuses()
        self.record_recognitions()
        self.correct_grades()
        self.create_learner_principal()
        self.wait_for_read_models()

    # -- plumbing --------------------------------------------------------------------------

    def submit_all(self, label: str, runs: Sequence[commands.Run]) -> list[Outcome]:
        """Queue every command at once (the group committer batches them), then wait."""
        task = self.progress.add_task(label, total=len(runs))
        futures = [self.ledger.submit(run) for run in runs]
        outcomes = []
        for future in futures:
            outcome = future.result()
            self.position = max(self.position, outcome.body.get("position", 0))
            outcomes.append(outcome)
            self.progress.advance(task)
        return outcomes

    def principal(self, key: str, role: str, name: str, scope: str | None = None) -> Actor:
        actor, token = self.ledger.create_principal(role, scope, name)
        self.principals[key] = Principal(key, role, name, scope, actor, token)
        return actor

    def actor(self, key: str) -> Actor:
        return self.principals[key].actor

    # -- organisations, programmes, pathways -----------------------------------------------

    def create_staff(self) -> None:
        for role, name in STAFF.items():
            self.principal(role, role, name)

    def register_organisations(self) -> None:
        runs = [commands.register_provider(
            self.actor("qa_body" if org["kind"] != "recognition_body" else "admin"),
            inputs.RegisterProvider(org["name"], "GE", org["kind"]))
            for org in ORGANISATIONS.values()]
        outcomes = self.submit_all("Registering organisations", runs)
        for key, outcome in zip(ORGANISATIONS, outcomes, strict=True):
            self.ids[key] = outcome.body["id"]
            org = ORGANISATIONS[key]
            role = "recognition_body" if org["kind"] == "recognition_body" else "provider"
            self.principal(key, role, f"{org['name']} (registrar)", self.ids[key])
        accredited = {k: org for k, org in ORGANISATIONS.items() if "accredited" in org}
        runs = [commands.accredit_provider(self.actor("qa_body"), self.ids[key],
                                           inputs.Accreditation(**self.accreditation(org)))
                for key, org in accredited.items()]
        self.submit_all("Accrediting providers", runs)
        self.counts.update(organisations=len(ORGANISATIONS), accredited_providers=len(runs))

    def accreditation(self, org: dict[str, Any]) -> dict[str, Any]:
        valid_from = months_before(self.today, org["accredited"])
        return {"valid_from": valid_from.isoformat(),
                "valid_until": years_after(valid_from, 6).isoformat(), "scope": org["scope"],
                "decision_reference": f"NCEQE/{valid_from.year}/{org['decision']}"}

    def accredited_from(self, provider: str) -> date:
        return months_before(self.today, ORGANISATIONS[provider]["accredited"])

    def approved_on(self, programme: str) -> date:
        return months_before(self.today, PROGRAMMES[programme]["approved"], dom=15)

    def approve_programmes(self) -> None:
        specs = [(p["provider"], p["spec"]) for p in PROGRAMMES.values()]
        specs.append((REJECTED["provider"], REJECTED["spec"]))
        runs = [commands.submit_programme(self.actor(provider), self.ids[provider], dict(spec))
                for provider, spec in specs]
        outcomes = self.submit_all("Submitting programmes", runs)
        keys = [*PROGRAMMES, "rejected"]
        self.ids.update((key, o.body["id"]) for key, o in zip(keys, outcomes, strict=True))
        qa = self.actor("qa_body")
        runs = [commands.decide_programme(qa, self.ids[key], inputs.ProgrammeDecision(
            "approve", approved_on=self.approved_on(key).isoformat(),
            review_due=(years_after(self.approved_on(key), 3) - timedelta(days=1)).isoformat(),
        )) for key in PROGRAMMES]
        runs.append(commands.decide_programme(qa, self.ids["rejected"], inputs.ProgrammeDecision(
            "reject", reason=REJECTED["reason"])))
        self.submit_all("Reviewing programmes", runs)
        self.counts.update(programmes_approved=len(PROGRAMMES), programmes_rejected=1)

    def define_pathways(self) -> None:
        runs = [commands.define_pathway(self.actor(p["provider"]), inputs.DefinePathway(**{
            "provider_id": self.ids[p["provider"]], "title": p["title"],
            "components": [self.ids[c] for c in p["components"]],
            "min_ects": p["min_ects"], "min_components": p["min_components"],
        })) for p in PATHWAYS.values()]
        outcomes = self.submit_all("Defining pathways", runs)
        self.ids.update((key, o.body["id"]) for key, o in zip(PATHWAYS, outcomes, strict=True))
        self.counts["pathways"] = len(PATHWAYS)

    # -- learners and credentials ----------------------------------------------------------

    def plan_awards(self) -> None:
        pairs = [(learner, programme) for learner in range(LEARNERS) for programme in PROGRAMMES]
        for learner, programme in sorted(self.rng.sample(pairs, CREDENTIALS)):
            first = max(self.approved_on(programme),
                        self.accredited_from(PROGRAMMES[programme]["provider"]))
            awarded_on = random_day(self.rng, first + timedelta(days=45),
                                    self.today - timedelta(days=3))
            self.awards.append(Award(learner, programme, awarded_on))
        order_along_pathways(self.awards)

    def enrol_learners(self) -> None:
        home: dict[int, str] = {}
        for award in self.awards:
            home.setdefault(award.learner, award.provider)
        runs = [commands.enrol_learner(self.actor(home.get(index, "admin")),
                                       inputs.PersonalDetails(**person))
                for index, person in enumerate(self.people)]
        outcomes = self.submit_all("Enrolling learners", runs)
        self.learner_ids = [o.body["id"] for o in outcomes]
        self.counts["learners"] = len(outcomes)

    def grade(self, provider: str) -> str:
        if provider == "tsu":
            letter, low, high = self.rng.choices(TSU_GRADES, TSU_GRADE_WEIGHTS)[0]
            return f"{letter} ({self.rng.randint(low, high)}/100)"
        grades, weights = zip(*OTHER_GRADES[provider], strict=True)
        return self.rng.choices(grades, weights)[0]

    def issue_credentials(self) -> None:
        runs = [commands.issue_credential(self.actor(award.provider), inputs.IssueCredential(
            learner_id=self.learner_ids[award.learner],
            microcredential_id=self.ids[award.programme],
            awarded_on=award.awarded_on.isoformat(), grade=self.grade(award.provider),
            assessment=PROGRAMMES[award.programme]["spec"]["assessment_type"],
        )) for award in self.awards]
        outcomes = self.submit_all("Issuing credentials", runs)
        for award, outcome in zip(self.awards, outcomes, strict=True):
            award.id = outcome.body["id"]
        self.counts["credentials"] = len(outcomes)

    def plan_stacks(self) -> list[Stack]:
        held: dict[int, dict[str, Award]] = {}
        for award in self.awards:
            held.setdefault(award.learner, {})[award.programme] = award
        stacks = []
        for learner in range(LEARNERS):
            for key, pathway in PATHWAYS.items():
                components = [held.get(learner, {}).get(p) for p in pathway["components"]]
                components = [c for c in components if c is not None]
                needed = pathway["min_components"] or len(pathway["components"])
                if len(components) >= needed and self.rng.random() < pathway["share"]:
                    last = max(c.awarded_on for c in components)
                    awarded_on = min(last + timedelta(days=self.rng.randint(1, 30)),
                                     self.today - timedelta(days=1))
                    stacks.append(Stack(learner, key, components, awarded_on))
        return stacks

    def stack_credentials(self) -> None:
        self.stacks = self.plan_stacks()
        runs = [commands.stack_credentials(self.actor(stack.provider), inputs.StackCredentials(
            learner_id=self.learner_ids[stack.learner], pathway_id=self.ids[stack.pathway],
            component_ids=[c.id for c in stack.components],
            awarded_on=stack.awarded_on.isoformat(),
        )) for stack in self.stacks]
        outcomes = self.submit_all("Stacking pathways", runs)
        for stack, outcome in zip(self.stacks, outcomes, strict=True):
            stack.id = outcome.body["id"]
            for component in stack.components:
                component.stacks.append(stack)
        self.counts["stacks"] = len(outcomes)
        self.sample = next(s for s in self.stacks if s.pathway == "data-science"
                           and is_georgian_script(self.people[s.learner]["given_name"]))

    # -- suspensions, revocations and the cascade ------------------------------------------

    def apply_changes(self, label: str, changes: Sequence[Change]) -> None:
        runs = [commands.change_status(actor, item.id, action, reason)
                for actor, item, action, reason in changes]
        outcomes = self.submit_all(label, runs)
        for (_, item, action, _), outcome in zip(changes, outcomes, strict=True):
            item.status = outcome.body["status"]
            self.counts[{"suspend": "suspensions", "reinstate": "reinstatements",
                         "revoke": "revocations"}[action]] += 1
            for stack in getattr(item, "stacks", []):
                if action == "revoke" and stack.status in ("active", "suspended"):
                    stack.status = "under_review"

    def change_statuses(self) -> None:
        """Suspend and revoke standalone credentials and stack components, then follow up."""
        standalone = [a for a in self.awards if not a.stacks]
        self.rng.shuffle(standalone)
        revoked = standalone[:PLAN["standalone_revocations"] + PLAN["qa_revocations"]]
        suspended = standalone[len(revoked):len(revoked) + PLAN["suspensions"]]
        component_revocations, stack_decisions = self.cascades()
        self.apply_changes("Suspending and revoking", [
            *self.revocations(revoked), *component_revocations,
            *[(self.actor(a.provider), a, "suspend", SUSPENSION) for a in suspended]])
        cleared, upheld = PLAN["suspensions_cleared"], PLAN["suspensions_upheld"]
        self.apply_changes("Reviewing suspensions and stacks", [
            *stack_decisions,
            *[(self.actor(a.provider), a, "reinstate", SUSPENSION_CLEARED)
              for a in suspended[:cleared]],
            *[(self.actor(a.provider), a, "revoke", SUSPENSION_UPHELD)
              for a in suspended[cleared:cleared + upheld]]])

    def revocations(self, awards: Sequence[Award]) -> list[Change]:
        """The first few by the QA body after a monitoring visit, the rest by their issuers."""
        by_qa = PLAN["qa_revocations"]
        return [(self.actor("qa_body"), a, "revoke", QA_REVOCATION) for a in awards[:by_qa]] + [
            (self.actor(a.provider), a, "revoke", self.rng.choice(REVOCATION_REASONS))
            for a in awards[by_qa:]]

    def cascades(self) -> tuple[list[Change], list[Change]]:
        """Revoke a component of some full stacks (the stack goes under review), and how the
        issuer then decides on some of those stacks."""
        revocations: list[Change] = []
        decisions: list[Change] = []
        for pathway, (count, action, how_many) in PLAN["cascades"].items():
            full = [s for s in self.stacks if s.pathway == pathway and s is not self.sample
                    and len(s.components) == len(PATHWAYS[pathway]["components"])]
            chosen = self.rng.sample(full, min(count, len(full)))
            revocations += [(self.actor(s.provider), self.rng.choice(s.components), "revoke",
                             COMPONENT_REVOKED) for s in chosen]
            reason = STACK_REVOKED if action == "revoke" else STACK_REINSTATED
            decisions += [(self.actor(s.provider), s, action, reason) for s in chosen[:how_many]]
        return revocations, decisions

    # -- recognitions ----------------------------------------------------------------------

    def recognition(self, award: Award, number: int) -> dict[str, Any]:
        ects = PROGRAMMES[award.programme]["spec"]["ects"]
        decision = self.rng.choices(list(DECISION_WEIGHTS), list(DECISION_WEIGHTS.values()))[0]
        recognised = {"recognised": ects, "partially_recognised": ects // 2 or 1.0,
                      "not_recognised": None}[decision]
        decided_on = min(award.awarded_on + timedelta(days=self.rng.randint(20, 240)),
                         self.today)
        return {"credential_id": award.id, "decision": decision,
                "toward": self.rng.choice(TOWARD[award.provider]),
                "ects_recognised": recognised, "decided_on": decided_on.isoformat(),
                "reference": f"ENIC-GE/{decided_on.year}/{number:04d}"}

    def record_recognitions(self) -> None:
        untouched = [a for a in self.awards if a.status == "active" and not a.stacks]
        chosen = self.rng.sample(untouched, PLAN["recognitions"])
        chosen.append(self.sample.components[0])
        body = self.actor("enic")
        runs = [commands.record_recognition(body, inputs.RecordRecognition(
                    **self.recognition(award, number)))
                for number, award in enumerate(chosen, start=101)]
        self.submit_all("Recording recognitions", runs)
        self.counts["recognitions"] = len(runs)

    def correct_grades(self) -> None:
        """Issuers correct the grade of a few active credentials after an appeal."""
        active = [a for a in self.awards if a.status == "active" and not a.stacks]
        chosen = self.rng.sample(active, PLAN["corrections"])
        runs = [commands.correct_credential(self.actor(a.provider), a.id, inputs.Correction(
                    GRADE_CORRECTED, grade=self.grade(a.provider)))
                for a in chosen]
        self.submit_all("Correcting grades", runs)
        self.counts["corrections"] = len(runs)

    def create_learner_principal(self) -> None:
        person = self.people[self.sample.learner]
        self.principal("learner", "learner", f"{person['given_name']} {person['family_name']}",
                       self.learner_ids[self.sample.learner])

    def wait_for_read_models(self) -> None:
        runner = self.ledger.runner
        if runner is None:  # projectors run elsewhere (Kafka): nothing to wait for here
            return
        task = self.progress.add_task("Projecting read models", total=self.position)
        deadline = time.monotonic() + READ_MODEL_WAIT_SECONDS
        while not runner.wait_for(self.position, 0.2):
            self.progress.update(task, completed=runner.position)
            if time.monotonic() > deadline:
                raise TimeoutError(f"read models did not reach position {self.position}")
        self.progress.update(task, completed=self.position)

    # -- the result ------------------------------------------------------------------------

    def summary(self, seconds: float) -> dict[str, Any]:
        credentials = Counter(a.status for a in self.awards)
        stacks = Counter(s.status for s in self.stacks)
        revoked = next(a for a in self.awards if a.status == "revoked")
        return {
            "counts": {**self.counts, "credentials_by_status": dict(credentials),
                       "stacks_by_status": dict(stacks), "events": self.position},
            "tokens": {key: p.token for key, p in self.principals.items()},
            "principals": [{"key": p.key, "role": p.role, "name": p.name, "scope": p.scope,
                            "principal_id": p.actor.principal_id, "token": p.token}
                           for p in self.principals.values()],
            "ids": {**self.ids, "sample_learner": self.learner_ids[self.sample.learner],
                    "sample_stack": self.sample.id, "revoked_credential": revoked.id},
            "position": self.position,
            "seconds": round(seconds, 2),
        }


# -- entry point and output ------------------------------------------------------------------

def seed(ledger: Ledger, print_tokens: bool = False, *, base_url: str = BASE_URL) -> dict:
    """Seed the demo register into an empty ledger; returns counts, ids and tokens by role.

    `base_url` is only used in the printed hints (where `ledger serve` will listen)."""
    events = ledger.app.recorder.max_notification_id() or 0
    if events:
        raise StoreNotEmpty(f"the store already holds {events} events; the demo seeds only an "
                            "empty ledger (use a new --data-dir or an empty database)")
    started = time.perf_counter()
    progress = Progress(TextColumn("{task.description:<34}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=Console(stderr=True))
    with progress:
        seeder = Seeder(ledger, progress, random.Random(RANDOM_SEED))
        seeder.run()
    summary = seeder.summary(time.perf_counter() - started)
    if print_tokens:
        print_summary(summary, base_url)
    return summary


def by_status(counts: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {status.replace('_', ' ')}" for status, n in counts.items())


def print_summary(summary: dict[str, Any], base_url: str = BASE_URL) -> None:
    console = Console(highlight=False, markup=False)
    if console.width < 170:  # keep tokens and ids on one line each, even when piped
        console = Console(highlight=False, markup=False, width=170)
    c = summary["counts"]
    console.print(
        f"Seeded in {summary['seconds']:.1f} s: {c['organisations']} organisations "
        f"({c['accredited_providers']} accredited), {c['programmes_approved']} approved "
        f"programmes (+{c['programmes_rejected']} rejected), {c['pathways']} pathways, "
        f"{c['learners']} learners, {c['credentials']:,} credentials, {c['stacks']} stacks, "
        f"{c['recognitions']} recognitions, {c['corrections']} grade corrections; "
        "credentials now "
        f"{by_status(c['credentials_by_status'])}; stacks {by_status(c['stacks_by_status'])}; "
        f"{c['events']:,} events.")
    table = Table(title="Demo principals and their bearer tokens")
    for column in ("role", "who", "scope id", "token"):
        table.add_column(column, no_wrap=column != "who")
    for p in summary["principals"]:
        table.add_row(p["role"], p["name"], p["scope"] or "-", p["token"])
    console.print(table)
    learner, token = summary["ids"]["sample_learner"], summary["tokens"]["learner"]
    console.print(
        "Try it: start the API on this store (`ledger serve`, same --data-dir or DATABASE_URL), "
        "then\n"
        f'  curl -H "Authorization: Bearer {token}" {base_url}/v1/learners/{learner}/transcript\n'
        f"  curl {base_url}/v1/register/microcredentials\n"
        f"  curl {base_url}/v1/verify/{summary['ids']['revoked_credential']}\n"
        f"or sign in on the pages as any of them (development only): {base_url}/signin/dev",
        soft_wrap=True)
