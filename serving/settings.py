"""kefu's environment variables (KEFU_*), read in one typed place; the secrets among them stay `SecretStr`, so no
repr, log line or error message shows them."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class KefuEnvironment(BaseSettings):
    """What the process environment says (each field is `KEFU_<NAME>`).

    KEFU_HOME and KEFU_MODELS_DIR, where the weights are, are read by models.registry.WeightsEnvironment: the model
    layer (and `python -m models prepare`) needs them without serving.

    Attributes:
        api_keys: KEFU_API_KEYS: `name:role:key,...`, added to the Serve config's `access.api_keys`.
        data_keys: KEFU_DATA_KEYS: the key ring that seals chat records when `dialogue.keys_file` names none
            (`id:base64key,...`, the first active).
    """

    model_config = SettingsConfigDict(env_prefix="KEFU_", extra="ignore")

    api_keys: SecretStr = SecretStr("")
    data_keys: SecretStr = SecretStr("")

    def data_keys_env(self) -> dict[str, str]:
        """KEFU_DATA_KEYS as the mapping `KeyRing.from_config` reads it from."""
        from aftersales.store.crypto import KEYS_ENV

        return {KEYS_ENV: self.data_keys.get_secret_value()}


__all__ = ["KefuEnvironment"]
