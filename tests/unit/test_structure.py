"""The code's import structure (grimp's graph of every import, type-only ones included): no
circle in `ledger` and `services`, no import from a lower layer back up, a domain that
imports only the standard library and `eventsourcing.domain`, and a use-case boundary: no
HTTP route or page reaches into the store or the vault."""

import ast
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]

# Top to bottom: a module may import its own layer and the layers below, never one above.
LAYERS = [
    ["ledger.cli"],  # the command line: every process's composition root
    ["services"],
    ["ledger.bootstrap", "ledger.demo", "ledger.read_wait"],
    ["ledger.application"],
    ["ledger.wallet", "ledger.sharing"],  # above the exports they deliver
    ["ledger.commands", "ledger.portability", "ledger.verification", "ledger.open_data",
     "ledger.access"],
    ["ledger.audit", "ledger.register_search", "ledger.status_lists", "ledger.committer",
     "ledger.loop_delivery",
     "ledger.endorsements", "ledger.issuer_registry"],
    ["ledger.projections", "ledger.unit_of_work", "ledger.document_limits"],
    ["ledger.store", "ledger.canonical_pool"],
    ["ledger.signing"],
    ["ledger.config", "ledger.standards", "ledger.issuers", "ledger.event_schemas",
     "ledger.inputs"],
    ["ledger.domain", "ledger.urls", "ledger.calendar", "ledger.metrics", "ledger.kafka",
     "ledger.health", "ledger.logs", "ledger.status_permutation"],
]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("ledger", "services", exclude_type_checking_imports=False)


def layer_of(module: str) -> int | None:
    for number, packages in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in packages):
            return number
    return None


def circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, imported = work[-1]
            step = next(imported, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph.find_modules_directly_imported_by(step)))))
                elif step in on_stack:
                    low[module] = min(low[module], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_circle_in_ledger_and_services(graph: grimp.ImportGraph):
    assert circles(graph) == []


def test_the_circle_finder_finds_a_circle():
    """The check can fail: a two-module circle built in memory is found."""
    graph = grimp.ImportGraph()
    for module in ("a", "a.x", "a.y", "a.z"):
        graph.add_module(module)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.x")
    graph.add_import(importer="a.z", imported="a.x")
    assert circles(graph) == [["a.x", "a.y"]]


def test_every_module_has_a_layer(graph: grimp.ImportGraph):
    assert sorted(m for m in graph.modules if m not in ("ledger", "services")
                  and layer_of(m) is None) == []


def test_no_import_runs_from_a_lower_layer_back_up(graph: grimp.ImportGraph):
    upward = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            mine, theirs = layer_of(module), layer_of(imported)
            if mine is not None and theirs is not None and theirs < mine:
                upward.append(f"{module} -> {imported}")
    assert upward == []


def domain_imports() -> dict[str, set[str]]:
    """Every module each file of ledger/domain imports (nested and type-only ones too)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "ledger" / "domain").rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
            elif isinstance(node, ast.ImportFrom):
                names.add("ledger.domain")  # relative: within the package
        found[path.relative_to(ROOT).as_posix()] = names
    return found


def test_the_domain_imports_only_the_standard_library_and_eventsourcing_domain():
    allowed_outside = {"eventsourcing.domain"}
    imports = domain_imports()
    assert len(imports) >= 8
    foreign = {file: sorted(name for name in names
                            if name.split(".")[0] not in sys.stdlib_module_names
                            and name not in allowed_outside
                            and not (name == "ledger.domain" or name.startswith("ledger.domain.")))
               for file, names in imports.items()}
    assert {file: names for file, names in foreign.items() if names} == {}


# The worker processes wire the store themselves (each is its own composition root, started by
# ledger.cli); everything else under services/ gets its collaborators from the ledger facade,
# and its writes through the use cases (services/api/deps.py: Writer).
STORE_ROOTS = ("services.projector", "services.relay", "services.exporter")
STORE_ATTRIBUTES = {"vault", "database", "recorder"}


def store_imports(graph: grimp.ImportGraph) -> list[str]:
    return sorted(f"{module} -> {imported}"
                  for module in graph.modules
                  if module.startswith("services.") and not module.startswith(STORE_ROOTS)
                  for imported in graph.find_modules_directly_imported_by(module)
                  if imported == "ledger.store" or imported.startswith("ledger.store."))


def store_reaches(source: str, where: str) -> list[str]:
    """Attribute reads of the store, the vault or the event recorder (`ledger.vault`,
    `ledger.database`, `ledger.app.recorder`) in one module's source."""
    found = [node for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.Attribute) and node.attr in STORE_ATTRIBUTES]
    return [f"{where}:{node.lineno} .{node.attr}"
            for node in sorted(found, key=lambda n: (n.lineno, n.col_offset))]


def test_no_service_outside_the_composition_roots_imports_the_store(graph: grimp.ImportGraph):
    assert store_imports(graph) == []


def test_no_route_or_page_reaches_into_the_store_or_the_vault():
    files = [path for path in sorted((ROOT / "services").rglob("*.py"))
             if not path.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".")
             .startswith(STORE_ROOTS)]
    assert len(files) >= 20
    assert [reach for path in files
            for reach in store_reaches(path.read_text(), path.relative_to(ROOT).as_posix())
            ] == []


def test_the_boundary_checks_can_fail():
    """A route passing the vault or the database, and a service importing the store, are found."""
    leaky = ("async def enrol(body, ledger):\n"
             "    run = commands.enrol_learner(actor, ledger.vault, body.fields())\n"
             "    head = ledger.app.recorder.max_notification_id()\n"
             "    return commands.change_status(actor, ledger.database, 'x', 'revoke', 'r')\n")
    assert store_reaches(leaky, "leaky.py") == [
        "leaky.py:2 .vault", "leaky.py:3 .recorder", "leaky.py:4 .database"]
    graph = grimp.ImportGraph()
    for module in ("services.api.routers.x", "services.relay.relay", "ledger.store.vault"):
        graph.add_module(module)
    graph.add_import(importer="services.api.routers.x", imported="ledger.store.vault")
    graph.add_import(importer="services.relay.relay", imported="ledger.store.vault")
    assert store_imports(graph) == ["services.api.routers.x -> ledger.store.vault"]
