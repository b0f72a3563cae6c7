"""``keel coach configure`` / ``keel coach status``: which language model phrases the coach's answers.

The provider, model and base URL are settings (``KEEL_COACH_LLM_PROVIDER``, ``_MODEL``, ``_BASE_URL`` in
the environment or ``.env``); the API key is asked for without echo and kept encrypted under KEEL_HOME
(:func:`coach.llm.save_api_key`), never printed back in full.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from coach.llm import LLMConfigError, forget_api_key, llm_config, save_api_key, stored_api_key
from keel.errors import InvalidInput
from keel.secrets import mask
from keel.settings import get_settings

coach_app = typer.Typer(help="The coach's language model (optional: the coach answers offline without one).")
console = Console()


@coach_app.command("configure")
def configure(
    forget: Annotated[bool, typer.Option("--forget", help="Remove the stored API key.")] = False,
) -> None:
    """Store the coach's LLM API key, encrypted under KEEL_HOME (asked for without echo)."""
    if forget:
        console.print("API key removed" if forget_api_key() else "no API key was stored")
        return
    key = typer.prompt("API key of the coach's language model", hide_input=True)
    try:
        path = save_api_key(key)
    except LLMConfigError as exc:
        raise InvalidInput(str(exc), "run `keel coach configure` again with the key") from None
    console.print(f"API key {mask(key)} stored encrypted in {path}")
    status()


@coach_app.command("status")
def status() -> None:
    """Which model the coach uses (or that it answers offline)."""
    try:
        config = llm_config()
    except LLMConfigError as exc:
        raise InvalidInput(str(exc), "set the KEEL_COACH_LLM_* settings (see `keel coach --help`)") from None
    if config is None:
        console.print("the coach answers offline (KEEL_COACH_LLM_PROVIDER=none)")
        return
    key = stored_api_key(get_settings())
    console.print(
        f"the coach's answers are phrased by {config.model} ({config.provider}"
        f"{', ' + config.base_url if config.base_url else ''}); API key "
        f"{mask(key) if key else 'none'}; every number is checked against Keel's figures"
    )
