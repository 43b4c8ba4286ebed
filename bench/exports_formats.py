"""Cost of building each export format and of validating it with the standards' check.py, at
the demo's scale (300 learners, about 1,500 credentials), and whether validating many European
Digital Credentials as one JSON-LD graph saves time.

Builds in-memory inputs shaped like the demo's (its programmes, pathways and name mix), times
every builder over all of them, times each check.py check on a sample of documents, and times
one merged-graph EDC validation. Prints figures, never asserts. Needs LEDGER_STANDARDS_DIR or
../shared/standards.
"""

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ledger.demo import LEARNERS, PATHWAYS, PROGRAMMES, RANDOM_SEED, make_people
from ledger.projections.exports import clr, edc, elmo, ob3
from ledger.projections.exports.model import Credential, ExportInput, Learner
from ledger.projections.exports.transcript_pdf import transcript_pdf
from tests.conftest import load_standards_check
from tests.unit.exports_samples import award, record, status_entries, uid

PER_LEARNER = 5  # the demo awards 1,500 credentials to 300 learners


def demo_like_records(rng: random.Random) -> list[ExportInput]:
    people = make_people(rng, LEARNERS)
    records, index = [], 0
    for n, person in enumerate(people):
        key = f"learner-{n}"
        chosen = sorted(rng.sample(list(PROGRAMMES), PER_LEARNER))
        credentials = []
        for programme in chosen:
            index += 1
            status = rng.choices(["active", "revoked", "suspended"], [96, 2, 2])[0]
            credentials.append(award(key, programme, f"2024-{rng.randint(1, 12):02d}-15",
                                     "Pass", status=status, index=index))
        credentials += stacks(key, credentials, index)
        learner = Learner(uid(key), person["given_name"], person["family_name"],
                          person["birth_date"])
        records.append(record(learner, credentials))
    return records


def stacks(key: str, credentials: list[Credential], index: int) -> list[Credential]:
    """Each pathway whose components the learner holds all of becomes a stack."""
    made = []
    for name, pathway in PATHWAYS.items():
        parts = [c for c in credentials if c.programme_id in {uid(p) for p in
                                                              pathway["components"]}]
        if len(parts) == len(pathway["components"]):
            stack_id = uid(f"{key}/{name}")
            made.append(Credential(
                id=stack_id, kind="stack", provider_id=parts[0].provider_id,
                title=pathway["title"], awarded_on="2025-01-20",
                ects=sum(p.ects for p in parts), eqf_level=max(p.eqf_level for p in parts),
                status="active", recorded_at="2025-01-20T09:00:00+00:00",
                pathway_id=uid(name), components=tuple(p.id for p in parts),
                status_entries=status_entries(index)))
            for n, part in enumerate(credentials):
                if part in parts:
                    credentials[n] = replace(part, part_of=(stack_id,))
    return made


def timed(label: str, work: Callable[[], Any], count: int, unit: str) -> float:
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    print(f"  {label:<44} {seconds:8.2f} s  {1000 * seconds / count:8.2f} ms/{unit}")
    return seconds


def sample_checks(check: Any, documents: dict[str, list], size: int) -> dict[str, float]:
    """Mean seconds per document of each check.py check."""
    means, folder = {}, Path(tempfile.mkdtemp())
    plans = [("ob3", "ob3", check.check_ob3), ("terms (ob3)", "ob3", check.check_terms),
             ("clr", "clr", check.check_clr), ("terms (edc)", "edc", check.check_terms),
             ("edc", "edc", check.check_edc)]
    for label, kind, function in plans:
        function(documents[kind][0])  # imports and caches warm up outside the timing
        times = []
        for document in documents[kind][:size]:
            started = time.perf_counter()
            assert function(document) == [], label
            times.append(time.perf_counter() - started)
        means[label] = statistics.mean(times)
    times = []
    for n, data in enumerate(documents["elmo"][:size + 1]):
        path = folder / f"elmo-{n}.xml"
        path.write_bytes(data)
        started = time.perf_counter()
        assert check.check_elmo(str(path)) == []
        times.append(time.perf_counter() - started)
    means["elmo"] = statistics.mean(times[1:])  # the first call warms up the imports
    return means


def mean_seconds(work: Callable[[Any], Any], items: list) -> float:
    started = time.perf_counter()
    for item in items:
        work(item)
    return (time.perf_counter() - started) / len(items)


