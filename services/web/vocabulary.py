"""The pages' fixed vocabulary (statuses, forms of participation, ISCED-F broad fields,
languages, decisions, kinds of provider), translated once per language when the app starts
rather than on every use in a template. `N_` marks the words for pybabel."""


def N_(message: str) -> str:  # noqa: N802 (gettext's conventional marker)
    return message


STATUS = {
    "approved": N_("Approved"),
    "review_due": N_("Review due"),
    "withdrawn": N_("Withdrawn"),
    "submitted": N_("Submitted"),
    "rejected": N_("Rejected"),
    "provider_not_accredited": N_("Provider not accredited"),
    "not_yet_approved": N_("Not yet in force"),
    "accredited": N_("Accredited"),
    "lapsed": N_("Accreditation lapsed"),
    "registered": N_("Not accredited"),
    "active": N_("Active"),
    "suspended": N_("Suspended"),
    "revoked": N_("Revoked"),
    "under_review": N_("Under review"),
    "expired": N_("Expired"),
}

FORMS = {"online": N_("Online"), "onsite": N_("On site"), "blended": N_("Blended")}

FIELDS = {
    "00": N_("Generic programmes and qualifications"),
    "01": N_("Education"),
    "02": N_("Arts and humanities"),
    "03": N_("Social sciences, journalism and information"),
    "04": N_("Business, administration and law"),
    "05": N_("Natural sciences, mathematics and statistics"),
    "06": N_("Information and communication technologies"),
    "07": N_("Engineering, manufacturing and construction"),
    "08": N_("Agriculture, forestry, fisheries and veterinary"),
    "09": N_("Health and welfare"),
    "10": N_("Services"),
}

LANGUAGES = {
    "ka": N_("Georgian"),
    "en": N_("English"),
    "ru": N_("Russian"),
    "de": N_("German"),
    "fr": N_("French"),
    "hy": N_("Armenian"),
    "az": N_("Azerbaijani"),
    "tr": N_("Turkish"),
    "uk": N_("Ukrainian"),
}

EVENTS = {
    "Registered": N_("Registered"),
    "Accredited": N_("Accredited"),
    "AccreditationRenewed": N_("Accreditation renewed"),
    "AccreditationWithdrawn": N_("Accreditation withdrawn"),
    "Submitted": N_("Submitted for approval"),
    "Approved": N_("Approved"),
    "Rejected": N_("Rejected"),
    "Withdrawn": N_("Withdrawn"),
}

KINDS = {
    "higher_education": N_("Higher education"),
    "vocational": N_("Vocational education and training"),
    "employer": N_("Employer"),
    "recognition_body": N_("Recognition body"),
    "other": N_("Other"),
}
ROLES = {
    "learner": N_("Learner"),
    "provider": N_("Provider (registrar)"),
    "recognition_body": N_("Recognition body"),
    "qa_body": N_("Quality-assurance body"),
    "auditor": N_("Auditor"),
    "admin": N_("Administrator"),
}

# What happened to a credential (the transcript's history entries).
CREDENTIAL_EVENTS = {
    "CredentialIssued": N_("Issued"),
    "CredentialStacked": N_("Awarded for a pathway"),
    "CredentialSuspended": N_("Suspended"),
    "CredentialReinstated": N_("Reinstated"),
    "CredentialRevoked": N_("Revoked"),
    "CredentialCorrected": N_("Corrected"),
    "StackPutUnderReview": N_("Put under review"),
}

DECISIONS = {
    "recognised": N_("Recognised"),
    "partially_recognised": N_("Partially recognised"),
    "not_recognised": N_("Not recognised"),
}

VOCABULARIES = {
    "status": STATUS,
    "forms": FORMS,
    "fields": FIELDS,
    "languages": LANGUAGES,
    "events": EVENTS,
    "kinds": KINDS,
    "roles": ROLES,
    "credential_events": CREDENTIAL_EVENTS,
    "decisions": DECISIONS,
}


def translated(gettext) -> dict[str, dict[str, str]]:
    return {
        name: {key: gettext(word) for key, word in words.items()}
        for name, words in VOCABULARIES.items()
    }
