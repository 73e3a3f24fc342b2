#!/usr/bin/env python3
"""Checks deploy/kubernetes the way a reviewer would, without a cluster: every listed resource
exists and parses; every container (init containers and CronJobs included) has CPU and memory
requests, a memory limit and a locked-down security context; the pods run as non-root with the
runtime's seccomp profile; a PodDisruptionBudget and NetworkPolicies select the web pods; the
Secret is not among the default resources (a `kubectl apply -k` must never overwrite the real one
with placeholders). Exit 1 naming each problem."""

import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent / "deploy" / "kubernetes"
problems = []


def problem(text):
    problems.append(text)


def pod_specs(doc):
    """(where, pod spec) of a Deployment or CronJob."""
    kind = doc.get("kind")
    name = doc.get("metadata", {}).get("name", "?")
    if kind == "Deployment":
        yield f"Deployment {name}", doc["spec"]["template"]["spec"]
    elif kind == "CronJob":
        yield f"CronJob {name}", doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def check_container(where, c):
    res = c.get("resources") or {}
    for key in ("cpu", "memory"):
        if key not in (res.get("requests") or {}):
            problem(f"{where}: container {c['name']} has no {key} request")
    if "memory" not in (res.get("limits") or {}):
        problem(f"{where}: container {c['name']} has no memory limit")
    sc = c.get("securityContext") or {}
    if sc.get("allowPrivilegeEscalation") is not False:
        problem(f"{where}: container {c['name']} may escalate privileges")
    if sc.get("readOnlyRootFilesystem") is not True:
        problem(f"{where}: container {c['name']} has a writable root file system")
    if (sc.get("capabilities") or {}).get("drop") != ["ALL"]:
        problem(f"{where}: container {c['name']} keeps capabilities")


def main():
    kustomization = yaml.safe_load((ROOT / "kustomization.yaml").read_text())
    resources = kustomization.get("resources", [])
    docs = []
    for name in resources:
        path = ROOT / name
        if not path.is_file():
            problem(f"kustomization.yaml lists {name}, which does not exist")
            continue
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    kinds = {}
    for doc in docs:
        kinds.setdefault(doc["kind"], []).append(doc)
    if "Secret" in kinds:
        problem("a Secret is among the kustomization's resources (keep it out: secret.example.yaml)")
    web_labels = None
    for doc in kinds.get("Deployment", []) + kinds.get("CronJob", []):
        for where, spec in pod_specs(doc):
            psc = spec.get("securityContext") or {}
            if psc.get("runAsNonRoot") is not True:
                problem(f"{where}: pods may run as root")
            if (psc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
                problem(f"{where}: no RuntimeDefault seccomp profile")
            for c in spec.get("initContainers", []) + spec.get("containers", []):
                check_container(where, c)
        if doc["kind"] == "Deployment":
            web_labels = doc["spec"]["template"]["metadata"]["labels"]
            for probe in ("readinessProbe", "livenessProbe"):
                for c in doc["spec"]["template"]["spec"]["containers"]:
                    if probe not in c:
                        problem(f"Deployment: container {c['name']} has no {probe}")

    def selects_web(doc, selector):
        labels = selector.get("matchLabels", {})
        return web_labels is not None and all(web_labels.get(k) == v for k, v in labels.items())

    if not any(selects_web(d, d["spec"]["selector"]) for d in kinds.get("PodDisruptionBudget", [])):
        problem("no PodDisruptionBudget selects the web pods")
    if not any(selects_web(d, d["spec"]["podSelector"]) for d in kinds.get("NetworkPolicy", [])):
        problem("no NetworkPolicy selects the web pods")
    for name in ("ingress.example.yaml", "secret.example.yaml"):
        for doc in yaml.safe_load_all((ROOT / name).read_text()):
            if doc and "kind" not in doc:
                problem(f"{name} is not a Kubernetes object")
    for p in problems:
        print(f"deploy/kubernetes: {p}", file=sys.stderr)
    if not problems:
        print(f"deploy/kubernetes: {len(docs)} objects checked")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
