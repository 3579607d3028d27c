"""One task run's figures, as report.json holds them (`records`), and reading them back."""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class EvalRecord:
    """How one run of one task went: solved or not, and what it cost.

    `resolved`: the hidden tests passed on the tree the agent left. `status` and `turns` are
    the agent's; `verdict` is the visible test command's (`passed`, `failed (2 failing)`, `no
    test command`, `not run`); `reason` says why a run is not solved ("" when it is).
    """

    instance_id: str
    run: int
    resolved: bool
    status: str
    turns: int = 0
    input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    wall_seconds: float = 0.0
    model_seconds: float = 0.0
    test_seconds: float = 0.0
    hidden_test_seconds: float = 0.0
    fix_rounds: int = 0
    verdict: str = "not run"
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def overhead_seconds(self) -> float:
        """Wall time that is neither the model's nor a test command's: Honk's own."""
        return self.wall_seconds - self.model_seconds - self.test_seconds - self.hidden_test_seconds


_KINDS: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "bool": (bool,),
    "float": (int, float),
}


def record_from_json(data: object) -> EvalRecord:
    """A record read back from report.json; ValueError naming a missing or mistyped field
    (the figures may be missing: they default to zero)."""
    if not isinstance(data, dict):
        raise ValueError("a record must be a JSON object")
    values: dict[str, Any] = {}
    for spec in fields(EvalRecord):
        value = data.get(spec.name)
        if value is None and spec.default is not MISSING:
            continue
        kinds = _KINDS[str(spec.type)]
        wrong_bool = isinstance(value, bool) and bool not in kinds
        if value is None or not isinstance(value, kinds) or wrong_bool:
            raise ValueError(f"record field `{spec.name}` is missing or not {spec.type}")
        values[spec.name] = (
            float(value) if isinstance(value, int | float) and spec.type == "float" else value
        )
    return EvalRecord(**values)
