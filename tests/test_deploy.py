"""deploy/: the Kubernetes manifests validate offline, the compose file and Dockerfile hold."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from app.metrics.exposition import QueueGauges, render
from app.worker import run_workers

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
K8S_VERSION = "1.31.0"  # pinned: the schemas kubernetes-validate ships for this release
# Custom resources have no schema offline; each is checked by hand below instead.
CRD_GROUPS = ("keda.sh/",)
DRAIN_SECONDS = float(inspect.signature(run_workers).parameters["grace"].default)


def manifests() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        found += [(path.name, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return found


def kind(name: str) -> dict[str, Any]:
    (doc,) = [doc for _, doc in manifests() if f"{doc['kind']}/{doc['metadata']['name']}" == name]
    return doc


def test_the_manifests_hold_every_part_of_the_deployment() -> None:
    found = {f"{doc['kind']}/{doc['metadata']['name']}" for _, doc in manifests()}
    assert found == {
        "Deployment/honk-web",
        "Service/honk-web",
        "Deployment/honk-worker",
        "Secret/honk",
        "PodDisruptionBudget/honk-web",
        "PodDisruptionBudget/honk-worker",
        "ScaledObject/honk-worker",
    }


@pytest.mark.parametrize(
    ("file", "doc"),
    [pytest.param(f, d, id=f"{f}:{d['kind']}") for f, d in manifests()],
)
def test_each_manifest_validates_strictly_against_the_pinned_kubernetes(
    file: str, doc: dict[str, Any]
) -> None:
    if doc["apiVersion"].startswith(CRD_GROUPS):
        assert doc["kind"] == "ScaledObject"  # checked in test_the_autoscaler_...
        return
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_a_manifest_with_an_unknown_field_is_refused() -> None:
    doc = kind("Deployment/honk-worker")
    broken = {**doc, "spec": {**doc["spec"], "replica": 3}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def pod_labels(name: str) -> dict[str, str]:
    labels: dict[str, str] = kind(f"Deployment/{name}")["spec"]["template"]["metadata"]["labels"]
    return labels


def test_selectors_find_their_pods() -> None:
    assert kind("Service/honk-web")["spec"]["selector"].items() <= pod_labels("honk-web").items()
    for name in ("honk-web", "honk-worker"):
        selector = kind(f"PodDisruptionBudget/{name}")["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod_labels(name).items()


def container(name: str) -> dict[str, Any]:
    (only,) = kind(f"Deployment/{name}")["spec"]["template"]["spec"]["containers"]
    return only  # type: ignore[no-any-return]


def env_of(name: str) -> dict[str, str]:
    return {item["name"]: item.get("value", "") for item in container(name)["env"]}


def test_the_web_runs_no_workers_and_the_workers_drain_before_being_killed() -> None:
    assert env_of("honk-web")["HONK_WORKERS"] == "0"
    assert container("honk-worker")["args"] == ["worker"]
    for name in ("honk-web", "honk-worker"):
        pod = kind(f"Deployment/{name}")["spec"]["template"]["spec"]
        assert pod["terminationGracePeriodSeconds"] > DRAIN_SECONDS
        assert container(name)["envFrom"] == [{"secretRef": {"name": "honk"}}]


def test_the_worker_pod_allows_bubblewrap_without_root_or_capabilities() -> None:
    pod = kind("Deployment/honk-worker")["spec"]["template"]["spec"]["securityContext"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] != 0
    assert pod["seccompProfile"] == {"type": "Unconfined"}
    assert pod["appArmorProfile"] == {"type": "Unconfined"}
    own = container("honk-worker")["securityContext"]
    assert own["allowPrivilegeEscalation"] is False
    assert own["capabilities"] == {"drop": ["ALL"]}


def test_the_secret_template_holds_no_value() -> None:
    secret = kind("Secret/honk")
    assert "HONK_DATABASE_URL" in secret["stringData"]
    assert set(secret["stringData"].values()) == {""}


def test_the_autoscaler_scales_the_workers_on_queue_depth_from_metrics() -> None:
    scaled = kind("ScaledObject/honk-worker")
    assert scaled["spec"]["scaleTargetRef"]["name"] == "honk-worker"
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "prometheus"
    assert float(trigger["metadata"]["threshold"]) > 0
    # The query names a metric Honk's /metrics really exposes, with the label it has.
    exposed = render(QueueGauges({"queued": 3, "running": 1}, 0.0), None).decode()
    samples = {
        (sample.name, sample.labels.get("state"))
        for family in text_string_to_metric_families(exposed)
        for sample in family.samples
    }
    assert trigger["metadata"]["query"] == 'max(honk_queue_jobs{state="queued"})'
    assert ("honk_queue_jobs", "queued") in samples


# -- docker compose ----------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    return loaded


def seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+)s", duration)
    assert match is not None, duration
    return float(match[1])


def test_compose_runs_postgres_a_web_without_workers_and_two_workers() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "web", "worker"}
    assert services["web"]["environment"]["HONK_WORKERS"] == "0"
    assert services["worker"]["command"] == ["worker"]
    assert services["worker"]["deploy"]["replicas"] == 2
    for name in ("web", "worker"):
        assert seconds(services[name]["stop_grace_period"]) > DRAIN_SECONDS
        url = services[name]["environment"]["HONK_DATABASE_URL"]
        assert url.startswith("postgresql+asyncpg://") and "@postgres:5432/" in url


def test_compose_writes_no_password_down() -> None:
    text = (DEPLOY / "docker-compose.yml").read_text()
    for line in text.splitlines():
        if re.match(r"\s*\w*(PASSWORD|SECRET|TOKEN|KEY)\w*:", line):
            assert re.search(r":\s*\$\{\w+(:[?-][^}]*)?\}\s*$", line), line
    assert (
        "${POSTGRES_PASSWORD:?" in compose()["services"]["web"]["environment"]["HONK_DATABASE_URL"]
    )


# -- Dockerfile --------------------------------------------------------------------------------


def test_the_dockerfile_is_slim_non_root_with_git_bubblewrap_and_a_health_check() -> None:
    lines = (DEPLOY / "Dockerfile").read_text().splitlines()
    assert re.fullmatch(
        r"FROM python:3\.\d+-slim", next(ln for ln in lines if ln.startswith("FROM"))
    )
    installs = " ".join(ln for ln in lines if "apt-get install" in ln)
    assert "git" in installs.split() and "bubblewrap" in installs.split()
    (user,) = [ln for ln in lines if ln.startswith("USER ")]
    assert user.split()[1].split(":")[0] not in ("root", "0")
    health = " ".join(lines[lines.index(next(ln for ln in lines if "HEALTHCHECK" in ln)) :][:2])
    assert "/healthz" in health