def fixed_costs(check: Any, documents: dict[str, list], size: int) -> None:
    """What part of a check is set-up repeated on every call (shapes, schema) and what part is
    the document's own: the baselines beside the figures above."""
    from pyld import jsonld
    from rdflib import Graph

    shapes = Path(check.HERE) / "schemas" / "edc"
    parse = mean_seconds(lambda _: [Graph().parse(shapes / name, format="turtle") for name in
                                    ("EDC-generic-no-cv.ttl", "EDC-generic-full.ttl")], [0, 1])
    jsonld.set_document_loader(check._document_loader())
    to_rdf = mean_seconds(lambda d: jsonld.to_rdf(d, {"format": "application/n-quads"}),
                          documents["edc"][:size])
    triples = statistics.mean(len(jsonld.to_rdf(d, {"format": "application/n-quads"})
                                  .splitlines()) for d in documents["edc"][:size])
    print(f"  edc: parsing the SHACL shapes {1000 * parse:.0f} ms on every call; JSON-LD to "
          f"RDF {1000 * to_rdf:.1f} ms/document ({triples:.0f} triples)")
    import xmlschema

    built = xmlschema.XMLSchema
    cache: dict[str, Any] = {}

    def once(source: str, **options: Any) -> Any:
        if source not in cache:
            cache[source] = built(source, **options)
        return cache[source]

    folder = Path(tempfile.mkdtemp())
    paths = []
    for n, data in enumerate(documents["elmo"][:size]):
        paths.append(folder / f"elmo-{n}.xml")
        paths[-1].write_bytes(data)
    xmlschema.XMLSchema = once  # check_elmo builds its schema through this name
    try:  # imports are warm by now: the first call's extra time is building the schema
        first = mean_seconds(lambda p: check.check_elmo(str(p)), paths[:1])
        rest = mean_seconds(lambda p: check.check_elmo(str(p)), paths[1:])
    finally:
        xmlschema.XMLSchema = built
    print(f"  elmo: building the XSD {1000 * (first - rest):.0f} ms on every call; validating "
          f"with a built schema {1000 * rest:.1f} ms/document")


def merged_edc(check: Any, documents: list[dict]) -> float:
    merged = {"@context": edc.CONTEXT,
              "@graph": [{k: v for k, v in d.items() if k != "@context"} for d in documents]}
    started = time.perf_counter()
    problems = check.check_edc(merged)
    seconds = time.perf_counter() - started
    assert problems == [], problems[:3]
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=20,
                        help="documents per check.py check (default 20)")
    parser.add_argument("--pdfs", type=int, default=50, help="transcripts to print (default 50)")
    parser.add_argument("--merged", type=int, nargs="*", default=[100, 500],
                        help="EDC counts to validate as one graph (0 = all)")
    args = parser.parse_args()
    check = load_standards_check()
    records = demo_like_records(random.Random(RANDOM_SEED))
    credentials = sum(len(r.credentials) for r in records)
    print(f"{len(records)} learners, {credentials} credentials (stacks included)\n\nBuild:")
    documents: dict[str, list] = {}
    timed("ob3 (per credential)", lambda: documents.__setitem__(
        "ob3", [d for r in records for d in ob3.credentials(r)]), credentials, "credential")
    signed = {r.learner.id: ob3.credentials(r) for r in records}
    timed("clr (per learner, around its ob3)", lambda: documents.__setitem__(
        "clr", [clr.credential(r, signed[r.learner.id]) for r in records]), len(records),
        "learner")
    timed("edc (per credential)", lambda: documents.__setitem__(
        "edc", [d for r in records for d in edc.credentials(r)]), credentials, "credential")
    timed("elmo (per learner)", lambda: documents.__setitem__(
        "elmo", [elmo.report_xml(r) for r in records]), len(records), "learner")
    pdfs = records[:args.pdfs]
    timed(f"pdf (per learner, {len(pdfs)} of them)", lambda: [transcript_pdf(r) for r in pdfs],
          len(pdfs), "learner")
    print(f"\ncheck.py, mean of {args.sample} documents each, and the cost for every demo "
          "export:")
    means = sample_checks(check, documents, args.sample)
    counts = {"ob3": credentials, "terms (ob3)": credentials, "clr": len(records),
              "terms (edc)": credentials, "edc": credentials, "elmo": len(records)}
    for label, mean in means.items():
        print(f"  {label:<14} {1000 * mean:8.1f} ms/document  x {counts[label]:>5} = "
              f"{mean * counts[label]:7.1f} s")
    print(f"  {'total':<14} {'':>20}   {sum(m * counts[k] for k, m in means.items()):7.1f} s")
    print("\nOf which set-up repeated by every call:")
    fixed_costs(check, documents, args.sample)
    print("\nEDC as one merged graph (one check_edc call):")
    for size in args.merged:
        batch = documents["edc"][:size or None]
        seconds = merged_edc(check, batch)
        print(f"  {len(batch):>5} documents: {seconds:7.1f} s  ({1000 * seconds / len(batch):6.1f}"
              f" ms/document; one by one {1000 * means['edc']:.1f} ms/document)")


if __name__ == "__main__":
    main()
