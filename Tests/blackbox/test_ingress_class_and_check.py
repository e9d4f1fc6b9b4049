"""Which Ingresses are ours, seen two ways: `svcproxy check --print-plan` (routes, and the
Ingresses skipped with the reason) and live requests (a skipped Ingress's host gets 404).

Ours: `spec.ingressClassName` naming an IngressClass whose controller is
svcproxy.io/ingress-controller; or naming no IngressClass but equal to --ingress-class
(default "svcproxy"); the `kubernetes.io/ingress.class` annotation counts as the class name;
no class at all is ours unless an IngressClass of another controller is the default.
"""

import re

from harness import pick_port
from harness.ingress import (
    ABSENT, CONTROLLER, OTHER_CONTROLLER, check, host_rule, http_service_yaml, http_services, ingress_class_yaml,
    ingress_yaml, join_yaml, mismatches, path_rule,
)

ANNOTATION = "kubernetes.io/ingress.class"

# name: (spec.ingressClassName, kubernetes.io/ingress.class annotation, ours with no default class)
# The names share no word with any class or controller, so a reason naming the class is seen.
CASES = {
    "alpha": ("mine", None, True),        # an IngressClass of our controller
    "bravo": ("svcproxy", None, True),    # no IngressClass of that name: our class name
    "charlie": ("nginx", None, False),    # an IngressClass of another controller
    "delta": ("other", None, False),      # no IngressClass, not our name
    "echo": (ABSENT, "svcproxy", True),   # the annotation names our class
    "foxtrot": (ABSENT, "nginx", False),  # the annotation names another class
    "golf": (ABSENT, None, True),         # no class: ours while no other controller's class is default
}
REASON_WORD = {"charlie": "nginx", "delta": "other", "foxtrot": "nginx"}


def classified_config(start_http_backend, nginx_is_default: bool = False) -> str:
    _, services = http_services(start_http_backend, "web")
    ingresses = [
        ingress_yaml(name, class_name=class_name, annotations={ANNOTATION: annotation} if annotation else None,
                     rules=[host_rule(f"{name}.example", path_rule("/", "web"))])
        for name, (class_name, annotation, _) in CASES.items()
    ]
    return join_yaml(services, ingress_class_yaml("mine", CONTROLLER),
                     ingress_class_yaml("nginx", OTHER_CONTROLLER, default=nginx_is_default), *ingresses)


def skip_lines(output: str, name: str) -> list[str]:
    """Lines that name Ingress `name` and say it is skipped."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")
    return [line for line in output.splitlines() if pattern.search(line) and "skip" in line.lower()]


def expected_ours(nginx_is_default: bool) -> dict[str, bool]:
    return {name: ours and not (nginx_is_default and name == "golf") for name, (_, _, ours) in CASES.items()}


def assert_plan_classifies(result, ours: dict[str, bool]) -> None:
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    problems = []
    for name, served in ours.items():
        skipped = skip_lines(output, name)
        if served and skipped:
            problems.append(f"{name} is ours but said to be skipped: {skipped}")
        if served and f"{name}.example" not in result.stdout:
            problems.append(f"{name} is ours but its host {name}.example is not in the plan")
        if not served and not skipped:
            problems.append(f"{name} is not ours but no line says it is skipped")
        if not served and name in REASON_WORD and not any(REASON_WORD[name] in line for line in skipped):
            problems.append(f"{name} is skipped without naming its class {REASON_WORD[name]!r}: {skipped}")
    assert problems == [], "\n".join(problems) + "\n--- output ---\n" + output


def test_check_prints_the_ingresses_of_our_class_and_says_why_the_others_are_skipped(start_http_backend, write_config):
    result = check(write_config(classified_config(start_http_backend)))

    assert_plan_classifies(result, expected_ours(nginx_is_default=False))


def test_only_the_ingresses_of_our_class_are_served(start_http_backend, start_ingress, write_config):
    daemon = start_ingress(write_config(classified_config(start_http_backend)))

    wrong = mismatches(daemon.ingress_address, [
        (f"{name}.example", "/", "web" if ours else "404") for name, ours in expected_ours(False).items()])

    assert wrong == []


def test_an_ingress_without_class_is_not_ours_when_another_controller_has_the_default_class(
        start_http_backend, start_ingress, write_config):
    config = write_config(classified_config(start_http_backend, nginx_is_default=True))

    result = check(config)
    daemon = start_ingress(config)
    wrong = mismatches(daemon.ingress_address, [
        (f"{name}.example", "/", "web" if ours else "404") for name, ours in expected_ours(True).items()])

    assert_plan_classifies(result, expected_ours(nginx_is_default=True))
    assert wrong == []


def test_ingress_class_flag_changes_the_class_name_we_answer_to(start_http_backend, start_ingress, write_config):
    _, services = http_services(start_http_backend, "web")
    config = write_config(join_yaml(
        services,
        ingress_class_yaml("mine", CONTROLLER),
        ingress_yaml("hotel", class_name="custom", rules=[host_rule("hotel.example", path_rule("/", "web"))]),
        ingress_yaml("india", class_name="svcproxy", rules=[host_rule("india.example", path_rule("/", "web"))]),
        ingress_yaml("juliet", class_name=ABSENT, annotations={ANNOTATION: "custom"},
                     rules=[host_rule("juliet.example", path_rule("/", "web"))]),
        ingress_yaml("kilo", class_name="mine", rules=[host_rule("kilo.example", path_rule("/", "web"))]),
    ))
    ours = {"hotel": True, "india": False, "juliet": True, "kilo": True}

    result = check(config, extra=("--ingress-class", "custom"))
    daemon = start_ingress(config, extra_args=("--ingress-class", "custom"))
    wrong = mismatches(daemon.ingress_address,
                       [(f"{name}.example", "/", "web" if served else "404") for name, served in ours.items()])

    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    for name, served in ours.items():
        assert bool(skip_lines(output, name)) != served, f"{name}:\n{output}"
    assert wrong == []


def test_print_plan_shows_the_ingress_listener_hosts_paths_and_backends(start_http_backend, write_config):
    api = start_http_backend("api")
    web = start_http_backend("web")
    port = pick_port(("127.0.0.1",))
    config = write_config(join_yaml(
        http_service_yaml("api", [api.endpoint]),
        http_service_yaml("web", [web.endpoint]),
        ingress_yaml("site", default_backend=("web", "http"), rules=[
            host_rule("shop.example", path_rule("/catalogue", "api"),
                      path_rule("/checkout", "web", path_type="Exact"))]),
    ))

    result = check(config, extra=("--ingress-http-bind-address", f"127.0.0.1:{port}"))

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"127.0.0.1:{port} (Ingress HTTP)" in out, out
    for text in ("shop.example", "/catalogue", "Prefix", "/checkout", "Exact",
                 "%s:%d" % api.endpoint, "%s:%d" % web.endpoint):
        assert text in out, f"{text!r} missing from the plan:\n{out}"
    catalogue = next(line for line in out.splitlines() if "/catalogue" in line)
    assert "api" in catalogue, f"the /catalogue route does not name its backend: {catalogue!r}"
