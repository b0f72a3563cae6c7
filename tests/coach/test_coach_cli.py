"""``keel coach configure`` keeps the model's API key encrypted and shows only its end."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from keel.settings import get_settings


def test_configure_stores_the_key_encrypted_and_forgets_it(keel_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("KEEL_COACH_LLM_PROVIDER", "anthropic")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        out = runner.invoke(app, ["coach", "configure"], input="sk-ant-0123456789abcdef\n")
        assert out.exit_code == 0, out.output
        assert "…cdef" in out.output and "0123456789" not in out.output
        stored = keel_home / "coach_llm.key"
        assert stored.exists() and b"sk-ant" not in stored.read_bytes()
        assert "claude-sonnet-4-6 (anthropic)" in runner.invoke(app, ["coach", "status"]).output
        assert "API key removed" in runner.invoke(app, ["coach", "configure", "--forget"]).output
        assert not stored.exists()
    finally:
        monkeypatch.delenv("KEEL_COACH_LLM_PROVIDER")
        get_settings.cache_clear()
