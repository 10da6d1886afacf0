"""schemathesis hooks for scripts/schemathesis.sh (loaded through `hooks` in schemathesis.toml).

`positive_data_acceptance` wants every schema-valid request accepted. This API also refuses
schema-valid input on purpose, always with 400 and a stable code naming the reason: a name that
is not in the registry, a credit code whose checksum fails, a rule file that does not type-check,
a year out of range, a password too weak. JSON Schema cannot say which names exist. The check
below replaces it: a schema-valid request may be refused for its meaning, never for its shape,
so a 400 with a decoding code (`body_invalid`, `query_invalid`, `path_invalid`) or a 422 on
schema-valid data is a failure (the schema is looser than the decoder), and so is any other 4xx
outside the documented ones, which `status_code_conformance` already checks.
"""

import atexit
import json
import os
import threading

import schemathesis

DECODING = {"body_invalid", "query_invalid", "path_invalid"}


@schemathesis.check
def schema_valid_request_decodes(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    try:
        from schemathesis.specs.openapi.checks import is_unexpected_http_status_case

        if is_unexpected_http_status_case(case):
            return None
    except ImportError:
        pass
    if response.status_code == 422:
        raise AssertionError("a schema-valid request was refused with 422")
    if response.status_code == 400:
        try:
            code = response.json().get("code")
        except Exception:  # noqa: BLE001 - a 400 that is not our JSON error is a failure too
            code = None
        if code is None or code in DECODING:
            raise AssertionError(
                f"a schema-valid request was refused for its shape: 400 {code or response.text[:200]}"
            )
    return None


# How many operations got at least one 2xx answer: every response's status is kept per
# operation and written, when the run ends, to $LIANSHI_ST_STATUSES (scripts/schemathesis.sh
# prints the count and the operations that never got one).
_STATUSES: dict[str, set[int]] = {}
_LOCK = threading.Lock()


@schemathesis.hook
def after_call(ctx, case, response):
    with _LOCK:
        _STATUSES.setdefault(case.operation.label, set()).add(response.status_code)


def _write_statuses():
    out = os.environ.get("LIANSHI_ST_STATUSES")
    if out:
        with open(out, "w", encoding="utf-8") as f:
            json.dump({k: sorted(v) for k, v in _STATUSES.items()}, f, indent=1, sort_keys=True)


atexit.register(_write_statuses)
