"""The Kubernetes manifests: every overlay renders, every object validates against the Kubernetes and
CloudNativePG schemas (offline), and the rendered system keeps the promises a platform engineer checks."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from services.kernel.settings import DATA_DIR, REPO_ROOT

OVERLAYS = ("test", "production")
KUBERNETES_VERSION = "1.31"
PROCESSES = {"gateway": 8000, "catalog": 8001, "enrollment": 8002, "feedback": 8003}
VALIDATORS = DATA_DIR / "validators"


def run(argv: list[str], **kwargs: Any) -> str:
    """A tool of our own choosing (kubectl, node) with fixed arguments; its standard output."""
    done = subprocess.run(argv, capture_output=True, text=True, check=True, **kwargs)  # noqa: S603
    return str(done.stdout)


def validate_cnpg(docs: list[dict[str, Any]]) -> list[str]:
    node = shutil.which("node")
    script = VALIDATORS / "validate-cnpg.mjs"
    assert node, "Node.js is needed for the CloudNativePG schemas"
    assert script.exists(), (
        "the CloudNativePG schemas are installed by make install (scripts/install-validators.sh)"
    )
    problems: list[str] = json.loads(run([node, str(script)], input=json.dumps(docs), cwd=VALIDATORS))
    return problems


def render(overlay: str) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    assert kubectl, (
        "kubectl is needed to render the overlays (make install installs Debian's kubernetes-client)"
    )
    rendered = run([kubectl, "kustomize", str(REPO_ROOT / "deploy" / "k8s" / "overlays" / overlay)])
    return [doc for doc in yaml.safe_load_all(rendered) if doc]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, render(request.param)


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_every_object_validates_against_its_schema(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, docs = rendered
    core = [d for d in docs if not d["apiVersion"].startswith("postgresql.cnpg.io")]
    for doc in core:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    cnpg = [d for d in docs if d["apiVersion"].startswith("postgresql.cnpg.io")]
    assert {d["kind"] for d in cnpg} == {"Cluster", "ScheduledBackup"}
    assert validate_cnpg(cnpg) == []


def test_the_validators_catch_mistakes() -> None:
    """So that a passing validation means something."""
    broken = render("production")
    deployment = next(d for d in broken if d["kind"] == "Deployment")
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    cluster = next(d for d in broken if d["kind"] == "Cluster")
    cluster["spec"]["instances"] = "three"
    assert validate_cnpg([cluster]) == ["Cluster/ledelse-db: data/spec/instances must be integer"]


def test_each_process_is_deployed_probed_scaled_and_protected(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    overlay, docs = rendered
    deployments, services = by_kind(docs, "Deployment"), by_kind(docs, "Service")
    autoscalers, budgets = by_kind(docs, "HorizontalPodAutoscaler"), by_kind(docs, "PodDisruptionBudget")
    assert set(deployments) == set(services) == set(autoscalers) == set(budgets) == set(PROCESSES)
    for name, port in PROCESSES.items():
        pod = deployments[name]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["args"] == ["serve", name]
        assert container["image"].startswith("registry.oslo.kommune.no/ledelse/ledelsesutvikling:")
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["ports"] == [{"name": "http", "containerPort": port}]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert pod["terminationGracePeriodSeconds"] >= 15
        assert services[name]["spec"]["ports"][0]["port"] == port
        assert autoscalers[name]["spec"]["scaleTargetRef"]["name"] == name
        if overlay == "production":
            assert autoscalers[name]["spec"]["minReplicas"] >= 2
            assert budgets[name]["spec"]["minAvailable"] == 1
        env = {e["name"]: e for e in container["env"]}
        if name != "gateway":
            assert env["DATABASE_URL"]["value"].startswith(f"postgresql://ledelse_{name}@ledelse-db-rw:5432/")
            assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == f"ledelse-db-{name}"
    (job,) = by_kind(docs, "Job").values()
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate", "--roles"]


def test_the_database_cluster_has_three_instances_backups_and_a_role_per_service(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    overlay, docs = rendered
    cluster = by_kind(docs, "Cluster")["ledelse-db"]["spec"]
    assert cluster["instances"] == (3 if overlay == "production" else 1)
    roles = {r["name"]: r for r in cluster["managed"]["roles"]}
    assert set(roles) == {"ledelse_catalog", "ledelse_enrollment", "ledelse_feedback"}
    assert all(
        r["passwordSecret"]["name"] == f"ledelse-db-{n.removeprefix('ledelse_')}" for n, r in roles.items()
    )
    assert (
        cluster["backup"]["barmanObjectStore"]["s3Credentials"]["accessKeyId"]["name"] == "ledelse-backup-s3"
    )
    assert by_kind(docs, "ScheduledBackup")["ledelse-db-daily"]["spec"]["cluster"]["name"] == "ledelse-db"


def test_only_the_gateway_is_reachable_from_outside_and_only_services_reach_the_database(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, docs = rendered
    policies = by_kind(docs, "NetworkPolicy")
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {}
    assert deny["policyTypes"] == ["Ingress", "Egress"]
    from_ingress = [
        name
        for name, policy in policies.items()
        for rule in policy["spec"].get("ingress", [])
        for peer in rule.get("from", [])
        if peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
        == "ingress-nginx"
    ]
    assert from_ingress == ["gateway"]
    database = policies["database"]["spec"]
    assert database["podSelector"] == {"matchLabels": {"cnpg.io/cluster": "ledelse-db"}}
    clients = database["ingress"][0]["from"][0]["podSelector"]["matchLabels"]
    labelled = [
        d["metadata"]["name"]
        for d in docs
        if d["kind"] in ("Deployment", "Job")
        and d["spec"]["template"]["metadata"]["labels"].get("ledelse.oslo.kommune.no/db-client") == "true"
    ]
    assert clients == {"ledelse.oslo.kommune.no/db-client": "true"}
    assert sorted(labelled) == ["catalog", "enrollment", "feedback", "migrate"]
    # The DNS rule still selects kube-dns alone (labels added to everything would break it).
    dns = [
        peer
        for rule in policies["services"]["spec"]["egress"]
        for peer in rule.get("to", [])
        if "podSelector" in peer
    ]
    assert {"matchLabels": {"k8s-app": "kube-dns"}} in [p["podSelector"] for p in dns]
    (ingress,) = by_kind(docs, "Ingress").values()
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "gateway"


def test_no_secret_values_are_committed(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, docs = rendered
    assert Counter(d["kind"] for d in docs)["Secret"] == 0
    referenced = {
        ref["name"]
        for d in docs
        if d["kind"] in ("Deployment", "Job")
        for c in d["spec"]["template"]["spec"]["containers"]
        for e in c.get("env", [])
        if (ref := e.get("valueFrom", {}).get("secretKeyRef"))
    }
    assert referenced == {
        "ledelse-db-catalog",
        "ledelse-db-enrollment",
        "ledelse-db-feedback",
        "ledelse-db-app",
        "ledelse-feedback-ballot",
        "ledelse-smtp",
    }
