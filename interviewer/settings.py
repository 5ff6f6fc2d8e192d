"""Typed settings. Precedence: CLI flag > config file > ``INTERVIEWER_*`` environment > default.

``INTERVIEWER_HOME`` moves every user file (config, sessions, index); tests point it at a
temporary directory.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib
from .models import DEFAULT_TIME_BUDGET_S

APP_NAME = "interviewer"
CHECKOUT_ROOT = Path(__file__).resolve().parent.parent


def home_dir() -> Path:
    """Where user files live: ``$INTERVIEWER_HOME`` or the platform's user data directory."""
    env = os.environ.get("INTERVIEWER_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_data_path(APP_NAME)


def config_path() -> Path:
    env = os.environ.get("INTERVIEWER_CONFIG")
    return Path(env).expanduser() if env else home_dir() / "config.toml"


def _is_checkout() -> bool:
    return (CHECKOUT_ROOT / "pyproject.toml").is_file() and (CHECKOUT_ROOT / "recordings").is_dir()


class WhisperSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        default="tiny.en",
        description="faster-whisper model name (tiny.en uses the bundled offline copy) or a local model directory",
    )
    device: str = Field(default="cpu", description="cpu, cuda or auto")
    compute_type: str = Field(default="int8", description="CTranslate2 compute type")
    beam_size: int = Field(default=5, ge=1, le=10)
    language: str = Field(default="en", description="spoken language; English by default")
    cpu_threads: int = Field(
        default=0, ge=0, description="threads per decode; 0 splits the machine's cores between the side-by-side decodes"
    )
    decode_workers: int = Field(
        default=2,
        ge=1,
        le=4,
        description="decodes run side by side (the words and the fillers); they share the model weights",
    )
    keep_fillers: bool = Field(
        default=True, description="transcribe um/uh/hmm verbatim (a filler-styled hotwords phrase on every window)"
    )
    vocabulary: bool = Field(
        default=True,
        description="bias recognition to the question's ML terms (shipped glossary + HOME/vocabulary.txt)",
    )
    vocabulary_tokens: int = Field(
        default=120, ge=0, le=200, description="prompt tokens given to vocabulary terms (Whisper's prompt holds ~220)"
    )
    uncertain_below: float = Field(
        default=0.4, ge=0, le=1, description="a word recognised with lower probability is marked uncertain"
    )


class LLMSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: Literal["auto", "on", "off"] = Field(
        default="auto", description="auto: use a configured or detected endpoint, else evidence-only"
    )
    base_url: str | None = Field(default=None, description="OpenAI-compatible base URL, e.g. http://127.0.0.1:11434/v1")
    model: str | None = Field(default=None, description="model name at that endpoint")
    api_key: SecretStr | None = Field(default=None, description="falls back to OPENAI_API_KEY")
    timeout_s: float = Field(default=120.0, gt=0, le=3600)
    max_retries: int = Field(default=3, ge=0, le=10)
    temperature: float = Field(default=0.0, ge=0, le=2)
    max_tokens: int = Field(default=2000, ge=64, le=32768, description="cap on the length of the model's reply")
    frequency_penalty: float = Field(
        default=0.0, ge=-2, le=2, description="sent when non-zero; ~1 stops tiny local models repeating themselves"
    )
    retry_backoff_s: float = Field(
        default=1.0, ge=0, le=60, description="first wait before retrying a 429/5xx; doubles on each retry"
    )
    retry_max_wait_s: float = Field(
        default=30.0, ge=0, le=600, description="cap on any single wait, including a server's Retry-After"
    )


class AudioSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input_device: str | None = Field(default=None, description="input device name or index")
    output_device: str | None = Field(default=None, description="output device name or index")
    samplerate: int = Field(default=16000, ge=8000, le=96000)
    voice: str = Field(default="auto", description="auto, piper, system, openai or text")


class _TomlSource(PydanticBaseSettingsSource):
    """Reads the config file; a broken file is a ConfigError, not a traceback."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        path = config_path()
        self._data: dict[str, Any] = {}
        if path.is_file():
            try:
                self._data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"cannot read config file {path}: {exc}") from exc

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="INTERVIEWER_", env_nested_delimiter="__", extra="forbid"
    )

    recordings_dir: Path | None = Field(
        default=None, description="where sessions are saved (default: ./recordings in a checkout, else HOME/recordings)"
    )
    time_budget_s: int | None = Field(
        default=None, ge=30, le=3600, description="answer time budget; default: the question's own (12:00)"
    )
    rubric: Path | None = Field(default=None, description="rubric YAML overriding the built-in choice")
    whisper: WhisperSettings = Field(default_factory=WhisperSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    audio: AudioSettings = Field(default_factory=AudioSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Order is precedence: CLI (init kwargs) > config file > environment > defaults.
        return (init_settings, _TomlSource(settings_cls), env_settings)

    @property
    def home(self) -> Path:
        return home_dir()

    @property
    def sessions_dir(self) -> Path:
        if self.recordings_dir is not None:
            return self.recordings_dir.expanduser()
        if "INTERVIEWER_HOME" not in os.environ and _is_checkout():
            return CHECKOUT_ROOT / "recordings"
        return home_dir() / "recordings"

    @property
    def default_time_budget_s(self) -> int:
        return self.time_budget_s or DEFAULT_TIME_BUDGET_S


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_settings(**overrides: Any) -> Settings:
    """Build settings; ``overrides`` are CLI flags (nested dicts allowed, None means unset)."""
    cleaned = _drop_none(overrides)
    try:
        if any(isinstance(v, dict) for v in cleaned.values()):
            # Nested CLI overrides must merge with, not replace, file/env values of that group.
            base = Settings().model_dump(exclude_unset=False)
            cleaned = _merge(
                {k: base[k] for k in cleaned if isinstance(cleaned[k], dict)}, cleaned
            )
        return Settings(**cleaned)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"invalid setting {where}: {err['msg']}") from exc


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in d.items():
        if isinstance(value, dict):
            value = _drop_none(value)
            if value:
                out[key] = value
        elif value is not None:
            out[key] = value
    return out
