"""Home Assistant response templates rendered: plain text as it is, Jinja2 syntax (`{{ slots.name }}`,
`{% if %}`) with Jinja2's sandbox, which only the `hass` extra brings (templates are data and never run
Python code). Variables are HA's: `slots` (each slot's text, else its value) plus what the caller adds
(`state`, `query` ... which only Home Assistant knows)."""
from __future__ import annotations

from typing import Any, Mapping

from ..errors import DataError

_ENV: list = []  # the one sandboxed environment, made on first use


def render(template: str, variables: Mapping[str, Any]) -> str:
    """One response template rendered with `variables`, whitespace collapsed as HA's tests compare it."""
    if "{{" not in template and "{%" not in template and "{#" not in template:
        return " ".join(template.split())
    try:
        import jinja2
        from jinja2.sandbox import SandboxedEnvironment
    except ImportError:
        raise DataError("rendering a response template needs Jinja2: pip install 'edgekit[hass]'") from None
    if not _ENV:
        _ENV.append(SandboxedEnvironment(autoescape=False))
    try:
        text = _ENV[0].from_string(template).render(**variables)
    except jinja2.TemplateError as exc:
        raise DataError(f"response template {template!r}: {exc}") from None
    return " ".join(text.split())


def slot_variables(slots: Mapping[str, Any]) -> dict[str, Any]:
    """HA's `slots` variable from a result's slots: the text said, else the value."""
    return {name: (sv.text.strip() or sv.value) for name, sv in slots.items()}
